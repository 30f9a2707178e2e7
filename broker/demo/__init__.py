"""The one-machine demo (`saattaja demo`, `make run`): five organisations and one client's journey.

``DemoStack`` starts the broker, the router (on a ``DemoClock`` the story can move on) and
the five reference adapters with their example source systems; ``journey_steps`` is the
story; ``JourneyPlayer`` feeds each step through the adapters' real entry points and
collects what the router decided, what it sent because of it and what arrived;
``synthetic_population`` is the other clients whose paths give the indicators figures;
``tell`` plays it all and ``Narrator`` prints it for a person; ``DecisionWatch`` follows
what comes after.
"""

from broker.demo.clock import DemoClock
from broker.demo.errors import DemoError, FeedError, StepTimeoutError
from broker.demo.inbox import from_inbox
from broker.demo.journey import DEMO_CLIENT, JourneyStep, Step, TimePasses, journey_steps
from broker.demo.narration import Narrator, event_in_words, finnish_time, reason_in_words
from broker.demo.player import Decision, JourneyPlayer, StepOutcome
from broker.demo.population import Population, synthetic_population
from broker.demo.sources import feed, feeding_address, received
from broker.demo.stack import DemoStack, FhirSystem, FolderSystem, SqlSystem
from broker.demo.story import Told, tell
from broker.demo.watch import DecisionWatch, report_stopped_adapters

__all__ = [
    "DEMO_CLIENT",
    "Decision",
    "DecisionWatch",
    "DemoClock",
    "DemoError",
    "DemoStack",
    "FeedError",
    "FhirSystem",
    "FolderSystem",
    "JourneyPlayer",
    "JourneyStep",
    "Narrator",
    "Population",
    "SqlSystem",
    "Step",
    "StepOutcome",
    "StepTimeoutError",
    "TimePasses",
    "Told",
    "event_in_words",
    "feed",
    "feeding_address",
    "finnish_time",
    "from_inbox",
    "journey_steps",
    "reason_in_words",
    "received",
    "report_stopped_adapters",
    "synthetic_population",
    "tell",
]
