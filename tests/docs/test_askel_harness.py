"""The page's "Testing it": the worked example under AdapterHarness, as its developer tests it.

Shown on docs/adapters.md from its first import on, verbatim. It uses only what an adapter
package has: the SDK, the contract, the adapter, and a stand-in of the system.
"""

from datetime import datetime

import pytest

from adapters.sdk import ReceivedOutcome
from adapters.sdk.testing import AdapterHarness
from docs.examples.askel_adapter import AskelAdapter, AskelSettings
from schemas import OrganisationKind, ReferralAccepted, ReferralRequested
from schemas.examples import EXAMPLE_ORGANISATIONS
from tests.docs.askel import Askel, serving  # Askel's API on a free port, in the test

EMPLOYMENT_SERVICES = EXAMPLE_ORGANISATIONS[OrganisationKind.TYOLLISYYS]


@pytest.mark.kafka
async def test_askel_publishes_a_started_referral_and_takes_one_sent_to_it() -> None:
    started = {"id": 7, "status": "started", "client_hetu": "150388-9404"}
    started |= {"referral": "TYO-2026-7", "referred_by": EMPLOYMENT_SERVICES}
    askel = Askel(changes={7: {**started, "changed": "2026-03-09T10:00:00+02:00"}})
    async with serving(askel) as url:
        adapter = AskelAdapter(AskelSettings.model_validate({"url": url, "poll_seconds": 0.05}))
        async with AdapterHarness(adapter, kind=OrganisationKind.JARJESTO) as harness:
            [published] = await harness.published(1)
            outcomes = await harness.deliver(
                ReferralRequested(
                    occurred_at=datetime.fromisoformat("2026-03-10T09:00:00+02:00"),
                    sender=EMPLOYMENT_SERVICES,
                    client="150388-9404",
                    referral_id="TYO-2026-8",
                    receiver=harness.organisation.oid,
                    service="kuntouttava työtoiminta",
                    reason="Työkokeilu",
                )
            )

    assert isinstance(published, ReferralAccepted)
    assert askel.answers[7] == {"event_id": str(published.event_id)}
    assert outcomes == [ReceivedOutcome.HANDLED]
    assert askel.inbox[0]["referral_id"] == "TYO-2026-8"
