"""Consent store, consent decisions and the tamper-evident audit log.

Not built yet (issue 3): ``consent`` uses ``schemas`` only, so that decisions never
depend on the transport or on an organisation's system.
"""

__all__: list[str] = []
