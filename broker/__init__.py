"""The Saattaja runtime: where transport (Kafka) meets policy (consent)."""
