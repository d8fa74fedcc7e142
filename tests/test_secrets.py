"""No secret value in any output, state file, quarantine or log of a run, failed or not."""

from __future__ import annotations

import logging
from collections.abc import Callable
from pathlib import Path

import pytest
from click.testing import CliRunner
from sample import RECORDS, TOKEN, record

from ledgerport import AuthenticationError, Secret
from ledgerport.cli import cli
from ledgerport.secret import RedactingFilter, redact

WRONG = "wrong-token-0f3c9e"


def test_redact_masks_every_secret_created_in_the_process() -> None:
    Secret("s3cr3t-passphrase")
    assert redact("server said: bad passphrase s3cr3t-passphrase!") == "server said: bad passphrase ********!"
    error = AuthenticationError("refused s3cr3t-passphrase")
    assert "s3cr3t" not in str(error) and "s3cr3t" not in repr(error)


def test_the_log_filter_masks_messages_and_tracebacks() -> None:
    Secret("another-secret-value")
    try:
        raise ValueError("boom another-secret-value")
    except ValueError:
        import sys

        record = logging.LogRecord("x", logging.ERROR, __file__, 1, "got %s", ("another-secret-value",), sys.exc_info())
    RedactingFilter().filter(record)
    assert "another-secret-value" not in logging.Formatter().format(record)


def test_no_secret_in_outputs_state_quarantine_or_logs(
    plugin_path: Path,
    serve: Callable[..., str],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    private_state: Path,
) -> None:
    url = serve([*RECORDS, record("bad1", "2024-01-02T05:00:00", "oops")])
    runner = CliRunner()
    common = [
        "-vv",
        "sync",
        "testexchange",
        "--base-url",
        url,
        "--since",
        "2024-01-01",
        "--until",
        "2024-01-04",
        "--on-bad-record",
        "skip",
        "--quarantine",
        str(tmp_path / "q.jsonl"),
        "--json",
    ]
    monkeypatch.setenv("TESTEXCHANGE_TOKEN", TOKEN)
    good = runner.invoke(cli, [*common, "--sink", f"csv:{tmp_path / 'out.csv'}"])
    assert good.exit_code == 0, good.output
    monkeypatch.setenv("TESTEXCHANGE_TOKEN", WRONG)
    bad = runner.invoke(cli, [*common, "--sink", f"csv:{tmp_path / 'other.csv'}"])
    assert bad.exit_code == 1 and "token was refused" in bad.stderr
    texts = [good.stdout, good.stderr, bad.stdout, bad.stderr]
    files = [p for p in tmp_path.rglob("*") if p.is_file()]
    assert private_state in files and tmp_path / "q.jsonl" in files and tmp_path / "out.csv" in files
    for secret in (TOKEN, WRONG):
        assert all(secret not in text for text in texts), secret
        assert all(secret.encode() not in path.read_bytes() for path in files), secret


def test_derived_credentials_and_url_userinfo_are_masked_too() -> None:
    from ledgerport import register_secret

    register_secret("c2lnbmVkLXBhc3NwaHJhc2U=")  # e.g. an exchange's signed passphrase header
    assert redact("echo: KC-API-PASSPHRASE: c2lnbmVkLXBhc3NwaHJhc2U=") == "echo: KC-API-PASSPHRASE: ********"
    assert (
        redact("GET http://alice:hunter2@127.0.0.1:8080/ledger?x=1") == "GET http://********@127.0.0.1:8080/ledger?x=1"
    )
    assert redact("see https://example.com/a@b") == "see https://example.com/a@b"


def test_a_5xx_login_answer_echoing_the_request_does_not_show_the_password_hash() -> None:
    import httpx
    from ledgerport_onekonto.api import password_digest
    from ledgerport_onekonto.auth import LoginAuth
    from ledgerport_onekonto.settings import Settings

    from ledgerport import SandboxRequest, SandboxResponse, SandboxServer, TransientError

    def echo(request: SandboxRequest) -> SandboxResponse:
        return SandboxResponse(status=503, body=b"upstream failed for " + request.body, content_type="text/plain")

    password = "pw-1konto-longer"
    digest = password_digest(password)
    with SandboxServer(echo) as server, httpx.Client(base_url=server.url) as client:
        auth = LoginAuth(server.url, Settings(user="ann", password=Secret(password)))
        with pytest.raises(TransientError) as info:
            client.get("/ledger", auth=auth)
    assert digest not in str(info.value) and "upstream failed for" in str(info.value)
    assert digest not in redact(f"a log line quoting {digest}")
