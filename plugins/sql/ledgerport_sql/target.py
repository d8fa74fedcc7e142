"""What follows `sql:`: a SQLite file or a PostgreSQL server, named by a URL."""

from __future__ import annotations

from urllib.parse import urlsplit

import attrs

from ledgerport import ConfigError

__all__ = ["Target", "parse_target"]

_POSTGRES = ("postgresql://", "postgres://")


@attrs.frozen
class Target:
    """`dialect` is `sqlite` (then `where` is a file path) or `postgresql` (then it is a libpq URL)."""

    dialect: str
    where: str


def parse_target(target: str) -> Target:
    """`sqlite:///rel.db` and `sqlite:////abs.db` as SQLAlchemy spells them; `postgresql://...` as libpq does.

    A password in a PostgreSQL URL is refused: the target is recorded in the state file and the sync
    report, so the password goes in PGPASSWORD or ~/.pgpass, where libpq finds it.
    """
    if target.startswith("sqlite:///"):
        path = target.removeprefix("sqlite:///")
        if not path or path == ":memory:":
            raise ConfigError(f"sql:{target}: name a database file, e.g. sql:sqlite:///books.db")
        return Target("sqlite", path)
    if target.startswith(_POSTGRES):
        if urlsplit(target).password is not None:
            raise ConfigError(
                "sql:postgresql://...: the URL holds a password, which would be recorded in the state file; "
                "remove it and set PGPASSWORD or use ~/.pgpass instead"
            )
        return Target("postgresql", target)
    raise ConfigError(f"sql:{target}: expected sqlite:///PATH or postgresql://USER@HOST:PORT/DATABASE")
