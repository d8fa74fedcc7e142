"""A throwaway PostgreSQL server on 127.0.0.1 for tests, started from the Debian `postgresql` package.

    with postgres_server() as url:            # postgresql://ledgerport@127.0.0.1:PORT/postgres
        db_url = create_database(url, "t1")

PostgreSQL refuses to run as root, so as root (CI) the server runs as the `postgres` user the
package creates. `require_postgres` is the tests' policy: skip loudly when no server can be
started, but fail when the environment variable CI is set, so CI never skips it silently.
"""

from __future__ import annotations

import contextlib
import os
import pwd
import re
import shutil
import socket
import subprocess
import tempfile
from collections.abc import Iterator
from pathlib import Path

__all__ = ["ServerUnavailable", "create_database", "postgres_server", "require_postgres"]

USER = "ledgerport"


class ServerUnavailable(Exception):
    """No PostgreSQL server could be started here; the message says why."""


def _bindir() -> Path:
    found = sorted(Path("/usr/lib/postgresql").glob("*/bin/pg_ctl"), key=lambda p: int(p.parent.parent.name))
    if found:
        return found[-1].parent
    pg_ctl = shutil.which("pg_ctl")
    if pg_ctl is None:
        raise ServerUnavailable("pg_ctl not found: install the Debian package `postgresql` (.ci/run does)")
    return Path(pg_ctl).resolve().parent


def _run_as() -> list[str]:
    if os.geteuid() != 0:
        return []
    if shutil.which("runuser") is None:
        raise ServerUnavailable("running as root, and `runuser` is missing to start PostgreSQL as user postgres")
    try:
        pwd.getpwnam("postgres")
    except KeyError:
        raise ServerUnavailable("running as root, and there is no `postgres` user to run the server as") from None
    return ["runuser", "-u", "postgres", "--"]


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _run(command: list[str], what: str) -> None:
    done = subprocess.run(command, capture_output=True, text=True, check=False, stdin=subprocess.DEVNULL)
    if done.returncode != 0:
        raise ServerUnavailable(f"{what} failed ({done.returncode}): {(done.stdout + done.stderr).strip()[-2000:]}")


@contextlib.contextmanager
def postgres_server() -> Iterator[str]:
    """Initialises a cluster in a temporary folder (trust auth, no Unix socket, fsync off), starts it on a
    free port of 127.0.0.1, yields its URL, and stops and removes it afterwards."""
    bindir, run_as = _bindir(), _run_as()
    home = Path(tempfile.mkdtemp(prefix="ledgerport-pg-"))
    data, log = home / "data", home / "server.log"
    try:
        if run_as:
            shutil.chown(home, user="postgres")
        _run(
            [*run_as, str(bindir / "initdb"), "-D", str(data), "-U", USER, "--auth=trust", "-E", "UTF8", "--no-sync"],
            "initdb",
        )
        port = _free_port()
        with (data / "postgresql.conf").open("a", encoding="utf-8") as conf:
            conf.write(
                f"listen_addresses = '127.0.0.1'\nport = {port}\nunix_socket_directories = ''\n"
                "fsync = off\nsynchronous_commit = off\nfull_page_writes = off\n"
            )
        try:
            _run(
                [*run_as, str(bindir / "pg_ctl"), "-D", str(data), "-l", str(log), "-w", "-t", "60", "start"],
                "pg_ctl start",
            )
        except ServerUnavailable as error:
            raise ServerUnavailable(f"{error}\nserver log: {_tail(log)}") from None
        try:
            yield f"postgresql://{USER}@127.0.0.1:{port}/postgres"
        finally:
            subprocess.run(
                [*run_as, str(bindir / "pg_ctl"), "-D", str(data), "-m", "immediate", "-w", "stop"],
                capture_output=True,
                check=False,
                stdin=subprocess.DEVNULL,
            )
    finally:
        shutil.rmtree(home, ignore_errors=True)


def _tail(log: Path) -> str:
    try:
        return log.read_text(encoding="utf-8", errors="replace")[-1000:]
    except OSError:
        return "none"


_NAME = re.compile(r"[a-z_][a-z0-9_]*")


def create_database(server_url: str, name: str) -> str:
    """A new empty database on the server; returns its URL."""
    import psycopg

    if not _NAME.fullmatch(name):
        raise ValueError(f"not a plain database name: {name!r}")
    with psycopg.connect(server_url, autocommit=True) as connection:
        connection.execute(f"DROP DATABASE IF EXISTS {name}")
        connection.execute(f"CREATE DATABASE {name}")
    return server_url.rsplit("/", 1)[0] + "/" + name


def require_postgres(stack: contextlib.ExitStack) -> str:
    """Starts a server for the tests, kept until `stack` closes; skips loudly without one, fails under CI."""
    import pytest

    try:
        return stack.enter_context(postgres_server())
    except ServerUnavailable as error:
        if os.environ.get("CI"):
            pytest.fail(f"PostgreSQL could not be started, and CI must test it: {error}", pytrace=False)
        pytest.skip(f"PostgreSQL TESTS SKIPPED: no server could be started: {error}")
