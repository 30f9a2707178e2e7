"""The client's care network: who works with the client now, the router's standing recipients."""

from consent.network.network import NETWORK_EVENTS, CareNetwork, closes_the_path, network_after
from consent.network.tables import care_network_events, care_network_members

__all__ = [
    "NETWORK_EVENTS",
    "CareNetwork",
    "care_network_events",
    "care_network_members",
    "closes_the_path",
    "network_after",
]
