"""Settings: the TOML config file, the environment and `--set`, structured by cattrs into each plugin's settings class.

A connector or sink declares its settings as an attrs class. Every field can come from the
environment as `LEDGERPORT_<PLUGIN>_<FIELD>` (`LEDGERPORT_KUCOIN_PAGE_SIZE`), so a nightly job
needs no file; a field may name a variable of its own too, with `metadata={"env": "NAME"}` (the
source's usual credential names). Later sources win: file, then the field's own variable, then
`LEDGERPORT_...`, then `--set`. Every error names the field path (`connectors.kucoin.page_size`)
so it can be found in the file.

Without `--config`, the CLI reads `LEDGERPORT_CONFIG`, else `$XDG_CONFIG_HOME/ledgerport/config.toml`.

`[[accounts]]` tables (`Account`) are read by hand rather than by cattrs, so that each error names
the account by its name, not by its position in the file.
"""

from __future__ import annotations

import os
import re
import string
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
    "Account",
    "Books",
    "Config",
    "Origin",
    "book_zone",
    "build_settings",
    "check_name_placeholder",
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


@attrs.frozen(kw_only=True)
class Account:
    """One `[[accounts]]` table: a source, an account of it and its sinks, synced by `sync --all`.

    `env` maps a variable the connector reads (`KUCOIN_API_KEY`) to the variable that holds this
    account's value (`ACME_KEY`): the table names where each credential is, never the credential,
    so a config of a firm's hundred clients can be shared and kept in version control. `settings`
    are the connector's own, over its `[connectors.SOURCE]` table, for this account only. `{name}`
    in a sink target is replaced by `name`.
    """

    name: str
    source: str
    sinks: tuple[str, ...]
    account: str | None = None
    base_url: str | None = None
    settings: dict[str, Any] = attrs.Factory(dict)
    env: dict[str, str] = attrs.Factory(dict)

    def targets(self) -> tuple[str, ...]:
        """The sinks with `{name}` replaced; `_account` has checked that no other placeholder is there."""
        return tuple(
            f"{kind}:{target.format(name=self.name)}" for kind, _, target in (s.partition(":") for s in self.sinks)
        )


@attrs.frozen
class Config:
    """The config file: one table per connector and per sink, each holding that plugin's settings,
    `[journal]`, the chart of accounts of the books, `[books]`, their currency and prices, and the
    `[[accounts]]` that `sync --all` syncs."""

    connectors: dict[str, dict[str, Any]] = attrs.Factory(dict)
    sinks: dict[str, dict[str, Any]] = attrs.Factory(dict)
    journal: Chart = attrs.Factory(Chart)
    books: Books = attrs.Factory(Books)
    accounts: tuple[Account, ...] = ()


_ACCOUNT_KEYS = tuple(field.name for field in attrs.fields(Account))
_ACCOUNT_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]*")
"""A name goes into file names through `{name}`: no separator, no leading dot, nothing a shell quotes."""
_VARIABLE = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
_ENGINE_KEYS = ("base_url", "account")
_USERINFO = re.compile(r"^[a-z][a-z0-9+.-]*://[^/?#@]*@", re.IGNORECASE)


def _optional_text(table: Mapping[str, Any], key: str, where: str) -> str | None:
    value = table.get(key)
    if value is not None and not (isinstance(value, str) and value):
        raise ConfigError(f"{where}.{key}: expected a non-empty string")
    return value


def _sink_specs(value: Any, where: str) -> tuple[str, ...]:
    """Each `NAME:TARGET`, with `{name}` the only placeholder of the target, and not standard output."""
    if not (isinstance(value, list) and value and all(isinstance(spec, str) for spec in value)):
        raise ConfigError(f'{where}.sinks: expected a list of NAME:TARGET strings, e.g. ["csv:books/{{name}}.csv"]')
    for index, spec in enumerate(value):
        kind, sep, target = spec.partition(":")
        if not (sep and kind and target):
            raise ConfigError(f"{where}.sinks[{index}]: {spec!r}: expected NAME:TARGET, e.g. csv:books/{{name}}.csv")
        if target == "-":
            raise ConfigError(f"{where}.sinks[{index}]: accounts synced together cannot share standard output")
        check_name_placeholder(target, f"{where}.sinks[{index}]: {spec!r}")
    return tuple(value)


def check_name_placeholder(text: str, where: str) -> None:
    """`{name}`, an account's name, is the only placeholder of a path given for many accounts: a typo
    (`{nmae}`) would otherwise become part of a file name, or a KeyError in the middle of the run."""
    try:
        fields = [(field, spec, conversion) for _, field, spec, conversion in string.Formatter().parse(text)]
    except ValueError as exc:
        raise ConfigError(f"{where}: {exc} (write {{{{ and }}}} for a brace)") from None
    for field, spec, conversion in fields:
        if field is not None and (field != "name" or spec or conversion):
            raise ConfigError(f"{where}: unknown placeholder {{{field}}}: only {{name}} is replaced")


def _variables(value: Any, where: str) -> dict[str, str]:
    """`env`: variable names on both sides. A value that is no variable name is most likely the
    credential itself, so the message never shows it."""
    if not isinstance(value, dict):
        raise ConfigError(f'{where}.env: expected a table, e.g. {{ KUCOIN_API_KEY = "ACME_KEY" }}')
    for key, held in value.items():
        if not _VARIABLE.fullmatch(key):
            raise ConfigError(f"{where}.env: {key!r} is not the name of an environment variable")
        if not (isinstance(held, str) and _VARIABLE.fullmatch(held)):
            raise ConfigError(
                f"{where}.env.{key}: expected the name of the environment variable that holds this account's "
                "value, not the value itself (the config names where a credential is, never holds it)"
            )
    return dict(value)


def _account(table: Any, index: int) -> Account:
    if not isinstance(table, dict):
        raise ConfigError(f"accounts[{index}]: expected a table ([[accounts]])")
    name = table.get("name")
    if not isinstance(name, str) or not _ACCOUNT_NAME.fullmatch(name):
        problem = "has no name" if name is None else f"name {name!r} is not letters, digits, '.', '_' and '-'"
        raise ConfigError(f"accounts[{index}] (the {_ordinal(index + 1)} [[accounts]] table) {problem}")
    where = f"accounts[{name}]"
    unknown = sorted(set(table) - set(_ACCOUNT_KEYS))
    if unknown:
        raise ConfigError(f"{where}: unknown key {', '.join(unknown)} (an account has {', '.join(_ACCOUNT_KEYS)})")
    source = table.get("source")
    if not (isinstance(source, str) and source):
        raise ConfigError(f'{where}.source: missing: name the connector, e.g. source = "kucoin"')
    if "sinks" not in table:
        raise ConfigError(f'{where}.sinks: missing: where to write, e.g. sinks = ["csv:books/{{name}}.csv"]')
    settings = table.get("settings", {})
    if not isinstance(settings, dict):
        raise ConfigError(f"{where}.settings: expected a table of the {source} connector's settings")
    for key in _ENGINE_KEYS:
        if key in settings:
            raise ConfigError(f"{where}.settings.{key}: give it as the account's own {key} = ...")
    base_url = _optional_text(table, "base_url", where)
    if base_url is not None and _USERINFO.search(base_url):
        raise ConfigError(f"{where}.base_url: holds a user or password (user:password@): give credentials in env")
    return Account(
        name=name,
        source=source,
        sinks=_sink_specs(table["sinks"], where),
        account=_optional_text(table, "account", where),
        base_url=base_url,
        settings=dict(settings),
        env=_variables(table.get("env", {}), where),
    )


def _ordinal(number: int) -> str:
    suffix = "th" if 10 <= number % 100 <= 20 else {1: "st", 2: "nd", 3: "rd"}.get(number % 10, "th")
    return f"{number}{suffix}"


def _accounts(tables: Any) -> tuple[Account, ...]:
    if not isinstance(tables, list):
        raise ConfigError("accounts: expected [[accounts]] tables")
    accounts = tuple(_account(table, index) for index, table in enumerate(tables))
    seen: dict[str, int] = {}
    for index, account in enumerate(accounts):
        if account.name in seen:
            raise ConfigError(
                f"accounts[{account.name}]: the {_ordinal(seen[account.name] + 1)} and {_ordinal(index + 1)} "
                "[[accounts]] tables have this name: each account needs a name of its own"
            )
        seen[account.name] = index
    return accounts


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
        accounts = _accounts(data.pop("accounts", []))
    except ConfigError as exc:
        raise ConfigError(f"config file {path}: {exc}") from None
    try:
        return attrs.evolve(converter.structure(data, Config), accounts=accounts)
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
