"""A secret the deployment chose, not one copied from an example.

The environment examples in deploy/systemd and the demo's pseudonym secret are published:
a process started with one of them would key the region's pseudonyms, or guard an intake,
with a secret anyone can read. Each holds ``change-me``, and so does no generated secret.
The contract's examples are pseudonymised with a secret of their own, published too so that
``saattaja schemas validate --example-secret`` can check them; it is refused by name.
"""

from __future__ import annotations

from typing import Annotated, Final

from pydantic import AfterValidator, SecretStr

from schemas.examples import EXAMPLE_PSEUDONYM_SECRET

__all__ = ["PLACEHOLDER_MARK", "ChosenSecret"]

PLACEHOLDER_MARK: Final = "change-me"
_PUBLISHED: Final = frozenset({EXAMPLE_PSEUDONYM_SECRET.decode()})


def _not_a_placeholder(secret: SecretStr) -> SecretStr:
    if PLACEHOLDER_MARK in secret.get_secret_value().lower():
        raise ValueError(
            f"still holds a published placeholder (it contains '{PLACEHOLDER_MARK}'), which "
            "anyone can read: replace it with a secret of your own (e.g. `openssl rand -hex 32`)"
        )
    if secret.get_secret_value().strip() in _PUBLISHED:
        raise ValueError(
            "is the example secret published in schemas/examples (EXAMPLE_PSEUDONYM_SECRET), "
            "with which anyone can compute the pseudonyms: replace it with a secret of your "
            "own (e.g. `openssl rand -hex 32`)"
        )
    return secret


ChosenSecret = Annotated[SecretStr, AfterValidator(_not_a_placeholder)]
"""A ``SecretStr`` refused while it still holds an example's placeholder."""
