"""The connector's settings: credentials, the login path, page and window sizes, and the optional filters."""

from __future__ import annotations

import attrs

from ledgerport import ConfigError, Secret, filtering

from .api import DEFAULT_LOGIN_PATH, EVENT_TYPES, NAME


@attrs.frozen
class Settings:
    """`[connectors.onekonto]` in the config file, `ONEKONTO_*` in the environment, `--set onekonto.FIELD=...`.

    `max` is the page size asked for: a server that caps it lower is fine, since paging goes on
    until a page brings nothing new. `window_hours` sizes the windows (each one a commit). `asset`
    and `type` choose which transactions the ledger returns, so an output keeps the ones it began with.
    """

    user: str = attrs.field(metadata={"env": "ONEKONTO_USER"})
    password: Secret = attrs.field(metadata={"env": "ONEKONTO_PASSWORD"})
    login_path: str = DEFAULT_LOGIN_PATH
    max: int = 100
    window_hours: int = 24
    asset: str | None = filtering(default=None)
    type: str | None = filtering(default=None)

    def check(self) -> None:
        """Raise a ConfigError naming the field. Not attrs validators: the settings loader would
        report their messages as a bare "invalid value"."""
        problems = [
            ("user", not self.user, "is empty"),
            ("login_path", not self.login_path.startswith("/"), f"must start with '/', got {self.login_path!r}"),
            ("max", self.max < 1, f"must be at least 1, got {self.max}"),
            ("window_hours", self.window_hours < 1, f"must be at least 1, got {self.window_hours}"),
            ("type", self.type not in (None, *EVENT_TYPES), f"{self.type!r} is not one of {', '.join(EVENT_TYPES)}"),
        ]
        for field, wrong, reason in problems:
            if wrong:
                raise ConfigError(f"connectors.{NAME}.{field}: {reason}")
