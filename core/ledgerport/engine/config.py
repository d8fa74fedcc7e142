"""Settings: the TOML config file, the environment and `--set`, structured by cattrs into each plugin's settings class.

A connector or sink declares its settings as an attrs class; a field names its environment
variable with `metadata={"env": "NAME"}`. Later sources win: file, then environment, then `--set`.
Every error names the field path (`connectors.kucoin.page_size`) so it can be found in the file.
"""

from __future__ import annotations

import tomllib
import typing
from collections.abc import Mapping
from datetime import datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

import attrs
import cattrs
from cattrs.v import format_exception

from ..books import Chart
from ..books.prices import DEFAULT_MAX_AGE_DAYS
from ..errors import ConfigError, LedgerportError
from ..model.money import parse_decimal
from ..model.times import parse_instant
from ..secret import Secret

__all__ = ["Books", "Config", "build_settings", "converter", "load_config", "parse_assignments"]

_TRUE = {"true", "yes", "on", "1"}
_FALSE = {"false", "no", "off", "0"}


def _bool(value: Any, _: type) -> bool:
    if isinstance(value, bool):
        return value
    if isinstance(value, str) and value.lower() in _TRUE | _FALSE:
        return value.lower() in _TRUE
    raise ValueError(f"expected true or false, got {value!r}")


def _decimal(value: Any, _: type) -> Decimal:
    return parse_decimal(value)


def _secret(value: Any, _: type) -> Secret:
    if isinstance(value, Secret):
        return value
    if not isinstance(value, str):
        raise ValueError(f"expected a string, got {type(value).__name__}")
    return Secret(value)


def _instant(value: Any, _: type) -> datetime:
    if isinstance(value, datetime):
        return value
    return parse_instant(str(value))


def _is_str_tuple(cls: Any) -> bool:
    return typing.get_origin(cls) is tuple and typing.get_args(cls) == (str, Ellipsis)


def _str_tuple(value: Any, _: type) -> tuple[str, ...]:
    """A list in the file, or `A,B` on the command line and in the environment."""
    if isinstance(value, str):
        return tuple(part.strip() for part in value.split(",") if part.strip())
    if isinstance(value, list | tuple) and all(isinstance(v, str) for v in value):
        return tuple(value)
    raise ValueError(f"expected a list of strings, got {value!r}")


def _make_converter() -> cattrs.Converter:
    conv = cattrs.Converter(forbid_extra_keys=True)
    conv.register_structure_hook(bool, _bool)
    conv.register_structure_hook(Decimal, _decimal)
    conv.register_structure_hook(Secret, _secret)
    conv.register_structure_hook(datetime, _instant)
    conv.register_structure_hook_func(_is_str_tuple, _str_tuple)
    return conv


converter = _make_converter()


@attrs.frozen
class Books:
    """`[books]`: the money the books are kept in, and the price files that value everything else in it.

    `--home-currency` and `--prices` on the command line replace these.
    """

    home_currency: str = "USD"
    prices: tuple[str, ...] = ()
    max_age_days: int = DEFAULT_MAX_AGE_DAYS


@attrs.frozen
class Config:
    """The config file: one table per connector and per sink, each holding that plugin's settings,
    `[journal]`, the chart of accounts of the books, and `[books]`, their currency and prices."""

    connectors: dict[str, dict[str, Any]] = attrs.Factory(dict)
    sinks: dict[str, dict[str, Any]] = attrs.Factory(dict)
    journal: Chart = attrs.Factory(Chart)
    books: Books = attrs.Factory(Books)


def _reason(exc: BaseException, type_: Any) -> str:
    """A settings class's own validation (attrs validators, `__attrs_post_init__`) says best what is
    wrong; cattrs would reduce it to "invalid value"."""
    if isinstance(exc, LedgerportError) or (isinstance(exc, ValueError) and type_ is None and str(exc)):
        return str(exc)
    return format_exception(exc, type_)


def _describe(exc: Exception, path: str) -> str:
    """cattrs says `message @ path`; we lead with the path, as a user scans for it."""
    if isinstance(exc, cattrs.BaseValidationError):
        messages = (m.rpartition(" @ ") for m in cattrs.transform_error(exc, path=path, format_exception=_reason))
        return "; ".join(f"{where}: {what}" for what, _, where in messages)
    return f"{path}: {exc}"


def load_config(path: str | Path) -> Config:
    path = Path(path)
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise ConfigError(f"cannot read config file {path}: {exc.strerror}") from None
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"config file {path} is not valid TOML: {exc}") from None
    try:
        return converter.structure(data, Config)
    except Exception as exc:
        raise ConfigError(f"config file {path}: {_describe(exc, '$')}") from None


def parse_assignments(items: typing.Iterable[str]) -> dict[str, dict[str, str]]:
    """`--set PLUGIN.FIELD=VALUE` items, grouped by plugin name."""
    grouped: dict[str, dict[str, str]] = {}
    for item in items:
        key, sep, value = item.partition("=")
        plugin, dot, field = key.strip().partition(".")
        if not (sep and dot and plugin and field):
            raise ConfigError(f"--set {item!r}: expected PLUGIN.FIELD=VALUE, e.g. kucoin.currency=BTC,ETH")
        grouped.setdefault(plugin, {})[field] = value
    return grouped


def build_settings(
    cls: type,
    *,
    path: str,
    file_values: Mapping[str, Any],
    env: Mapping[str, str],
    overrides: Mapping[str, str],
) -> Any:
    """Merge file, environment and overrides into an instance of `cls`; errors name `path.field`."""
    values: dict[str, Any] = dict(file_values)
    for field in attrs.fields(cls):
        var = field.metadata.get("env")
        if var and var in env:
            values[field.alias] = env[var]
    values.update(overrides)
    try:
        return converter.structure(values, cls)
    except Exception as exc:
        message = _describe(exc, path)
        missing = [f"{f.metadata['env']}" for f in attrs.fields(cls) if "env" in f.metadata and f.alias not in values]
        if missing and "required field missing" in message:
            message += f" (set it in the config file or the environment: {', '.join(missing)})"
        raise ConfigError(message) from None
