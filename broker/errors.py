"""Errors raised by the broker runtime.

SaattajaBrokerError
├── AuditStreamError (RuntimeError)    the audit topic cannot say where the stream stopped
├── AuditTopicTakenError (RuntimeError) another audit stream of the group holds the audit topic
├── ConfigurationError (ValueError)    a setting or the registry file is missing or wrong
├── DecodingWorkerError (RuntimeError) a decoding worker exited with records still to decode
├── UnknownOrganisationError (LookupError) no organisation of the registry has that id or OID
├── EmbeddedBrokerError (RuntimeError) the embedded Kafka-protocol broker would not start or stop
├── InvalidPeriodError (ValueError)    a period that is empty, reversed or without a time zone
├── KafkaUnavailableError (ConnectionError) the configured Kafka cluster does not answer
├── OutputFileError (OSError)          a file or folder a command writes into is not writable
├── PartStoppedError (RuntimeError)    a part of `saattaja up` ended while the others ran
├── ReferralIdTakenError (ValueError)  a referral id was claimed for another client meanwhile
├── RouterStoppedError (RuntimeError)  the router's consuming of the outboxes failed or ended
├── TopicError (RuntimeError)          the cluster refused to create or describe a topic
└── UnreadablePathwayError (ValueError) a pathway table holds a value changed by hand
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING

from schemas import ContractError

if TYPE_CHECKING:
    from broker.pathway.referrals import ReferralClaim

__all__ = [
    "AuditStreamError",
    "AuditTopicTakenError",
    "ConfigurationError",
    "DecodingWorkerError",
    "EmbeddedBrokerError",
    "InvalidPeriodError",
    "KafkaUnavailableError",
    "OutputFileError",
    "PartStoppedError",
    "ReferralIdTakenError",
    "RouterStoppedError",
    "SaattajaBrokerError",
    "TopicError",
    "UndecodableRecordError",
    "UnknownOrganisationError",
    "UnreadablePathwayError",
]


class SaattajaBrokerError(Exception):
    """Root of every error the broker runtime raises."""


class ConfigurationError(SaattajaBrokerError, ValueError):
    """A setting, or the organisation registry, is missing or invalid."""


class DecodingWorkerError(SaattajaBrokerError, RuntimeError):
    """A decoding worker process exited before it answered.

    While routing, the batch is routed again and the pool starts another worker first.
    """


class UnknownOrganisationError(SaattajaBrokerError, LookupError):
    """An organisation id or OID that the registry does not list.

    LookupError rather than KeyError: KeyError quotes its message when printed.
    """


class EmbeddedBrokerError(SaattajaBrokerError, RuntimeError):
    """The embedded broker could not be started, reached or stopped."""


class InvalidPeriodError(SaattajaBrokerError, ValueError):
    """A period whose start is not before its end, or given in wall-clock time without a zone."""


class KafkaUnavailableError(SaattajaBrokerError, ConnectionError):
    """The Kafka cluster named in the settings cannot be reached."""


class OutputFileError(SaattajaBrokerError, OSError):
    """A file or folder given to a command to write into cannot be written there."""


class PartStoppedError(SaattajaBrokerError, RuntimeError):
    """A part of ``saattaja up`` (the embedded broker, the audit stream) failed or ended,
    so the others were stopped too."""


class ReferralIdTakenError(SaattajaBrokerError, ValueError):
    """Requests to be decided on under referral ids claimed for other clients meanwhile.

    Another router process decided on a request under the same id for another client
    after this one read the claims. Nothing was recorded; ``claims`` gives, by (requester,
    referral id), the claim on record, against which the requests must be refused.
    """

    def __init__(self, claims: Mapping[tuple[str, str], ReferralClaim]) -> None:
        self.claims = dict(claims)
        keys = ", ".join(f"{referral_id} of {requester}" for requester, referral_id in claims)
        super().__init__(
            f"referral id {keys} was claimed for another client meanwhile: the requests "
            "under it must be refused"
        )


class RouterStoppedError(SaattajaBrokerError, RuntimeError):
    """The router's consuming of the outboxes failed or ended while the process ran on.

    It retries what a store or Kafka being away fails, so this is a bug or a consumer
    stopped under it: the process has to end, for a supervisor to start it again.
    """


class TopicError(SaattajaBrokerError, RuntimeError):
    """The cluster answered but refused to create or describe a topic."""


class AuditStreamError(SaattajaBrokerError, RuntimeError):
    """The audit topic cannot say where the stream stopped: a message the stream did not
    write, or records its retention removed."""


class AuditTopicTakenError(SaattajaBrokerError, RuntimeError):
    """Another audit stream of the group holds the audit topic and ships the log."""


class UndecodableRecordError(SaattajaBrokerError, ContractError):
    """Decoding a record raised what no contract check names: the record is refused.

    A ContractError, so that the router sends the record to the dead-letter topic and
    goes on, rather than retrying for ever what will fail the same way every time.
    """


class UnreadablePathwayError(SaattajaBrokerError, ValueError):
    """A pathway table holds a value that cannot be read back: changed by hand after it was
    written, as SQLite keeps any text in a time or JSON column.

    The router waits, routing nothing, until the value is put right: the pathway decides
    what is handed over.
    """
