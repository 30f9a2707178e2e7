"""Adapters beside each organisation's client system: the SDK and the reference adapters.

Not built yet (issue 4): an adapter will use ``schemas`` to build events and the transport
pieces of ``broker`` to publish to its organisation's outbox and read its inbox.
"""

__all__: list[str] = []
