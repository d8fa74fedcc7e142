"""The command line: a thin click layer over the Python API."""

from . import check, lots, setup, state  # noqa: F401  (each registers its commands on `cli`)
from .main import cli, main

__all__ = ["cli", "main"]
