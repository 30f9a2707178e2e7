"""What is wrong with settings read from the environment, each problem named by its variable.

For the broker's settings and for every adapter's settings model alike.
"""

from __future__ import annotations

from pydantic import ValidationError
from pydantic_core import ErrorDetails
from pydantic_settings import BaseSettings, SettingsError

__all__ = ["describe_setting_problems"]


def describe_setting_problems(
    model: type[BaseSettings], error: ValidationError | SettingsError
) -> str:
    """The problems of ``error``, each after the environment variable it comes from."""
    prefix = str(model.model_config.get("env_prefix") or "")
    if isinstance(error, SettingsError):
        return _unparsed(prefix, model, error)
    return "; ".join(_problem(prefix, detail) for detail in error.errors())


def _problem(prefix: str, error: ErrorDetails) -> str:
    message = error["msg"].removeprefix("Value error, ")
    if not error["loc"]:
        return message  # a rule over several settings names them in its message
    field, *inside = error["loc"]
    # Only the field is the variable: the rest is a key or an index inside its value.
    within = "".join(f", entry {part!r}" for part in inside if part != "[key]")
    return f"{prefix}{field}".upper() + f"{within}: {message}"


def _unparsed(prefix: str, model: type[BaseSettings], error: SettingsError) -> str:
    # pydantic-settings says which field only in its message, when a complex (JSON) value
    # cannot be decoded.
    field = next((name for name in model.model_fields if f'field "{name}"' in str(error)), None)
    if field is None:
        return str(error)
    return (
        f"{prefix}{field}".upper()
        + f": is not valid JSON ({error.__cause__}); write the value as JSON"
    )
