"""A PostgreSQL server for the whole session, and a fresh database of either kind for each test."""

from __future__ import annotations

import contextlib
import itertools
from collections.abc import Iterator
from pathlib import Path

import pytest
from ledgerport_sql.testing import create_database, require_postgres

_names = itertools.count()


@pytest.fixture(scope="session")
def postgres() -> Iterator[str]:
    with contextlib.ExitStack() as stack:
        yield require_postgres(stack)


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def target(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """What follows `sql:` for an empty database."""
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'books.db'}"
    return create_database(request.getfixturevalue("postgres"), f"test_{next(_names)}")
