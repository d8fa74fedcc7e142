"""Books that can be included (issue 15): the demo's KuCoin and 1Konto outputs, and two 1Konto accounts,
included into one main file that already opens (declares) `Assets:Bank`, accepted by bean-check,
`hledger check -s` and `ledger --pedantic`, for each `declarations` setting of the journal sinks."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from ledgerport_kucoin.sandbox.demo import PRICES as KUCOIN_PRICES
from ledgerport_kucoin.sandbox.demo import demo_sandbox
from ledgerport_ledger import ledger_commodity
from ledgerport_onekonto.sandbox import Sandbox
from ledgerport_onekonto.sandbox.demo import PASSWORD, USER, generate_demo_ledger
from ledgerport_onekonto.sandbox.demo import PRICES as ONEKONTO_PRICES

import ledgerport
from ledgerport import SandboxServer, StateError, write_daily_prices
from ledgerport.sdk.journalfile import declarations_path
from ledgerport.testing import bean_check, hledger, ledger

SINCE = datetime(2024, 1, 1, tzinfo=UTC)
KUCOIN_DAYS, ONEKONTO_DAYS = 60, 14
MODES = ("inline", "none", "separate")
OUTPUTS = ("kucoin", "onekonto-1", "onekonto-2")


def _sync(
    connector: str, url: str, env: dict[str, str], out: Path, name: str, days: int, mode: str | None, **extra: object
) -> None:
    prices = write_daily_prices(out / f"{name}-prices.csv", extra.pop("prices"), SINCE.date(), days)  # type: ignore[arg-type]
    request = ledgerport.SyncRequest(
        source=connector,
        since=SINCE,
        until=SINCE + timedelta(days=days),
        base_url=url,
        sinks=[f"beancount:{out / f'{name}.beancount'}", f"ledger:{out / f'{name}.journal'}"],
        options=[f"beancount.declarations={mode}", f"ledger.declarations={mode}"] if mode else [],
        state=out / f"{name}-state.json",
        quarantine=out / f"{name}-quarantine.jsonl",
        prices=[prices],
        home_currency="USD",
        **extra,  # type: ignore[arg-type]
    )
    registry = ledgerport.Registry.load(env={"LEDGERPORT_PLUGINS": f"{connector},beancount,ledger"})
    ledgerport.sync(request, registry=registry, env=env)


def _sync_all(out: Path, mode: str) -> None:
    sandbox = demo_sandbox(SINCE)
    with sandbox.serve() as server:
        _sync("kucoin", server.url, sandbox.credentials.env(), out, "kucoin", KUCOIN_DAYS, mode, prices=KUCOIN_PRICES)
    env = {"ONEKONTO_USER": USER, "ONEKONTO_PASSWORD": PASSWORD}
    until = SINCE + timedelta(days=ONEKONTO_DAYS)
    for n in (1, 2):  # two accounts of the 1Konto sandbox, each its own output
        account = f"DEMO-{n}"
        books = generate_demo_ledger(account=account, seed=n, since=SINCE, until=until, events=180)
        with SandboxServer(Sandbox(books, user=USER, password=PASSWORD)) as server:
            _sync(
                "onekonto",
                server.url,
                env,
                out,
                f"onekonto-{n}",
                ONEKONTO_DAYS,
                mode,
                prices=ONEKONTO_PRICES,
                account=account,
            )


def _books(factory: pytest.TempPathFactory, mode: str) -> Path:
    """The demo's three outputs synced with `mode`, once per test session."""
    out = factory.getbasetemp() / f"books-{mode}"
    if not (out / "done").exists():
        out.mkdir(exist_ok=True)
        _sync_all(out, mode)
        (out / "done").touch()
    return out


@pytest.fixture(scope="module", params=MODES)
def outputs(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> tuple[str, Path]:
    return request.param, _books(tmp_path_factory, request.param)


def _main_beancount(out: Path, mode: str, names: tuple[str, ...]) -> Path:
    lines = {
        "inline": ['plugin "ledgerport_beancount.merge_declarations"'],
        "none": ['plugin "beancount.plugins.auto_accounts"'],
        "separate": ['plugin "ledgerport_beancount.merge_declarations"'],
    }[mode]
    # the main file's own accounts, and one that an output opens too
    lines += [
        "2020-01-01 open Assets:Bank",
        "2020-01-01 open Equity:Opening-Balances",
        "2020-01-01 open Equity:1Konto:External",
    ]
    if mode == "separate":
        lines += [f'include "{Path(declarations_path(str(out / f"{n}.beancount"))).name}"' for n in names]
    lines += [f'include "{n}.beancount"' for n in names]
    lines += ['2024-01-02 * "Bank" "a main-file transaction"', "  Assets:Bank  10 USD", "  Equity:Opening-Balances"]
    main = out / f"main-{'-'.join(names)}.beancount"
    main.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return main


def _main_journal(out: Path, mode: str, names: tuple[str, ...]) -> Path:
    # the main file's own declarations, and some that an output makes too
    lines = ["account Assets:Bank", "account Equity:Opening-Balances", "account Equity:1Konto:External"]
    lines += ["commodity USD", "    format 1.000000000000000000 USD", "tag entry_ids"]
    if mode == "none":  # the main file declares: here, every name the outputs use
        lines += _declarations_of(out, names)
    if mode == "separate":
        lines += [f"include {Path(declarations_path(str(out / f'{n}.journal'))).name}" for n in names]
    lines += [f"include {n}.journal" for n in names]
    lines += [
        "",
        "2024-01-02 (bank-1) a main-file transaction",
        "    Assets:Bank  10 USD",
        "    Equity:Opening-Balances",
    ]
    main = out / f"main-{'-'.join(names)}.journal"
    main.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return main


def _declarations_of(out: Path, names: tuple[str, ...]) -> list[str]:
    """What a user of `none` declares: hledger lists the accounts and commodities the outputs use."""
    lines = []
    for name in names:
        path = out / f"{name}.journal"
        lines += [f"account {a}" for a in hledger(path, "accounts").split()]
        lines += [f"commodity {ledger_commodity(c)}" for c in hledger(path, "commodities").split()]
    return lines


PAIRS = [("kucoin", "onekonto-1"), ("onekonto-1", "onekonto-2"), ("kucoin", "onekonto-1", "onekonto-2")]


@pytest.mark.parametrize("names", PAIRS, ids=["+".join(p) for p in PAIRS])
def test_bean_check_accepts_a_main_file_including_several_outputs(
    outputs: tuple[str, Path], names: tuple[str, ...]
) -> None:
    mode, out = outputs
    bean_check(_main_beancount(out, mode, names))


@pytest.mark.parametrize("names", PAIRS, ids=["+".join(p) for p in PAIRS])
def test_hledger_and_ledger_accept_a_main_journal_including_several_outputs(
    outputs: tuple[str, Path], names: tuple[str, ...]
) -> None:
    mode, out = outputs
    main = _main_journal(out, mode, names)
    hledger(main, "check", "-s")
    ledger(main, "bal")


def test_each_output_stands_alone_where_its_declarations_are_its_own(outputs: tuple[str, Path]) -> None:
    """inline: each file alone passes every checker; separate: each file with its own sidecar does."""
    mode, out = outputs
    for name in OUTPUTS:
        if mode == "inline":
            bean_check(out / f"{name}.beancount")
            hledger(out / f"{name}.journal", "check", "-s")
            ledger(out / f"{name}.journal", "bal")
        elif mode == "separate":
            one = out / f"alone-{name}.beancount"
            one.write_text(f'include "{name}.declarations.beancount"\ninclude "{name}.beancount"\n')
            bean_check(one)
            journal = out / f"alone-{name}.journal"
            journal.write_text(f"include {name}.declarations.journal\ninclude {name}.journal\n")
            hledger(journal, "check", "-s")
            ledger(journal, "bal")


def test_only_inline_writes_declarations_into_the_journal(outputs: tuple[str, Path]) -> None:
    mode, out = outputs
    for name in OUTPUTS:
        beancount = (out / f"{name}.beancount").read_text()
        journal = (out / f"{name}.journal").read_text()
        declared = " open " in beancount, " commodity " in beancount, "\naccount " in journal, "\ntag " in journal
        assert all(declared) if mode == "inline" else not any(declared), (mode, name, declared)
        sidecars = [Path(declarations_path(str(out / f"{name}.{suffix}"))) for suffix in ("beancount", "journal")]
        assert all(s.exists() for s in sidecars) == (mode == "separate")
        assert not [*out.glob(".*ledgerport-new"), *out.glob(".*ledgerport-tmp")], (
            "a staging or temporary file was left"
        )


def test_the_sidecar_holds_exactly_what_the_inline_journal_declares(tmp_path_factory: pytest.TempPathFactory) -> None:
    inline, separate = _books(tmp_path_factory, "inline"), _books(tmp_path_factory, "separate")
    for name in OUTPUTS:
        sidecar = Path(declarations_path(str(separate / f"{name}.beancount"))).read_text()
        declared = [line for line in (inline / f"{name}.beancount").read_text().splitlines() if line.startswith("1970")]
        assert sorted(line for line in sidecar.splitlines() if line.startswith("1970")) == sorted(declared)
        assert '  name: "1INCH"' in sidecar or "X1INCH" not in sidecar
        sidecar = Path(declarations_path(str(separate / f"{name}.journal"))).read_text()
        text = (inline / f"{name}.journal").read_text().splitlines()
        starts = ("account ", "commodity ", "    format ", "tag ")
        declared = [line for line in text if line.startswith(starts)]
        assert sorted(line for line in sidecar.splitlines() if line.startswith(starts)) == sorted(declared)
        # the journals are the inline ones without their declarations
        for suffix, starts_ in (("beancount", ("1970-01-01 ", "  name:", ";;")), ("journal", (*starts, ";"))):
            body = [
                line for line in (inline / f"{name}.{suffix}").read_text().splitlines() if not line.startswith(starts_)
            ]
            assert [
                line
                for line in (separate / f"{name}.{suffix}").read_text().splitlines()
                if not line.startswith(starts_)
            ] == body


def test_without_the_merge_plugin_beancount_refuses_the_duplicates(tmp_path_factory: pytest.TempPathFactory) -> None:
    """What the plugin is for: beancount refuses two outputs' declarations, identical as they are."""
    out = _books(tmp_path_factory, "separate")
    main = _main_beancount(out, "separate", ("kucoin", "onekonto-1"))
    main.write_text(main.read_text().replace('plugin "ledgerport_beancount.merge_declarations"\n', ""))
    with pytest.raises(AssertionError, match="Duplicate commodity directives"):
        bean_check(main)


def test_the_setting_a_file_was_begun_with_is_kept(tmp_path: Path) -> None:
    sandbox = demo_sandbox(SINCE)
    with sandbox.serve() as server:
        env = sandbox.credentials.env()
        _sync("kucoin", server.url, env, tmp_path, "kucoin", 3, "separate", prices=KUCOIN_PRICES)
        with pytest.raises(StateError, match="declarations = 'separate'"):
            _sync("kucoin", server.url, env, tmp_path, "kucoin", 4, "inline", prices=KUCOIN_PRICES)


def test_without_the_setting_the_books_are_the_inline_ones_byte_for_byte(
    tmp_path: Path, tmp_path_factory: pytest.TempPathFactory
) -> None:
    inline = _books(tmp_path_factory, "inline")
    sandbox = demo_sandbox(SINCE)
    with sandbox.serve() as server:
        _sync(
            "kucoin", server.url, sandbox.credentials.env(), tmp_path, "kucoin", KUCOIN_DAYS, None, prices=KUCOIN_PRICES
        )
    for suffix in ("beancount", "journal"):
        assert (tmp_path / f"kucoin.{suffix}").read_bytes() == (inline / f"kucoin.{suffix}").read_bytes()
