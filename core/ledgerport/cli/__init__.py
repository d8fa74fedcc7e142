"""The command line: a thin click layer over the Python API."""

from .main import cli, main

__all__ = ["cli", "main"]
