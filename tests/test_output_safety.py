"""What no state file or command line can make a sync do to a file: overwrite one it did not create,
write one another sync is writing, miss an edit, or use one path as two things."""

from __future__ import annotations

import hashlib
import logging
import os
from pathlib import Path

import pytest
from sample import UNTIL
from test_engine import EXPECTED_CSV, run

from ledgerport import AppendFile, ConfigError, StateError
from ledgerport.engine import plugins


def test_an_existing_file_the_state_does_not_know_is_never_overwritten(
    registry: plugins.Registry, exchange: str, tmp_path: Path
) -> None:
    precious = tmp_path / "precious.txt"
    precious.write_text("1,001 rows an accountant typed\n")
    with pytest.raises(StateError, match=r"precious.txt already exists \(31 bytes\).*--fresh to replace it"):
        run(registry, exchange, precious)
    with pytest.raises(StateError, match=r"precious.txt already exists"):
        run(registry, exchange, precious, state=tmp_path / "another-state.db")
    assert precious.read_text() == "1,001 rows an accountant typed\n"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["another-state.db", "another-state.db.locks", "precious.txt"]


def test_fresh_replaces_it_saying_what_it_replaces(
    registry: plugins.Registry, exchange: str, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    out = tmp_path / "out.csv"
    out.write_text("old\n")
    with caplog.at_level(logging.WARNING):
        run(registry, exchange, out, fresh=True)
    assert f"--fresh: replacing {out} (4 bytes)" in caplog.text
    assert out.read_text() == EXPECTED_CSV


def test_an_empty_file_or_one_the_state_created_is_written(
    registry: plugins.Registry, exchange: str, tmp_path: Path
) -> None:
    out, state = tmp_path / "out.csv", tmp_path / "state.db"
    out.touch()
    run(registry, exchange, out, state=state, until=UNTIL.replace(day=2))
    run(registry, exchange, out, state=state)
    assert out.read_text() == EXPECTED_CSV


def test_a_crash_before_the_first_state_commit_leaves_nothing_at_the_target(tmp_path: Path) -> None:
    """The first commit stays beside the target until the state has recorded it: a run killed in
    between leaves no file the next run would have to refuse."""
    out = tmp_path / "out.csv"
    child = os.fork()
    if child == 0:  # a sync killed right after its first commit, before the state recorded it
        first = AppendFile(str(out), None, "csv")
        first.file.write("header\nrow 1\n")
        first.commit()
        os._exit(9)
    assert os.waitpid(child, 0)[1] >> 8 == 9
    assert not out.exists()
    again = AppendFile(str(out), None, "csv")
    again.file.write("header\n")
    again.commit()
    again.file.write("row 1\n")
    assert again.commit() == {
        "offset": len("header\nrow 1\n"),
        "sha256": hashlib.sha256(b"header\nrow 1\n").hexdigest(),
    }
    assert out.read_text() == "header\nrow 1\n"
    again.recorded()
    again.close()
    assert [p.name for p in tmp_path.iterdir()] == ["out.csv"]


@pytest.mark.parametrize("closing", ["", "; the lines that end the file\n"])
def test_a_commit_the_state_never_recorded_is_cut_when_the_file_reopens(closing: str, tmp_path: Path) -> None:
    """A signal (or another output's failing commit) can fall between a file's commit and the state's:
    the file then holds a commit, and maybe its closing lines, past what the state recorded."""
    out = tmp_path / "out.csv"
    first = AppendFile(str(out), None, "csv")
    first.file.write("header\n")
    recorded = first.commit()
    first.file.write("row 1\n")
    first.commit()  # the state never hears of this one
    first.close(closing)
    assert out.read_text() == "header\nrow 1\n" + closing
    again = AppendFile(str(out), recorded, "csv")
    again.file.write("row 1 again\n")
    again.commit()
    again.close(closing)
    assert out.read_text() == "header\nrow 1 again\n" + closing
    with out.open("a") as file:
        file.write("typed by hand\n")
    with pytest.raises(StateError, match="ledgerport did not write them"):
        AppendFile(str(out), recorded, "csv")


def test_lines_appended_by_hand_stop_the_sync_instead_of_being_cut(
    registry: plugins.Registry, exchange: str, tmp_path: Path
) -> None:
    out, state = tmp_path / "out.csv", tmp_path / "state.db"
    run(registry, exchange, out, state=state, until=UNTIL.replace(day=2))
    with out.open("a") as file:
        file.write("testexchange,default,mine,2024-01-01T13:00:00.000Z,BTC,1,0,,deposit,,,typed by the accountant\n")
    before = out.read_text()
    with pytest.raises(
        StateError,
        match=r"out.csv holds 94 bytes after the \d+ that ledgerport committed, and ledgerport did not write",
    ):
        run(registry, exchange, out, state=state)
    assert out.read_text() == before


def test_one_file_is_written_by_one_sync_at_a_time_whatever_its_state_file(
    registry: plugins.Registry, exchange: str, tmp_path: Path
) -> None:
    out = tmp_path / "out.csv"
    run(registry, exchange, out, state=tmp_path / "a.db", until=UNTIL.replace(day=2))
    (tmp_path / "link.csv").symlink_to(out)
    holder = AppendFile(str(tmp_path / "link.csv"), None, "csv", replace=True)  # another sync, through a symlink
    try:
        with pytest.raises(StateError, match=r"out.csv is being written by another ledgerport process"):
            run(registry, exchange, out, state=tmp_path / "a.db")
        with pytest.raises(StateError, match=r"being written by another ledgerport process"):
            run(registry, exchange, out, state=tmp_path / "b.db", fresh=True)
    finally:
        holder.close()


def test_a_same_size_edit_of_the_committed_prefix_is_found(
    registry: plugins.Registry, exchange: str, tmp_path: Path
) -> None:
    out, state = tmp_path / "out.csv", tmp_path / "state.db"
    run(registry, exchange, out, state=state, until=UNTIL.replace(day=2))
    out.write_text(out.read_text().replace("1.5", "9.5"))
    with pytest.raises(StateError, match=r"first \d+ bytes of .*out.csv are not the ones ledgerport committed"):
        run(registry, exchange, out, state=state)
    assert "9.5" in out.read_text()


def test_a_state_file_reached_through_a_symlink_locks_the_same_outputs(
    registry: plugins.Registry, exchange: str, tmp_path: Path
) -> None:
    (tmp_path / "real.db").touch()
    (tmp_path / "alias.db").symlink_to(tmp_path / "real.db")
    out = tmp_path / "out.csv"
    run(registry, exchange, out, state=tmp_path / "alias.db", until=UNTIL.replace(day=2))
    report = run(registry, exchange, out, state=tmp_path / "real.db")
    assert report.windows == 2  # the same state: only the two days that were missing
    assert out.read_text() == EXPECTED_CSV
    assert not (tmp_path / "alias.db.locks").exists()


@pytest.mark.parametrize(
    ("sinks", "extra", "what"),
    [
        (["csv:{d}/a.csv", "csv:{d}/./a.csv"], {}, "csv:{d}/./a.csv is the same file as csv:{d}/a.csv"),
        (["csv:{d}/a.csv", "csv:{d}/alias.csv"], {}, "csv:{d}/alias.csv is the same file as csv:{d}/a.csv"),
        (["csv:{d}/state.db"], {"state": "{d}/state.db"}, "csv:{d}/state.db is the same file as the state file"),
        (
            ["csv:{d}/q.jsonl"],
            {"on_bad_record": "skip", "quarantine": "{d}/q.jsonl"},
            "csv:{d}/q.jsonl is the same file as the quarantine file",
        ),
    ],
)
def test_one_path_as_two_things_is_refused_before_anything_is_written(
    registry: plugins.Registry, exchange: str, tmp_path: Path, sinks: list[str], extra: dict[str, str], what: str
) -> None:
    (tmp_path / "a.csv").touch()
    (tmp_path / "alias.csv").symlink_to(tmp_path / "a.csv")
    fill = {"d": str(tmp_path)}
    kwargs = {key: value.format(**fill) for key, value in extra.items()}
    with pytest.raises(ConfigError, match=f"^{what.format(**fill)}"):
        run(registry, exchange, tmp_path / "unused", sinks=[s.format(**fill) for s in sinks], **kwargs)
    assert (tmp_path / "a.csv").read_text() == ""
