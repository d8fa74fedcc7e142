"""The kucoin connector's settings: credentials, key version, request filters and page size."""

from __future__ import annotations

from typing import Any

import attrs

from ledgerport import ConfigError, Secret, filtering

__all__ = ["MAX_CURRENCIES", "Settings"]

MAX_CURRENCIES = 10
"""KuCoin accepts at most this many currencies in one `currency` filter."""

KEY_VERSIONS = (2, 3)
DIRECTIONS = ("in", "out")
PAGE_SIZES = range(10, 501)


def _check(ok: bool, field: str, message: str) -> None:
    """Raises a ConfigError, whose text the core keeps, where a ValueError would be reduced to 'invalid value'."""
    if not ok:
        raise ConfigError(f"{field}: {message}")


def _key_version(_: Any, attribute: attrs.Attribute[int], value: int) -> None:
    _check(value in KEY_VERSIONS, attribute.name, f"KuCoin API key version must be 2 or 3, got {value}")


def _currencies(_: Any, attribute: attrs.Attribute[tuple[str, ...]], value: tuple[str, ...]) -> None:
    _check(
        len(value) <= MAX_CURRENCIES,
        attribute.name,
        f"KuCoin filters on at most {MAX_CURRENCIES} currencies at once, got {len(value)}",
    )


def _direction(_: Any, attribute: attrs.Attribute[str | None], value: str | None) -> None:
    _check(value is None or value in DIRECTIONS, attribute.name, f"expected 'in' or 'out', got {value!r}")


def _page_size(_: Any, attribute: attrs.Attribute[int], value: int) -> None:
    _check(value in PAGE_SIZES, attribute.name, f"KuCoin pages hold 10 to 500 entries, got {value}")


@attrs.frozen(kw_only=True)
class Settings:
    """`[connectors.kucoin]` in the config file; credentials usually come from the environment.

    `currency`, `direction` and `biz_type` choose which entries KuCoin returns, so they are declared
    with `filtering`: the engine then refuses to continue an output synced with other values.
    """

    api_key: Secret = attrs.field(metadata={"env": "KUCOIN_API_KEY"})
    api_secret: Secret = attrs.field(metadata={"env": "KUCOIN_API_SECRET"})
    api_passphrase: Secret = attrs.field(metadata={"env": "KUCOIN_API_PASSPHRASE"})
    key_version: int = attrs.field(default=3, validator=_key_version, metadata={"env": "KUCOIN_API_KEY_VERSION"})
    currency: tuple[str, ...] = filtering(default=(), validator=_currencies)
    direction: str | None = filtering(default=None, validator=_direction)
    biz_type: str | None = filtering(default=None)
    page_size: int = attrs.field(default=500, validator=_page_size)
