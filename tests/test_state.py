"""Incremental syncs and resumption through the state file, against the test exchange over HTTP."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sample import RECORDS, SINCE, UNTIL, record
from test_engine import EXPECTED_CSV, run

from ledgerport import BadRecordError, ConfigError, Progress, StateError, Window
from ledgerport.engine import plugins
from ledgerport.engine.coverage import Segment, gaps, segments
from ledgerport.engine.state import Committed, OutputKey, StateStore, Unsettled
from ledgerport.sdk.outputfile import pending_path

DAY = timedelta(days=1)
HEADER = EXPECTED_CSV.splitlines(keepends=True)[0]
ROWS = EXPECTED_CSV.splitlines(keepends=True)[1:]


def w(a: int, b: int) -> Window:
    return Window(SINCE + a * DAY, SINCE + b * DAY)


def test_gaps_and_segments() -> None:
    assert gaps(SINCE, SINCE + 10 * DAY, [w(-2, 1), w(3, 4), w(4, 6), w(9, 12)]) == [w(1, 3), w(6, 9)]
    assert gaps(SINCE, SINCE + DAY, []) == [w(0, 1)]
    assert gaps(SINCE, SINCE + DAY, [w(-1, 2)]) == []
    assert segments({"a": [w(0, 4)], "b": [w(2, 6)], "c": []}) == [
        Segment(w(0, 2), frozenset("a")),
        Segment(w(2, 4), frozenset("ab")),
        Segment(w(4, 6), frozenset("b")),
    ]
    assert segments({"a": [w(0, 1), w(1, 2)]}) == [Segment(w(0, 2), frozenset("a"))]


def test_state_merges_committed_windows_and_keeps_checkpoints(tmp_path: Path) -> None:
    key = OutputKey("s", "a", "csv:/x")
    identity = {"source": "s", "account": "a", "base_url": "http://x"}
    with StateStore(tmp_path / "s.db") as store:
        assert (store.checkpoint(key), store.covered(key)) == (None, [])
        store.claim([key])
        store.register(key, identity)
        settled = SINCE + 100 * DAY
        for window, offset in ((w(0, 1), 10), (w(1, 2), 20), (w(5, 6), 30)):
            store.commit(window, [Committed(key, {"offset": offset}, [])], settled=settled)
        assert store.covered(key) == [w(0, 2), w(5, 6)]
        assert store.checkpoint(key) == {"offset": 30}
        assert store.unsettled(key) is None
        with StateStore(tmp_path / "s.db") as other:
            assert other.covered(key) == [w(0, 2), w(5, 6)], "a second process reads the same state"
            with pytest.raises(
                ConfigError, match=r"csv:/x \(from s, account a\) is being synced by ledgerport process"
            ):
                other.claim([key])
            other.claim([OutputKey("s", "b", "csv:/x")])
        store.forget([key])
        assert (store.checkpoint(key), store.covered(key)) == (None, [])


def test_a_version_2_state_file_gains_the_lots_column_and_keeps_what_it_held(tmp_path: Path) -> None:
    """Version 3 keeps each output's lots (books at cost); a file of version 2 is migrated in place."""
    import sqlite3

    key = OutputKey("s", "a", "csv:/x")
    with StateStore(tmp_path / "s.db") as store:
        store.claim([key])
        store.register(key, {"source": "s"})
        store.commit(w(0, 1), [Committed(key, {"offset": 10}, [])], settled=SINCE + 100 * DAY)
    with sqlite3.connect(tmp_path / "s.db") as db:
        db.execute("ALTER TABLE outputs DROP COLUMN lots")
        db.execute("PRAGMA user_version = 2")
    with StateStore(tmp_path / "s.db") as store:
        assert (store.checkpoint(key), store.covered(key), store.lots(key)) == ({"offset": 10}, [w(0, 1)], None)
        store.claim([key])
        store.commit(w(1, 2), [Committed(key, {"offset": 20}, [], lots={"version": 1})], settled=SINCE + 100 * DAY)
        assert store.lots(key) == {"version": 1}
    with sqlite3.connect(tmp_path / "s.db") as db:
        assert db.execute("PRAGMA user_version").fetchone() == (3,)


def test_the_newest_stretch_fetched_within_the_lookback_is_remembered(tmp_path: Path) -> None:
    key = OutputKey("s", "a", "csv:/x")
    with StateStore(tmp_path / "s.db") as store:
        store.register(key, {"source": "s"})
        late = [("e1", SINCE + DAY * 0.5), ("e2", SINCE + DAY * 0.9)]
        store.commit(w(0, 1), [Committed(key, {}, late)], settled=SINCE + DAY * 0.8)
        assert store.unsettled(key) == Unsettled(SINCE + DAY * 0.8, SINCE + DAY, frozenset({"e2"}))
        store.commit(w(1, 2), [Committed(key, {}, [])], settled=SINCE + DAY * 3)
        assert store.unsettled(key) is None


def test_extending_the_range_fetches_only_the_new_windows(
    registry: plugins.Registry, exchange: str, tmp_path: Path
) -> None:
    out, state = tmp_path / "out.csv", tmp_path / "state.db"
    first = run(registry, exchange, out, state=state, until=UNTIL - DAY)
    assert (first.windows, first.entries) == (2, 5)
    second = run(registry, exchange, out, state=state)
    assert (second.windows, second.entries, second.requests) == (1, 1, 2)  # the /features probe and one page
    assert out.read_text() == EXPECTED_CSV
    third = run(registry, exchange, out, state=state)
    assert (third.windows, third.entries, third.requests) == (0, 0, 0)
    assert out.read_text() == EXPECTED_CSV


def test_a_new_sink_gets_the_whole_range_and_the_old_one_only_what_it_lacks(
    registry: plugins.Registry, exchange: str, tmp_path: Path
) -> None:
    a, b, state = tmp_path / "a.csv", tmp_path / "b.csv", tmp_path / "state.db"
    run(registry, exchange, a, state=state, since=SINCE + DAY)
    report = run(registry, exchange, a, state=state, sinks=[f"csv:{a}", f"csv:{b}"])
    assert report.written == {f"csv:{a}": 4, f"csv:{b}": 6}
    assert b.read_text() == EXPECTED_CSV
    assert a.read_text() == HEADER + "".join(ROWS[4:] + ROWS[:4])


def test_an_uncommitted_tail_is_cut_off_and_the_window_fetched_again(
    registry: plugins.Registry, exchange: str, tmp_path: Path
) -> None:
    out, state = tmp_path / "out.csv", tmp_path / "state.db"
    run(registry, exchange, out, state=state, until=UNTIL - DAY)
    # what a run killed while appending its next commit leaves: the start of its pending record
    with out.open("a") as file:
        file.write(ROWS[5] + "testexchange,default,r9,2024-01-03T0")
    Path(pending_path(str(out))).write_text(
        ROWS[5] + "testexchange,default,r9,2024-01-03T0" + "the rest of that commit\n", encoding="utf-8"
    )
    run(registry, exchange, out, state=state)
    assert out.read_text() == EXPECTED_CSV


def test_a_failed_run_keeps_its_committed_windows_and_the_next_run_completes(
    registry: plugins.Registry, serve: Callable[..., str], tmp_path: Path
) -> None:
    out, state = tmp_path / "out.csv", tmp_path / "state.db"
    records = [*RECORDS, record("bad1", "2024-01-02T05:00:00", "12,5")]
    url = serve(records)
    with pytest.raises(BadRecordError):
        run(registry, url, out, state=state)
    assert out.read_text() == HEADER + "".join(ROWS[:4])
    records.pop()  # the source mends the record
    report = run(registry, url, out, state=state)
    assert report.windows == 2
    assert out.read_text() == EXPECTED_CSV


def test_an_output_changed_outside_ledgerport_is_an_error_until_fresh(
    registry: plugins.Registry, exchange: str, tmp_path: Path
) -> None:
    out, state = tmp_path / "out.csv", tmp_path / "state.db"
    run(registry, exchange, out, state=state)
    out.write_text(HEADER)
    with pytest.raises(StateError, match="changed outside ledgerport"):
        run(registry, exchange, out, state=state)
    out.unlink()
    with pytest.raises(StateError, match="the file is missing"):
        run(registry, exchange, out, state=state)
    assert run(registry, exchange, out, state=state, fresh=True).entries == 6
    assert out.read_text() == EXPECTED_CSV


def test_skipped_bad_records_go_to_the_quarantine_with_the_reason(
    registry: plugins.Registry, serve: Callable[..., str], tmp_path: Path
) -> None:
    url = serve([*RECORDS, record("bad1", "2024-01-02T05:00:00", "12,5", note="x")])
    quarantine = tmp_path / "q.jsonl"
    report = run(registry, url, tmp_path / "out.csv", on_bad_record="skip", quarantine=quarantine)
    assert (tmp_path / "out.csv").read_text() == EXPECTED_CSV
    assert (report.skipped, report.quarantine) == (1, str(quarantine))
    [line] = quarantine.read_text().splitlines()
    assert json.loads(line) == {
        "source": "testexchange",
        "account": "default",
        "record_id": "bad1",
        "field": "amount",
        "reason": "not a number: '12,5'",
        "record": {"id": "bad1", "ts": 1704171600000, "asset": "BTC", "amount": "12,5", "note": "x"},
    }


def test_progress_reports_pages_and_windows(registry: plugins.Registry, exchange: str, tmp_path: Path) -> None:
    seen: list[Progress] = []
    run(registry, exchange, tmp_path / "out.csv", progress=seen.append)
    assert seen[-1].windows_done == seen[-1].windows_total == 3
    assert seen[-1].entries == 6 and seen[-1].requests == 5
    assert [p.windows_done for p in seen] == sorted(p.windows_done for p in seen)
    assert seen[0].window.start == datetime(2024, 1, 1, tzinfo=UTC)


def test_an_output_synced_with_other_filters_or_another_base_url_is_refused_until_fresh(
    registry: plugins.Registry, serve: Callable[..., str], tmp_path: Path
) -> None:
    out, state = tmp_path / "out.csv", tmp_path / "state.db"
    url = serve()
    btc_only = run(registry, url, out, state=state, until=UNTIL - DAY, options=["testexchange.asset=BTC"])
    assert btc_only.entries == 4
    written = out.read_bytes()
    with pytest.raises(
        ConfigError,
        match=r"was synced with other settings \(asset was BTC, now \(not set\)\); "
        r"re-run with the same settings, or with --fresh",
    ):
        run(registry, url, out, state=state)
    other = serve()
    with pytest.raises(ConfigError, match=rf"\(base_url was {url}, now {other}\)"):
        run(registry, other, out, state=state, options=["testexchange.asset=BTC"])
    assert out.read_bytes() == written, "a refused run must not touch the output"
    assert run(registry, url, out, state=state, fresh=True).entries == 6
    assert out.read_text() == EXPECTED_CSV


def test_without_since_a_first_run_starts_at_the_history_start_and_the_next_continues(
    registry: plugins.Registry, serve: Callable[..., str], tmp_path: Path
) -> None:
    out, state = tmp_path / "out.csv", tmp_path / "state.db"
    records = [r for r in RECORDS if r["id"] != "r0"]
    url = serve(records)
    first = run(registry, url, out, state=state, since=None, until=UNTIL - DAY)
    assert first.since == SINCE, "the test exchange's history starts at its first record"
    assert first.entries == 5 and out.read_text() == HEADER + "".join(ROWS[:5])
    second = run(registry, url, out, state=state, since=None)
    assert (second.since, second.windows, second.entries) == (UNTIL - DAY, 1, 1)
    assert out.read_text() == EXPECTED_CSV
    with pytest.raises(ConfigError, match="the range is empty"):
        run(registry, url, out, state=state, since=UNTIL)


def test_the_newest_stretch_is_read_again_and_only_entries_posted_late_are_written(
    registry: plugins.Registry, serve: Callable[..., str], tmp_path: Path
) -> None:
    """A source may post an entry a little after its time: the next run reads the lookback again."""
    out, state = tmp_path / "out.csv", tmp_path / "state.db"
    now = datetime.now(UTC).replace(microsecond=0)

    def at(minutes_ago: int, rid: str) -> dict[str, object]:
        return record(rid, (now - timedelta(minutes=minutes_ago)).replace(tzinfo=None).isoformat(), "1")

    records = [at(50, "early"), at(2, "recent")]
    url = serve(records)
    first = run(registry, url, out, state=state, since=now - timedelta(hours=1), until=now)
    assert first.entries == 2
    records.append(at(3, "late"))  # posted after the first run, dated before its end
    second = run(registry, url, out, state=state, since=None, until=now + timedelta(seconds=1))
    ids = [row.split(",")[2] for row in out.read_text().splitlines()[1:]]
    assert ids == ["early", "recent", "late"]
    assert second.written == {f"csv:{out}": 1}
    third = run(registry, url, out, state=state, since=None, until=now + timedelta(seconds=2), lookback=timedelta(0))
    assert third.written == {f"csv:{out}": 0}
    assert [row.split(",")[2] for row in out.read_text().splitlines()[1:]] == ids
