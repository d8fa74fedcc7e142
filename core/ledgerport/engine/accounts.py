"""Many accounts from one config: `sync --all` runs each `[[accounts]]` table as one `sync()`, side by side.

A sync waits on the network far more than it computes, so threads are enough, and each account is
exactly the sync a single-account run does: its own request (source, account, base URL, sinks, its
settings over the connector's table), its own environment (the table's `env` renames applied), its
own HTTP client and rate budgets, its own connection to the shared state file. One account's failure
is its result, not the run's; the others go on.

Everything a typo can break is checked before the first account starts, naming the account and
the field: an unknown connector, sink, setting or variable, a credential written into the table,
two accounts writing one file. What only the run can know (a variable that is not set, a key the
source refuses) fails that account alone.
"""

from __future__ import annotations

import contextvars
import logging
import os
import threading
import typing
from collections.abc import Callable, Iterable, Mapping, Sequence
from concurrent.futures import Future, ThreadPoolExecutor, as_completed
from pathlib import Path
from typing import Any

import attrs

from ..errors import ConfigError, LedgerportError, PluginError
from ..sdk.connector import Connector
from ..secret import Secret
from .config import Account, Config, check_name_placeholder, load_config, parse_assignments, setting_variables
from .plugins import Registry, default_registry
from .preflight import known_targets, warn_if_exposed
from .reader import Progress
from .request import SyncRequest
from .state import StateStore
from .sync import SyncReport, sync

__all__ = [
    "DEFAULT_JOBS",
    "QUARANTINE",
    "AccountInterrupted",
    "AccountLogFilter",
    "AccountResult",
    "account_env",
    "account_request",
    "check_accounts",
    "sync_accounts",
]

log = logging.getLogger(__name__)

DEFAULT_JOBS = 4
"""Accounts synced at once unless told otherwise: each is mostly waiting on its source."""

QUARANTINE = "ledgerport-quarantine-{name}.jsonl"
"""The default quarantine of an account: one file each, as accounts synced at once would
otherwise append to one file together."""

_CURRENT: contextvars.ContextVar[str | None] = contextvars.ContextVar("ledgerport_account", default=None)


class AccountInterrupted(LedgerportError):
    """The run was stopped (Ctrl-C, SIGTERM) before this account finished; what it committed stays."""


class _Stop(BaseException):
    """Raised inside an account's sync, at its next page or wait, once the run is stopped: a
    BaseException, so that nothing on the way takes it for a source's error and retries."""


class AccountLogFilter(logging.Filter):
    """Leads each line logged while an account runs with its name: the lines of accounts synced
    side by side interleave, and a line that does not say whose it is cannot be acted on."""

    def filter(self, record: logging.LogRecord) -> bool:
        name = _CURRENT.get()
        if name is not None and isinstance(record.msg, str) and getattr(record, "ledgerport_account", None) is None:
            record.msg = f"{name}: {record.msg}"  # names hold no `%` (`Account` checks them)
            record.ledgerport_account = name
        return True


@attrs.frozen
class AccountResult:
    """One account's outcome: its report, or the error that stopped it while the others went on."""

    name: str
    request: SyncRequest
    report: SyncReport | None = None
    error: Exception | None = None

    @property
    def ok(self) -> bool:
        return self.error is None


def _secret_fields(settings_class: type) -> set[str]:
    return {name for name, kind in typing.get_type_hints(settings_class).items() if kind in (Secret, Secret | None)}


def _fields_by_variable(connector_class: type[Connector[Any]]) -> dict[str, attrs.Attribute[Any]]:
    """Every environment variable the connector's settings are read from, with its field."""
    return {
        variable: field
        for field in attrs.fields(connector_class.settings_class)
        for variable in setting_variables(connector_class.name, field)
    }


def account_env(account: Account, connector_class: type[Connector[Any]], environ: Mapping[str, str]) -> dict[str, str]:
    """The environment one account's sync reads: `environ`, with the account's renames applied.

    Every variable of a renamed setting is dropped first (`LEDGERPORT_KUCOIN_API_KEY` as well as
    `KUCOIN_API_KEY`): the default credentials, set for single-account syncs, would otherwise win
    over the account's own or stand in for one that is missing, and the account would be synced
    with somebody else's key."""
    fields = _fields_by_variable(connector_class)
    env = dict(environ)
    for wanted in account.env:
        for variable in setting_variables(connector_class.name, fields[wanted]):
            env.pop(variable, None)
    for wanted, holder in account.env.items():
        if not environ.get(holder):
            raise ConfigError(
                f"accounts[{account.name}].env.{wanted}: ${holder} is not set (or empty), and this account's "
                f"{fields[wanted].name} is read from it alone"
            )
        env[wanted] = environ[holder]
    return env


def account_request(common: SyncRequest, account: Account, config: Config) -> SyncRequest:
    """`common` (since, until, state, policies: what applies to every account) made this account's:
    its source, account, base URL and sinks, its settings over the connector's table, its own
    quarantine file."""
    table = {**config.connectors.get(account.source, {}), **account.settings}
    return attrs.evolve(
        common,
        source=account.source,
        sinks=account.targets(),
        account=account.account,
        base_url=account.base_url,
        config=attrs.evolve(config, connectors={**config.connectors, account.source: table}),
        quarantine=str(common.quarantine).format(name=account.name),
    )


def _check_one(account: Account, registry: Registry) -> None:
    where = f"accounts[{account.name}]"
    try:
        connector_class = registry.connector(account.source)
    except PluginError as exc:
        raise ConfigError(f"{where}.source: {exc}") from None
    for index, spec in enumerate(account.sinks):
        try:
            registry.sink_type(spec.partition(":")[0])
        except PluginError as exc:
            raise ConfigError(f"{where}.sinks[{index}]: {exc}") from None
    settings_class = connector_class.settings_class
    known = {field.alias for field in attrs.fields(settings_class)}
    secrets = _secret_fields(settings_class)
    fields = _fields_by_variable(connector_class)
    for key in account.settings:
        if key in secrets:
            variable = setting_variables(account.source, attrs.fields_dict(settings_class)[key])[0]
            raise ConfigError(
                f"{where}.settings.{key}: a credential does not belong in the config file: put it in a variable "
                f'of its own and name that in the account\'s env ({variable} = "ITS_VARIABLE")'
            )
        if key not in known:
            raise ConfigError(
                f"{where}.settings.{key}: {account.source} has no such setting ({', '.join(sorted(known))})"
            )
    renamed: dict[str, str] = {}
    for wanted in account.env:
        field = fields.get(wanted)
        if field is None:
            raise ConfigError(
                f"{where}.env.{wanted}: {account.source} reads no such variable ({', '.join(sorted(fields))})"
            )
        if field.name in renamed:
            raise ConfigError(f"{where}.env: {renamed[field.name]} and {wanted} both give {field.name}: keep one")
        renamed[field.name] = wanted
    missing = sorted(secrets - set(renamed))
    if renamed.keys() & secrets and missing:
        names = ", ".join(setting_variables(account.source, attrs.fields_dict(settings_class)[m])[0] for m in missing)
        raise ConfigError(
            f"{where}.env: renames {', '.join(sorted(renamed.keys() & secrets))} but not {', '.join(missing)}: an "
            f"account's credentials all come from its own variables, never partly from the defaults (add {names})"
        )


def check_accounts(config: Config, registry: Registry, only: Iterable[str] = ()) -> list[Account]:
    """The accounts to sync (all, or those named in `only`), each checked against the installed
    plugins, none sharing a file with another; every error names the account and the field."""
    if not config.accounts:
        raise ConfigError("the config has no [[accounts]] table: add one per account (name, source, sinks, env)")
    names = {account.name for account in config.accounts}
    unknown = [name for name in only if name not in names]
    if unknown:
        raise ConfigError(
            f"--only {', '.join(unknown)}: no [[accounts]] table has that name ({', '.join(sorted(names))})"
        )
    chosen = [account for account in config.accounts if not only or account.name in set(only)]
    for account in chosen:
        _check_one(account, registry)
    _one_account_per_file(chosen)
    return chosen


def _one_account_per_file(accounts: Sequence[Account]) -> None:
    """Two accounts appending to one file would be refused by its lock at run time, one of them
    after the other had begun; a target without `{name}` is the usual cause, so say so first.
    A database (`sql:postgresql://...`, `sql:sqlite:///...`) keys its rows by source and account
    and is shared by design."""
    users: dict[Path, str] = {}
    for account in accounts:
        for spec in account.targets():
            target = spec.partition(":")[2]
            if "://" in target:
                continue
            path = Path(target).resolve()
            if users.setdefault(path, account.name) != account.name:
                raise ConfigError(
                    f"accounts[{account.name}].sinks: {spec} is also written by accounts[{users[path]}]: give each "
                    "account its own file, e.g. with {name} in the target"
                )


def sync_accounts(
    common: SyncRequest,
    *,
    only: Sequence[str] = (),
    jobs: int = DEFAULT_JOBS,
    registry: Registry | None = None,
    env: Mapping[str, str] | None = None,
    progress: Callable[[str], Callable[[Progress], None] | None] | None = None,
    done: Callable[[AccountResult], None] | None = None,
    stop: threading.Event | None = None,
) -> list[AccountResult]:
    """Syncs the `[[accounts]]` of `common.config` (or those named in `only`), `jobs` at a time.

    `common` holds what applies to every account (range, state file, policies, bounds); its
    `source`, `sinks`, `account` and `base_url` are replaced by each account's, and `{name}` in its
    `quarantine` by the account's name (it must be there if records may be skipped). `env`
    (default `os.environ`) is where the accounts' variables are read from. `progress(name)` gives
    the callback of one account's sync, if any; `done` is called in the calling thread as each
    account ends. Returns one result per account, in the config's order.

    A config error stops the run before any account starts. `stop`, set from another thread, stops
    every account at its next page or wait, and starts no other: each keeps what it committed and
    ends as `AccountInterrupted`. A Ctrl-C or SIGTERM in the calling thread does the same, then is
    raised again once every account is reported.
    """
    registry = registry or default_registry()
    environ = os.environ if env is None else env
    if common.config is None:
        raise ConfigError("syncing every account needs the config file that lists them: give --config FILE")
    config = common.config if isinstance(common.config, Config) else load_config(common.config)
    if jobs < 1:
        raise ConfigError(f"jobs must be at least 1, not {jobs}")
    check_name_placeholder(str(common.quarantine), f"quarantine {common.quarantine}")
    skipping = "skip" in (common.on_bad_record, common.on_missing_price)
    if skipping and "{name}" not in str(common.quarantine):
        raise ConfigError(
            f"quarantine {common.quarantine}: accounts synced together need one file each: put {{name}} in it"
        )
    known_targets(config, parse_assignments(common.options), registry)
    chosen = check_accounts(config, registry, only)
    if not isinstance(common.config, Config):
        for source in dict.fromkeys(account.source for account in chosen):
            connector_class = registry.connector(source)
            warn_if_exposed(Path(common.config), connector_class.settings_class, config.connectors.get(source, {}))
    if common.state is not None:
        # made (or migrated) once, here, rather than by many accounts racing to create it
        StateStore(common.state).close()
    stop = threading.Event() if stop is None else stop
    requests = {account.name: account_request(common, account, config) for account in chosen}
    not_started = "not started: the run was stopped first"

    def pause(seconds: float) -> None:
        """The sync's waits (a retry's backoff, a spent rate budget), cut short when the run stops."""
        if stop.wait(seconds):
            raise _Stop

    def run(account: Account) -> AccountResult:
        request = requests[account.name]
        follow = progress(account.name) if progress else None

        def watch(snapshot: Progress) -> None:
            if stop.is_set():
                raise _Stop
            if follow is not None:
                follow(snapshot)

        if stop.is_set():
            return AccountResult(account.name, request, error=AccountInterrupted(not_started))
        token = _CURRENT.set(account.name)
        try:
            account_environ = account_env(account, registry.connector(account.source), environ)
            report = sync(request, registry=registry, env=account_environ, progress=watch, sleep=pause)
        except _Stop:
            stopped = "stopped before it finished: what it committed stays, and the next run resumes from there"
            return AccountResult(account.name, request, error=AccountInterrupted(stopped))
        except Exception as exc:
            log.debug("%s failed", account.name, exc_info=True)
            return AccountResult(account.name, request, error=exc)
        finally:
            _CURRENT.reset(token)
        return AccountResult(account.name, request, report=report)

    results: dict[str, AccountResult] = {}

    def finish(result: AccountResult) -> None:
        results[result.name] = result
        if done is not None:
            done(result)

    with ThreadPoolExecutor(max_workers=min(jobs, len(chosen)), thread_name_prefix="ledgerport-account") as pool:
        futures: dict[Future[AccountResult], Account] = {pool.submit(run, account): account for account in chosen}
        try:
            for future in as_completed(futures):
                finish(future.result())
        except BaseException:
            stop.set()
            for future, account in futures.items():
                if future.cancel():
                    finish(AccountResult(account.name, requests[account.name], error=AccountInterrupted(not_started)))
            for future in as_completed(futures):
                if not future.cancelled() and future.result().name not in results:
                    finish(future.result())
            raise
    return [results[account.name] for account in chosen]
