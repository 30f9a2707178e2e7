"""The consent-aware router: outboxes in, decided and audited deliveries to inboxes out."""

from broker.router.candidates import candidate_recipients
from broker.router.collector import (
    IDLE_COLLECTION_MARK,
    YOUNG_GENERATION_THRESHOLD,
    collect_while_waiting,
    settle_collector,
)
from broker.router.dead_letter import dead_letter_record, rejection_notice
from broker.router.incoming import IncomingRecord
from broker.router.ledger import DeliveryLedger
from broker.router.routing import Router, RoutingOutcome
from broker.router.service import RouterService, RouterStatus

__all__ = [
    "IDLE_COLLECTION_MARK",
    "YOUNG_GENERATION_THRESHOLD",
    "DeliveryLedger",
    "IncomingRecord",
    "Router",
    "RouterService",
    "RouterStatus",
    "RoutingOutcome",
    "candidate_recipients",
    "collect_while_waiting",
    "dead_letter_record",
    "rejection_notice",
    "settle_collector",
]
