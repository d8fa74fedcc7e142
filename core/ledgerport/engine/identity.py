"""An output's identity: everything that decides *which* entries it holds, as plain data for the state."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit, urlunsplit

import attrs

from ..sdk.connector import SyncContext

__all__ = ["identity", "without_userinfo"]


def without_userinfo(url: str) -> str:
    """The URL without `user:password@`: credentials never reach the state file or a message."""
    parts = urlsplit(url)
    if parts.username is None and parts.password is None:
        return url
    host = parts.hostname or ""
    netloc = f"{host}:{parts.port}" if parts.port else host
    return urlunsplit(parts._replace(netloc=netloc))


def _plain(value: Any) -> Any:
    if isinstance(value, tuple | list):
        return [_plain(v) for v in value]
    return value if value is None or isinstance(value, bool | int | str) else str(value)


def identity(ctx: SyncContext, settings: Any) -> dict[str, Any]:
    """Source, account, base URL and every setting the connector marks with `filtering()`."""
    filters = (
        {
            field.name: _plain(getattr(settings, field.name))
            for field in attrs.fields(type(settings))
            if field.metadata.get("filter")
        }
        if attrs.has(type(settings))
        else {}
    )
    return {"source": ctx.source, "account": ctx.account, "base_url": without_userinfo(ctx.base_url), **filters}
