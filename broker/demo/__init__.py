"""The one-machine demo (`saattaja demo`, `make run`): five organisations and one client's journey.

``DemoStack`` starts the broker, the router and the five reference adapters with their
example source systems; ``journey_steps`` is the story; ``JourneyPlayer`` feeds each step
through the adapters' real entry points and collects what the router decided and what
arrived; ``Narrator`` prints it for a person; ``DecisionWatch`` follows what comes after.
"""

from broker.demo.errors import DemoError, FeedError, StepTimeoutError
from broker.demo.journey import DEMO_CLIENT, JourneyStep, journey_steps
from broker.demo.narration import Narrator, event_in_words, reason_in_words
from broker.demo.player import Decision, JourneyPlayer, StepOutcome
from broker.demo.sources import feed, feeding_address, received
from broker.demo.stack import DemoStack, FhirSystem, FolderSystem, SqlSystem
from broker.demo.watch import DecisionWatch

__all__ = [
    "DEMO_CLIENT",
    "Decision",
    "DecisionWatch",
    "DemoError",
    "DemoStack",
    "FeedError",
    "FhirSystem",
    "FolderSystem",
    "JourneyPlayer",
    "JourneyStep",
    "Narrator",
    "SqlSystem",
    "StepOutcome",
    "StepTimeoutError",
    "event_in_words",
    "feed",
    "feeding_address",
    "journey_steps",
    "reason_in_words",
    "received",
]
