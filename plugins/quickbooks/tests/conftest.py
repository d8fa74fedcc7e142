"""The QuickBooks tests' readers: the checks themselves live in `ledgerport_quickbooks.testing`."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from ledgerport_quickbooks.testing import Journals, assert_balanced, read_iif, read_qbo


@pytest.fixture
def balanced() -> Callable[[Journals], None]:
    return assert_balanced


@pytest.fixture
def readers() -> dict[str, Callable[[Path], Journals]]:
    return {"iif": read_iif, "qbo": read_qbo}
