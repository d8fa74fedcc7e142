"""Settings: the TOML config file, the environment and `--set`, structured by cattrs into each plugin's settings class.

A connector or sink declares its settings as an attrs class. Every field can come from the
environment as `LEDGERPORT_<PLUGIN>_<FIELD>` (`LEDGERPORT_KUCOIN_PAGE_SIZE`), so a nightly job
needs no file; a field may name a variable of its own too, with `metadata={"env": "NAME"}` (the
source's usual credential names). Later sources win: file, then the field's own variable, then
`LEDGERPORT_...`, then `--set`. Every error names the field path (`connectors.kucoin.page_size`)
so it can be found in the file.

Without `--config`, the CLI reads `LEDGERPORT_CONFIG`, else `$XDG_CONFIG_HOME/ledgerport/config.toml`.
"""

from __future__ import annotations

import os
import re
import tomllib
import typing
import zoneinfo
from collections.abc import Mapping
from datetime import datetime, tzinfo
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

__all__ = [
    "CONFIG_ENV",
    "Books",
    "Config",
    "Origin",
    "book_zone",
    "build_settings",
    "converter",
    "default_config_path",
    "explain_settings",
    "load_config",
    "parse_assignments",
    "setting_variables",
]

CONFIG_ENV = "LEDGERPORT_CONFIG"

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
    """`[books]`: the money the books are kept in, the price files that value everything else in it,
    and whether the journals are kept at cost: `cost_basis` (`none`, `fifo`, `lifo`, `hifo`,
    `average`), `lot_pool`, `fees`, `on_missing_lots` and the `opening_lots` CSV; `timezone`, the
    IANA zone the books are dated in (default UTC).

    The command line's `--home-currency`, `--prices`, `--cost-basis`, `--lot-pool`,
    `--on-missing-lots`, `--opening-lots` and `--timezone` replace these.
    """

    home_currency: str = "USD"
    prices: tuple[str, ...] = ()
    max_age_days: int = DEFAULT_MAX_AGE_DAYS
    cost_basis: str = "none"
    lot_pool: str = "wallet"
    fees: str = "basis"
    on_missing_lots: str = "error"
    opening_lots: str | None = None
    timezone: str | None = None


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


def book_zone(name: str | None) -> tzinfo | None:
    """The time zone the books are dated in; None keeps UTC dates."""
    if name is None:
        return None
    try:
        return zoneinfo.ZoneInfo(name)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        raise ConfigError(
            f"timezone {name!r}: not an IANA time zone name (e.g. Europe/Zurich, America/New_York)"
        ) from None


def load_config(path: str | Path) -> Config:
    path = Path(path)
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise ConfigError(f"cannot read config file {path}: {exc.strerror}") from None
    except UnicodeDecodeError as exc:
        raise ConfigError(f"config file {path} is not UTF-8 text (byte {exc.start})") from None
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


def default_config_path(env: Mapping[str, str] | None = None) -> Path:
    """`$LEDGERPORT_CONFIG`, else the XDG config directory (`$XDG_CONFIG_HOME`, default `~/.config`)."""
    env = os.environ if env is None else env
    if env.get(CONFIG_ENV):
        return Path(env[CONFIG_ENV])
    base = env.get("XDG_CONFIG_HOME") or Path.home() / ".config"
    return Path(base) / "ledgerport" / "config.toml"


def setting_variables(plugin: str, field: attrs.Attribute[Any]) -> list[str]:
    """The environment variables a field is read from, the one that wins last: its own, then ours."""
    ours = "LEDGERPORT_" + re.sub(r"[^A-Z0-9]+", "_", f"{plugin}_{field.alias}".upper())
    own = field.metadata.get("env")
    return [own, ours] if own else [ours]


@attrs.frozen
class Origin:
    """Where one setting's effective value comes from: `default`, `config file`, `$VAR` or `--set`."""

    field: str
    value: Any
    source: str
    secret: bool
    required: bool


def _gather(
    cls: type, plugin: str, file_values: Mapping[str, Any], env: Mapping[str, str], overrides: Mapping[str, str]
) -> dict[str, tuple[Any, str]]:
    """Each given value with where it came from, later sources replacing earlier ones."""
    values = {name: (value, "config file") for name, value in file_values.items()}
    for field in attrs.fields(cls):
        for var in setting_variables(plugin, field):
            if var in env:
                values[field.alias] = (env[var], f"${var}")
    values.update((name, (value, "--set")) for name, value in overrides.items())
    return values


def explain_settings(
    cls: type,
    *,
    path: str,
    file_values: Mapping[str, Any],
    env: Mapping[str, str],
    overrides: Mapping[str, str],
) -> list[Origin]:
    """Every field of `cls` with its value as given (the default where none is) and where it came
    from, for `ledgerport config show`; values are not checked here, `build_settings` does that."""
    given = _gather(cls, path.rpartition(".")[2], file_values, env, overrides)
    rows = []
    for field in attrs.fields(cls):
        secret = field.type in (Secret, "Secret")
        required = field.default is attrs.NOTHING
        if field.alias in given:
            value, source = given[field.alias]
        elif required:
            value, source = None, "not set"
        else:
            default = field.default
            value = default.factory() if isinstance(default, attrs.Factory) else default  # type: ignore[arg-type]
            source = "default"
        rows.append(Origin(field.alias, value, source, secret, required))
    return rows


def build_settings(
    cls: type,
    *,
    path: str,
    file_values: Mapping[str, Any],
    env: Mapping[str, str],
    overrides: Mapping[str, str],
) -> Any:
    """Merge file, environment and overrides into an instance of `cls`; errors name `path.field`.

    `path` is `connectors.NAME` or `sinks.NAME`: its last part is the plugin named in `LEDGERPORT_<PLUGIN>_<FIELD>`.
    """
    plugin = path.rpartition(".")[2]
    values = {name: value for name, (value, _) in _gather(cls, plugin, file_values, env, overrides).items()}
    try:
        return converter.structure(values, cls)
    except Exception as exc:
        message = _describe(exc, path)
        missing = [
            " or ".join(setting_variables(plugin, f))
            for f in attrs.fields(cls)
            if f.default is attrs.NOTHING and f.alias not in values
        ]
        if missing and "required field missing" in message:
            message += f" (set it in the config file or the environment: {', '.join(missing)})"
        raise ConfigError(message) from None
