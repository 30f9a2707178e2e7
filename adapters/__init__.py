"""Adapters beside each organisation's client system: the SDK and the reference adapters.

An adapter uses ``schemas`` to build events and the transport pieces of ``broker`` to
publish to its organisation's outbox and read its inbox; ``adapters.sdk`` does both.
"""

__all__: list[str] = []
