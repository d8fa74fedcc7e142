"""The `beancount` sink: a beancount journal that `bean-check` accepts.

Beancount is strict where the sources are loose, so this sink renames what it must and keeps the
original: a commodity beancount rejects (`1INCH`, `stETH`) gets a stable rename (`X1INCH`,
`XSTETH`) whose declaration carries the original `name`. Accounts and commodities are declared on
1970-01-01, so a later sync that fills an earlier gap never uses an account before it was opened.
End-of-day balances the source reported go in `balance` directives on the next day, since
beancount checks them at the start of their date, written so precisely that the check is exact.

With cost basis on (`--cost-basis`), every commodity but the home currency is held at cost, lot by
lot, so that beancount's own booking keeps exactly the lots (and cents) ledgerport's lot engine
keeps, and bean-check verifies every realized gain: see `BeancountSink._lots` and
docs/plugins/beancount.md.

`declarations = "none" | "separate"` (`JournalSettings`) leaves the `open`/`commodity` directives out,
or writes them into a sidecar, so that several outputs can be included into one main file: beancount
refuses even identical duplicates, and `merge_declarations` is the beancount plugin that merges the
sidecars' agreeing ones there.

`prices = true` (the default, `BeancountSettings`) writes the run's price book into the journal: for
each day a transaction is dated and each commodity but the home currency it posts, one
`price` directive (`2024-03-01 price BTC  40000 USD`) just before the first such transaction, so
`convert(position, 'USD')` and fava value the holdings; see `JournalTextSink.price_lines`.
"""

from __future__ import annotations

import os
import re
from collections.abc import Callable
from datetime import date, datetime, timedelta
from decimal import ROUND_HALF_EVEN, Context, Decimal
from typing import Any

from ledgerport import (
    ConfigError,
    JournalSettings,
    JournalTextSink,
    PluginError,
    RunInfo,
    SinkType,
    Transaction,
    format_decimal,
    hookimpl,
    plain,
    price_quotient,
)
from ledgerport.books import Lot, Posting
from ledgerport.model.money import exact

_VALID = re.compile(r"[A-Z](?:[A-Z0-9'._-]{0,22}[A-Z0-9])?")
_INVALID_CHARS = re.compile(r"[^A-Z0-9'._-]+")
_OPENED = "1970-01-01"
_PRECISION = 18
_BEANCOUNT = Context(prec=28, rounding=ROUND_HALF_EVEN)
"""Python's default context, the one beancount computes a lot's per-unit cost in (total ÷ units)."""


_EXACT_DIGITS = 27
"""Beancount adds amounts in Python's default context, 28 significant digits: a holding whose amounts
need more (10^12 PEPE with 18 decimals) is not summed exactly there, so it is not asserted."""
_WIDE = Context(prec=400)
"""Wide enough to compute beancount's rounding residue exactly."""


def _padding(transaction: Transaction) -> dict[str, int]:
    """Per commodity, the decimals its postings need so that beancount accepts the conversions.

    Beancount weighs `-55 USDT @@ 100 XRP` at 55 × (100 ÷ 55 in 28 digits) = 99.99…99 XRP and takes
    its tolerance from the digits of the transaction's XRP amounts, none for an integer: the whole
    file failed. Where the residue would exceed that tolerance, the amounts of that commodity are
    written with trailing zeros (the same number) down to the digit whose half covers it. The
    residues of several postings priced in one commodity (a conversion of more than two assets) add up."""
    residues: dict[str, Decimal] = {}
    for posting in transaction.postings:
        if posting.price is None or posting.price_commodity is None or not posting.quantity:
            continue
        units = posting.quantity.copy_abs()
        residue = _WIDE.subtract(_WIDE.multiply(units, _BEANCOUNT.divide(posting.price, units)), posting.price)
        residue = residue if posting.quantity > 0 else -residue
        residues[posting.price_commodity] = _WIDE.add(residues.get(posting.price_commodity, Decimal(0)), residue)
    needed: dict[str, int] = {}
    for commodity, signed in residues.items():
        residue = abs(signed)
        tolerance = max(
            (_half_last(p.quantity) for p in transaction.postings if p.commodity == commodity), default=Decimal(0)
        )
        if residue > tolerance:
            places = -residue.adjusted() - 1
            needed[commodity] = places if Decimal(5).scaleb(-places - 1) >= residue else places + 1
    return needed


def _half_last(number: Decimal) -> Decimal:
    """The tolerance beancount infers from one amount: half its last decimal, none for an integer."""
    exponent = number.as_tuple().exponent
    assert isinstance(exponent, int)
    return Decimal(5).scaleb(exponent - 1) if exponent < 0 else Decimal(0)


def _padded(number: Decimal, places: int | None) -> str:
    exponent = number.as_tuple().exponent
    assert isinstance(exponent, int)
    if places is None or -exponent >= places:
        return format_decimal(number)
    return format_decimal(_WIDE.quantize(number, Decimal(1).scaleb(-places)))


def _digits(number: Decimal) -> int:
    return len(number.as_tuple().digits)


def _strict(number: Decimal) -> str:
    """Beancount's balance tolerance follows the digits written (`0.5` passes 0.4 to 0.6), so the
    number is padded to one digit past the finest the sources use: the check becomes exact."""
    text = format_decimal(number)
    whole, _, fraction = text.partition(".")
    return f"{whole}.{fraction.ljust(max(len(fraction), _PRECISION) + 1, '0')}"


def _quote(text: str) -> str:
    """A string on one line: whitespace runs become one space, other control characters are escaped."""
    return '"' + plain(" ".join(text.split())).replace("\\", "\\\\").replace('"', '\\"') + '"'


def beancount_commodity(commodity: str, taken: set[str]) -> str:
    """The commodity itself when beancount accepts it, else `X` + its upper-cased, cleaned form."""
    if _VALID.fullmatch(commodity) and commodity not in taken:
        return commodity
    stem = ("X" + _INVALID_CHARS.sub("-", commodity.upper())).rstrip("'._-")[:22]
    candidate, n = stem, 1
    while candidate in taken or not _VALID.fullmatch(candidate):
        n += 1
        candidate = f"{stem}-{n}"
    return candidate


def unit_cost(lot: Lot) -> Decimal:
    """The per-unit cost beancount gives a lot written at its total cost (`{{C USD}}`): C ÷ units,
    rounded to 28 digits as beancount's `compute_cost_number` does. A reduction must name exactly
    this number to match the lot."""
    return price_quotient(lot.cost, lot.quantity)


def unit_price(value: Decimal, quantity: Decimal) -> Decimal:
    """The `@` annotation of a reduction: the fair value per unit of what left, exact when the
    quotient ends within 28 significant digits, else rounded to 28 (half-to-even): what beancount
    itself makes of `@@ value`."""
    return price_quotient(value, quantity)


def _exact_unit(lot: Lot, unit: Decimal) -> bool:
    """The lot's cost is exactly `unit` × its units (so a reduction at `unit` leaves cents)."""
    with exact():
        return unit * lot.quantity == lot.cost


def _spec(unit: Decimal, lot: Lot, cost_symbol: str, *, total: bool) -> str:
    """A lot's cost spec: `{{total, date, "label"}}` for an augmentation, `{unit, date, "label"}` for a reduction."""
    tail = f"{cost_symbol}, {lot.acquired.date().isoformat()}, {_quote(lot.lot_id)}"
    if total:
        return f"{{{{{format_decimal(lot.cost)} {tail}}}}}"
    return f"{{{format_decimal(unit)} {tail}}}"


def _key(account: str, commodity: str) -> str:
    return f"{account}\x00{commodity}"


def _fifo(lot: Lot) -> tuple[datetime, int]:
    """The lot engine's FIFO order."""
    return (lot.acquired, lot.seq)


def _lot_key(lot: Lot) -> tuple[str, int]:
    """A lot of one account: its id, and `uid` for pieces of one lot that arrived apart."""
    return (lot.lot_id, lot.uid)


class BeancountSink(JournalTextSink):
    name = "beancount"

    def __init__(self, target: str, run: RunInfo, settings: object, checkpoint: Any = None) -> None:
        if run.cost_basis is not None and run.cost_basis.pool == "universal":
            raise ConfigError(
                'beancount: lot_pool = "universal" cannot be written at cost: beancount keeps the lots of '
                "each account apart, so one pool per asset across holdings has no beancount form; "
                'use lot_pool = "wallet" (--lot-pool wallet), the default'
            )
        super().__init__(target, run, settings, checkpoint)

    def restore(self, extra: dict[str, Any]) -> None:
        self._pending: dict[tuple[str, str], tuple[str, str]] = {
            (a, c): (d, v) for a, c, d, v in extra.get("pending", [])
        }
        self._beyond: set[str] = set(extra.get("beyond", []))
        self._held: dict[str, dict[tuple[str, int], Lot]] = {}
        for data in extra.get("held", []):
            lot = Lot.from_json(data)
            self._held.setdefault(_key(lot.holding, lot.asset), {})[_lot_key(lot)] = lot

    def extra_state(self) -> dict[str, Any]:
        state: dict[str, Any] = {"pending": [[a, c, d, v] for (a, c), (d, v) in sorted(self._pending.items())]}
        if self.run.cost_basis is not None:
            # in the order the lots entered each account, which beancount's FIFO follows within a day
            state["held"] = [lot.to_json() for k in sorted(self._held) for lot in self._held[k].values()]
        if self._beyond:
            state["beyond"] = sorted(self._beyond)
        return state

    def price_directive(self, day: date, symbol: str, price: str, currency: str) -> str:
        return f"{day} price {symbol}  {price} {currency}\n"

    def header(self) -> str:
        text = f";; {self.run.source_title} ledger ({self.run.account}), written by ledgerport; syncs append to it.\n"
        if self.mode == "separate":
            text += (
                f";; Its declarations are in {_quote(self.sidecar_name)}: include that file once, before this one.\n"
            )
        elif self.mode == "none":
            text += ";; No declarations: the main file opens its accounts (or loads beancount.plugins.auto_accounts).\n"
        text += "\n"
        settings = self.run.cost_basis
        if settings is None:
            return text
        home = settings.home_currency
        symbol = self.commodities.get(home) or beancount_commodity(home, set(self.commodities.values()))
        self.commodities[home] = symbol
        declared = f"{self.declare_commodity(home, symbol)}\n" if self.inline else ""
        return f"{text};; Held at cost ({settings.method}, {settings.pool} pool).\n{declared}"

    def sidecar_header(self) -> str:
        return (
            f";; Declarations of {_quote(os.path.basename(self.target))} ({plain(self.run.source_title)}, "
            f"{plain(self.run.account)}), rewritten by ledgerport at each commit.\n"
            ";; Include it once, before that file; several outputs' declarations in one main file need\n"
            ';; plugin "ledgerport_beancount.merge_declarations" (see docs/plugins/beancount.md).\n\n'
        )

    def spell(self, commodity: str, taken: set[str]) -> str:
        return beancount_commodity(commodity, taken)

    def declare_commodity(self, commodity: str, symbol: str) -> str:
        name = f"\n  name: {_quote(commodity)}" if symbol != commodity else ""
        return f"{_OPENED} commodity {symbol}{name}\n"

    def declare_account(self, name: str) -> str:
        return f"{_OPENED} open {plain(name)}\n"

    def _flush(self, before: date | None) -> str:
        """Balance directives for the days that are over, dated the next morning."""
        # in key order, the order a reopened sink restores them in: a run in parts writes what one run does
        due = [(k, v) for k, v in sorted(self._pending.items()) if before is None or date.fromisoformat(v[0]) < before]
        lines = []
        for (account, commodity), (day, total) in due:
            morning = date.fromisoformat(day) + timedelta(days=1)
            lines.append(f"{morning} balance {plain(account)}  {total} {self.commodities[commodity]}\n")
            del self._pending[(account, commodity)]
        return "".join(lines)

    def render(self, transaction: Transaction) -> str:
        self.declare(transaction)
        text = [self._flush(transaction.date), self.price_lines(transaction)]
        text.append(
            f"{transaction.date} * {_quote(self.run.source_title)} {_quote(transaction.description)}\n"
            f"  txn_id: {_quote(transaction.txn_id)}\n"
            f"  entry_ids: {_quote(','.join(transaction.entry_ids))}\n"
        )
        at_cost = {
            i: self._lots(p) for i, p in enumerate(transaction.postings) if p.cost is not None and p.cost_commodity
        }
        text += [line for reductions, _ in at_cost.values() for line in reductions]
        padding = _padding(transaction)
        for i, posting in enumerate(transaction.postings):
            if i in at_cost:
                text += at_cost[i][1]
            else:
                number = _padded(posting.quantity, self._places(posting.commodity, padding))
                amount = f"{number} {self.symbol(posting.commodity)}"
                if posting.price is not None and posting.price_commodity:
                    amount += f" @@ {format_decimal(posting.price)} {self.symbol(posting.price_commodity)}"
                text.append(f"  {plain(posting.account)}  {amount}\n")
            key = (posting.account, posting.commodity)
            asserted: Decimal | None = self.assertion(posting, transaction)
            if _digits(posting.quantity) > _EXACT_DIGITS or (
                asserted is not None and _digits(asserted) > _EXACT_DIGITS
            ):
                self._beyond.add(_key(*key))
            if asserted is not None and _key(*key) not in self._beyond:
                self._pending[key] = (transaction.date.isoformat(), _strict(asserted))
            elif posting.balance is not None or _key(*key) in self._beyond:
                self._pending.pop(key, None)
        if at_cost and not any(p.commodity == self._home for p in transaction.postings):
            # lots weigh at 28-digit unit costs, which beancount balances to the tolerance of the
            # transaction's postings in cents; a transaction of lots alone (a transfer) gets this one,
            # worth nothing
            first = transaction.postings[min(at_cost)]
            text.append(f"  {plain(first.account)}  {self._zero} {self.symbol(self._home)}\n")
        text.append("\n")
        return "".join(text)

    def _places(self, commodity: str, padding: dict[str, int]) -> int | None:
        """The decimals `commodity` is written with at least (None: as it is). At cost, money in the
        home currency is written to the cent at least (`-10000.00`): beancount takes its tolerance
        from those digits, and an integer would give it none; otherwise what `_padding` asks."""
        settings = self.run.cost_basis
        if settings is not None and commodity == settings.home_currency:
            return settings.places
        return padding.get(commodity)

    @property
    def _home(self) -> str:
        assert self.run.cost_basis is not None
        return self.run.cost_basis.home_currency

    @property
    def _zero(self) -> str:
        assert self.run.cost_basis is not None
        return format_decimal(Decimal(0).scaleb(-self.run.cost_basis.places))

    def _lots(self, posting: Posting) -> tuple[list[str], list[str]]:
        """The lines of a posting held at cost, one per lot it changed: (reductions, augmentations).
        A lot that leaves whole is reduced at beancount's per-unit cost of it; a new lot is written at
        its total cost, so beancount keeps ledgerport's cents. A lot that shrinks (or grows) takes one
        line at its per-unit cost when that cost is exact and the rest keeps cents at it; otherwise the
        whole lot goes out and what is left comes back in at its total (see `_requeue`)."""
        if not posting.lots:
            raise PluginError(
                f"beancount: {posting.account} moves {format_decimal(posting.quantity)} {posting.commodity} "
                "at cost, but the books say no lot changed"
            )
        assert posting.cost_commodity is not None
        account = plain(posting.account)
        symbol, cost = self.symbol(posting.commodity), self.symbol(posting.cost_commodity)
        price = ""
        if posting.value is not None and posting.quantity:
            price = f" @ {format_decimal(unit_price(posting.value, posting.quantity))} {cost}"
        reductions: list[str] = []
        augmentations: list[str] = []

        def at_unit(quantity: Decimal, unit: Decimal, lot: Lot, annotation: str = price) -> None:
            """A reduction (priced `@` when the posting disposed of it), or a lot growing at its own unit cost."""
            line = f"  {account}  {format_decimal(quantity)} {symbol} {_spec(unit, lot, cost, total=False)}"
            if quantity < 0:
                reductions.append(f"{line}{annotation}\n")
            else:
                augmentations.append(f"{line}\n")

        def into(lot: Lot) -> None:
            spec = _spec(Decimal(0), lot, cost, total=True)
            augmentations.append(f"  {account}  {format_decimal(lot.quantity)} {symbol} {spec}\n")

        held = self._held.setdefault(_key(posting.account, posting.commodity), {})
        changed = {_lot_key(lot) for change in posting.lots for lot in (change.before, change.after) if lot}
        entering: list[Lot] = []
        for change in posting.lots:
            before, after = change.before, change.after
            if before is None:
                if after is not None:
                    entering.append(after)
                continue
            unit = unit_cost(before)
            if after is None:
                at_unit(-before.quantity, unit, before)
                continue
            with exact():
                difference = after.quantity - before.quantity
            in_place = (
                _exact_unit(before, unit)
                and _exact_unit(after, unit)
                and after.acquired.date() == before.acquired.date()
                and after.lot_id == before.lot_id
            )
            if in_place:
                if difference:
                    at_unit(posting.quantity if len(posting.lots) == 1 else difference, unit, before)
            else:
                at_unit(-before.quantity, unit, before)
                entering.append(after)
        requeued = self._requeue(held, entering, changed)
        for lot in requeued:
            at_unit(-lot.quantity, unit_cost(lot), lot, "")
        for lot in sorted([*entering, *requeued], key=_fifo):
            into(lot)
        # what beancount holds now, in the order the lots entered the account
        for change in posting.lots:
            if change.before is not None and (change.after is None or any(change.after is e for e in entering)):
                held.pop(_lot_key(change.before), None)
            elif change.before is not None and change.after is not None:
                held[_lot_key(change.before)] = change.after  # changed in place: keeps its place
        for lot in requeued:
            held.pop(_lot_key(lot), None)
        for lot in sorted([*entering, *requeued], key=_fifo):
            held[_lot_key(lot)] = lot
        return reductions, augmentations

    def _requeue(
        self, held: dict[tuple[str, int], Lot], entering: list[Lot], changed: set[tuple[str, int]]
    ) -> list[Lot]:
        """The lots that must go out and back in with the lots `entering` the account, in the order
        beancount's FIFO takes them. Beancount's FIFO orders lots by date alone, those of one day in
        the order they entered the account, and a lot (re-)entering goes last; ledgerport orders by
        acquisition time. When an entering lot belongs before one already there of its day, every
        lot of that day or older goes out (front first, as `{}` under FIFO would take them) and all
        come back in, in acquisition order, so beancount's own FIFO takes the lots ledgerport took."""
        settings = self.run.cost_basis
        if settings is None or settings.method != "fifo" or not entering:
            return []
        staying = [lot for k, lot in held.items() if k not in changed]
        late = [
            e.acquired.date()
            for e in entering
            if any(lot.acquired.date() == e.acquired.date() and _fifo(lot) > _fifo(e) for lot in staying)
        ]
        if not late:
            return []
        until = max(late)
        return sorted((lot for lot in staying if lot.acquired.date() <= until), key=lambda lot: lot.acquired.date())

    def closing(self) -> str:
        """The last day's balances, if that day lies wholly inside the synced range."""
        last_full_day = (self.run.until - timedelta(days=1)).date()
        return self._flush(last_full_day + timedelta(days=1))


@hookimpl
def register_sinks(register: Callable[[SinkType], None]) -> None:
    register(
        SinkType(
            name="beancount",
            description="A beancount journal that bean-check accepts.",
            open=BeancountSink,
            settings=JournalSettings,
            demo_target="{path}.beancount",
            checks=("bean-check {path}",),
        )
    )
