"""A beancount plugin for a main file that includes several outputs: `plugin "ledgerport_beancount.merge_declarations"`.

Beancount refuses an account opened twice ("Duplicate open directive") and a commodity declared twice
("Duplicate commodity directives"), even when both say the same, and it ignores the `plugin` lines of
an included file. So two outputs (or their declaration sidecars) that both open
`Equity:Opening-Balances` or declare `USD`, or an output that opens an account the main file opens
too, cannot be included together as they are. This plugin, loaded by the main file, keeps one of
each such group of declarations when they agree:

- `open`s of one account that name the same currencies and booking method: the earliest stays (the
  first of that date in beancount's order); the others go. `open`s that disagree are all kept, so
  beancount still reports the duplicate: which one is meant is the user's call.
- `commodity` declarations of one currency whose metadata agree (a key both have holds the same
  value): the earliest stays, with the metadata of all; ones that disagree are all kept.

It removes nothing else and changes no transaction; it imports no beancount module, so it runs with
any beancount 2 or 3 that can import this package.
"""

from __future__ import annotations

from typing import Any

__plugins__ = ("merge_declarations",)

_POSITION = ("filename", "lineno")


def _meta(entry: Any) -> dict[str, Any]:
    return {k: v for k, v in (entry.meta or {}).items() if k not in _POSITION}


def _agree(metas: list[dict[str, Any]]) -> dict[str, Any] | None:
    """The union of the metadata, or None when two of them give one key different values."""
    merged: dict[str, Any] = {}
    for meta in metas:
        for key, value in meta.items():
            if key in merged and merged[key] != value:
                return None
            merged[key] = value
    return merged


def merge_declarations(entries: list[Any], options_map: Any) -> tuple[list[Any], list[Any]]:
    """Beancount's plugin entry point: the entries with duplicate declarations that agree merged."""
    groups: dict[tuple[str, str], list[int]] = {}
    for i, entry in enumerate(entries):
        kind = type(entry).__name__
        if kind == "Open":
            groups.setdefault(("Open", entry.account), []).append(i)
        elif kind == "Commodity":
            groups.setdefault(("Commodity", entry.currency), []).append(i)
    drop: set[int] = set()
    replace: dict[int, Any] = {}
    for (kind, _), indexes in groups.items():
        if len(indexes) < 2:
            continue
        found = [entries[i] for i in indexes]
        first = min(range(len(found)), key=lambda n: (found[n].date, n))
        if kind == "Open":
            if len({(tuple(e.currencies or ()), e.booking) for e in found}) != 1:
                continue
        else:
            merged = _agree([_meta(e) for e in found])
            if merged is None:
                continue
            kept = found[first]
            replace[indexes[first]] = kept._replace(meta={**kept.meta, **merged})
        drop.update(i for n, i in enumerate(indexes) if n != first)
    return [replace.get(i, e) for i, e in enumerate(entries) if i not in drop], []
