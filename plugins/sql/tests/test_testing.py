"""The tests' PostgreSQL policy: skip loudly where no server can start, but never under CI."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator

import pytest
from ledgerport_sql import testing


@contextlib.contextmanager
def _unavailable() -> Iterator[str]:
    raise testing.ServerUnavailable("pg_ctl not found")
    yield ""


@pytest.mark.parametrize(("ci", "outcome"), [("true", pytest.fail.Exception), (None, pytest.skip.Exception)])
def test_no_server_skips_loudly_but_fails_under_ci(
    monkeypatch: pytest.MonkeyPatch, ci: str | None, outcome: type[BaseException]
) -> None:
    monkeypatch.setattr(testing, "postgres_server", _unavailable)
    if ci is None:
        monkeypatch.delenv("CI", raising=False)
    else:
        monkeypatch.setenv("CI", ci)
    with contextlib.ExitStack() as stack, pytest.raises(outcome, match="pg_ctl not found") as caught:
        testing.require_postgres(stack)
    assert ("SKIPPED" in str(caught.value)) is (ci is None)
