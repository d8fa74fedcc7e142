"""The connector's settings: credentials, the login path, page and window sizes, and the optional filters."""

from __future__ import annotations

import attrs

from ledgerport import Secret

from .api import DEFAULT_LOGIN_PATH, EVENT_TYPES


def _absolute_path(instance: object, attribute: attrs.Attribute[str], value: str) -> None:
    if not value.startswith("/"):
        raise ValueError(f"{attribute.name} must start with '/', got {value!r}")


@attrs.frozen
class Settings:
    """`[connectors.onekonto]` in the config file, `ONEKONTO_*` in the environment, `--set onekonto.FIELD=...`.

    `max` is the page size asked for: a server that caps it lower is fine, since paging goes on
    until a page brings nothing new. `window_hours` sizes the windows (each one a commit).
    """

    user: str = attrs.field(metadata={"env": "ONEKONTO_USER"})
    password: Secret = attrs.field(metadata={"env": "ONEKONTO_PASSWORD"})
    login_path: str = attrs.field(default=DEFAULT_LOGIN_PATH, validator=_absolute_path)
    max: int = attrs.field(default=100, validator=attrs.validators.ge(1))
    window_hours: int = attrs.field(default=24, validator=attrs.validators.ge(1))
    asset: str | None = None
    type: str | None = attrs.field(default=None, validator=attrs.validators.optional(attrs.validators.in_(EVENT_TYPES)))
