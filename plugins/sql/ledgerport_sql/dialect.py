"""How each database spells the column types and takes the values: the only place the two differ."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, datetime
from typing import Any

import attrs

from ledgerport import format_decimal

__all__ = ["DIALECTS", "Dialect"]


def _instant_text(value: datetime) -> str:
    """ISO 8601 in UTC with microseconds: sorts as text in time order and loses nothing."""
    return value.isoformat(timespec="microseconds")


@attrs.frozen(kw_only=True)
class Dialect:
    """`types` maps the schema's logical types to column types; `adapt` turns a value into what the driver takes.

    SQLite stores decimals as TEXT: a NUMERIC column there would turn `0.1` into a binary float.
    `begin` opens a transaction where the driver does not; `lock` keeps two syncs from migrating at once
    (SQLite's `BEGIN IMMEDIATE` already does).
    """

    name: str
    param: str
    types: dict[str, str]
    adapt: dict[str, Callable[[Any], Any]]
    begin: str | None
    lock: str | None


SQLITE = Dialect(
    name="sqlite",
    param="?",
    types={"text": "TEXT", "decimal": "TEXT", "instant": "TEXT", "date": "TEXT", "int": "INTEGER", "bool": "INTEGER"},
    adapt={"decimal": format_decimal, "instant": _instant_text, "date": date.isoformat, "bool": int},
    begin="BEGIN IMMEDIATE",
    lock=None,
)
POSTGRESQL = Dialect(
    name="postgresql",
    param="%s",
    types={
        "text": "TEXT",
        "decimal": "NUMERIC",
        "instant": "TIMESTAMPTZ",
        "date": "DATE",
        "int": "INTEGER",
        "bool": "BOOLEAN",
    },
    adapt={},
    begin=None,
    lock="SELECT pg_advisory_xact_lock(7244071)",
)
DIALECTS = {d.name: d for d in (SQLITE, POSTGRESQL)}
