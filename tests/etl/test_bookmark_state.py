"""Pure job-bookmark state: file selection, JDBC predicates, entry counters and bookmark options."""

from __future__ import annotations

import datetime as dt
import json
import sqlite3
from decimal import Decimal
from typing import Any

import pytest

from etl.bookmarks.state import (
    BookmarkEntry,
    FileBookmark,
    FileEntry,
    JdbcBookmark,
    ManifestBookmark,
    ReadPlan,
    advance_jdbc,
    jdbc_filter,
    load_state,
    on_failure,
    on_success,
    reset,
    resolve_read_state,
    select_new_files,
)
from sluice.errors import EntityNotFoundException, InvalidInputException

H = 10_000.0  # high-water mark of the state under test; its band is (9_100, 10_000]
STATE = FileBookmark(high=H, band={"s3://b/band_seen": 9_500.0, "s3://b/band_rewritten": 9_400.0})


def f(name: str, mtime: float, size: int = 10) -> FileEntry:
    return FileEntry(f"s3://b/{name}", size, mtime)


def names(files: list[FileEntry]) -> list[str]:
    return [entry.path.removeprefix("s3://b/") for entry in files]


@pytest.mark.parametrize(
    ("entry", "new"),
    [
        (f("consistent_old", 9_000), False),  # at or below mark - maxBand: processed
        (f("band_edge", 9_100), False),  # the band's lower edge is exclusive
        (f("band_seen", 9_500), False),  # in the band and recorded with this mtime
        (f("band_late", 9_600), True),  # in the band, listed late (not recorded): read now
        (f("band_rewritten", 9_700), True),  # recorded at 9_400, rewritten since
        (f("at_mark", H), True),  # inside the band, not recorded
        (f("past_mark", 10_500), True),
        (f("at_now", 11_000), True),  # mtime == now is inside the listing window
        (f("future", 11_001), False),  # after the listing time: next run
    ],
)
def test_mtime_mode_new_file_rules(entry: FileEntry, new: bool) -> None:
    selection = select_new_files(STATE, [entry], now=11_000, mode="mtime")
    assert (selection.files == [entry]) is new


def test_first_run_reads_everything_listed_up_to_now() -> None:
    listing = [f("a", 1), f("b", 50_000), f("c", 99_999), f("later", 100_001)]
    selection = select_new_files(None, listing, now=100_000, mode="mtime")
    assert names(selection.files) == ["a", "b", "c"]
    assert selection.next_state == FileBookmark(high=100_000, band={"s3://b/c": 99_999})


def test_glue_documented_example_t1_t2() -> None:
    """The F2..F10 example of "Tracking files using modification timestamps" (dt = 900 s)."""
    t1, t2 = 10_000.0, 20_000.0
    run1 = [f("F2", 9_000), f("F3", 9_200), f("F4", 9_500), f("F5", 9_800)]
    first = select_new_files(None, run1, now=t1, mode="mtime")
    assert names(first.files) == ["F2", "F3", "F4", "F5"]
    assert set(first.next_state.band) == {"s3://b/F3", "s3://b/F4", "s3://b/F5"}  # (T1 - dt, T1] is saved

    late = [f("F3'", 9_300), f("F4'", 9_600), f("F5'", 9_900)]  # mtime <= T1, listed only after T1
    new = [f("F7", 12_000), f("F8", 19_000), f("F9", 19_500), f("F10", 19_900)]
    second = select_new_files(first.next_state, run1 + late + new, now=t2, mode="mtime")
    assert names(second.files) == ["F3'", "F4'", "F5'", "F7", "F8", "F9", "F10"]
    assert second.next_state.band == {"s3://b/F9": 19_500, "s3://b/F10": 19_900}
    assert second.next_state.high == t2


def test_consecutive_runs_within_the_band_do_not_repeat_files() -> None:
    listing = [f("a", 9_950), f("b", 9_990)]
    first = select_new_files(None, listing, now=10_000, mode="mtime")
    second = select_new_files(first.next_state, [*listing, f("c", 10_005)], now=10_010, mode="mtime")
    assert names(second.files) == ["c"]
    assert set(second.next_state.band) == {"s3://b/a", "s3://b/b", "s3://b/c"}


def test_band_file_missing_from_one_listing_is_not_reread_when_it_reappears() -> None:
    first = select_new_files(None, [f("x", 9_950)], now=10_000, mode="mtime")
    gap = select_new_files(first.next_state, [], now=10_010, mode="mtime")  # an inconsistent listing
    again = select_new_files(gap.next_state, [f("x", 9_950)], now=10_020, mode="mtime")
    assert again.files == []


@pytest.mark.parametrize("widened", [900.0, 3_600.0])
def test_changing_max_band_between_runs_does_not_reprocess(widened: float) -> None:
    listing = [f("a", 8_000), f("b", 9_950)]
    state = select_new_files(None, listing, now=10_000, mode="mtime").next_state  # band: only b
    for now in (10_100, 10_200, 20_000):
        selection = select_new_files(state, listing, now=now, mode="mtime", max_band=widened)
        assert selection.files == []
        state = selection.next_state


@pytest.mark.parametrize("mode", ["mtime", "manifest"])
def test_file_modified_after_processing_is_read_again(mode: str) -> None:
    first = select_new_files(None, [f("a", 100, size=10)], now=1_000, mode=mode)
    rewritten = f("a", 5_000, size=12)
    second = select_new_files(first.next_state, [rewritten], now=6_000, mode=mode)
    assert second.files == [rewritten]
    third = select_new_files(second.next_state, [rewritten], now=7_000, mode=mode)
    assert third.files == []


@pytest.mark.parametrize(("mode", "caught"), [("mtime", False), ("manifest", True)])
def test_copy_with_old_mtime_missed_by_mtime_caught_by_manifest(mode: str, caught: bool) -> None:
    first = select_new_files(None, [f("a", 50_000)], now=100_000, mode=mode)
    copied = f("copied_in", 1_000)  # e.g. `aws s3 sync` / `cp -p` keeping an old modification time
    second = select_new_files(first.next_state, [f("a", 50_000), copied], now=200_000, mode=mode)
    assert (second.files == [copied]) is caught


def test_manifest_mode_catches_same_mtime_different_size() -> None:
    first = select_new_files(None, [f("a", 100, size=10)], now=0, mode="manifest")
    resized = f("a", 100, size=11)
    assert select_new_files(first.next_state, [resized], now=0, mode="manifest").files == [resized]
    assert first.next_state == ManifestBookmark({"s3://b/a": (10, 100)})


# A backlog spread over every region of STATE: below the band, inside it, at the mark, past it,
# with mtime ties and one file that only appears on the second run.
BACKLOG = [
    f("old", 1_000, 100),
    f("band_seen", 9_500, 100),
    f("b1", 9_200, 40),
    f("b2", 9_600, 40),
    f("t1", 9_800, 30),
    f("t2", 9_800, 30),
    f("t3", 9_800, 30),
    f("m1", H, 50),
    f("p1", 10_200, 60),
    f("p2", 10_300, 10),
    f("p3", 10_300, 10),
    f("p4", 10_900, 70),
]


@pytest.mark.parametrize("mode", ["mtime", "manifest"])
@pytest.mark.parametrize(
    "bounds",
    [{"bounded_files": 1}, {"bounded_files": 2}, {"bounded_files": 4}, {"bounded_size": 50}, {"bounded_size": 95}],
)
def test_bounded_execution_defers_without_loss_or_duplicates(mode: str, bounds: dict[str, int]) -> None:
    state: FileBookmark | ManifestBookmark | None = STATE if mode == "mtime" else None
    expected = {e.path for e in BACKLOG if state is None or not state.covers(e)} | {"s3://b/arrives"}
    read: list[str] = []
    now = 11_000.0
    for run in range(30):
        listing = BACKLOG if run == 0 else [*BACKLOG, f("arrives", 10_950, 5)]
        selection = select_new_files(state, listing, now=now, mode=mode, **bounds)
        if "bounded_files" in bounds:
            assert len(selection.files) <= bounds["bounded_files"]
        else:
            assert len(selection.files) == 1 or sum(e.size for e in selection.files) <= bounds["bounded_size"]
        assert [(e.mtime, e.path) for e in selection.files] == sorted((e.mtime, e.path) for e in selection.files)
        read += [e.path for e in selection.files]
        state = selection.next_state
        now += 5
        if not selection.files and run > 0:
            break
    assert sorted(read) == sorted(expected)  # every file once: none lost, none repeated


def test_bounded_files_takes_oldest_first_and_counts_the_rest_as_deferred() -> None:
    listing = [f("c", 300), f("a", 100), f("b", 200)]
    selection = select_new_files(None, listing, now=1_000, mode="mtime", bounded_files=2)
    assert names(selection.files) == ["a", "b"]
    assert selection.deferred == 1
    assert selection.next_state.high == 200  # the mark stops at the last file taken


def test_bounded_size_always_takes_one_file() -> None:
    selection = select_new_files(None, [f("big", 1, size=500), f("next", 2)], now=9, mode="manifest", bounded_size=100)
    assert names(selection.files) == ["big"]
    assert selection.deferred == 1


def test_max_files_in_band_defers_extra_band_files_to_the_next_run() -> None:
    listing = [f("outside", 5_000), *(f(f"n{i}", 9_990 + i) for i in range(5))]
    first = select_new_files(None, listing, now=10_000, mode="mtime", max_files_in_band=2)
    assert names(first.files) == ["outside", "n0", "n1"]
    assert first.deferred == 3
    assert len(first.next_state.band) == 2
    second = select_new_files(first.next_state, listing, now=20_000, mode="mtime", max_files_in_band=2)
    assert names(second.files) == ["n2", "n3", "n4"]


@pytest.mark.parametrize(
    ("state", "kwargs", "message"),
    [
        (ManifestBookmark(), {"mode": "mtime"}, "another bookmark mode"),
        (FileBookmark(), {"mode": "manifest"}, "another bookmark mode"),
        (None, {"mode": "exact"}, "--bookmark-mode must be one of mtime, manifest"),
        (None, {"mode": "mtime", "bounded_files": 1, "bounded_size": 1}, "only one of boundedFiles or boundedSize"),
        (None, {"mode": "mtime", "bounded_files": 0}, "boundedFiles must be a positive integer"),
        (None, {"mode": "mtime", "max_band": -1}, "maxBand and maxFilesInBand must be >= 0"),
    ],
)
def test_select_new_files_rejects_bad_input(state, kwargs: dict, message: str) -> None:
    with pytest.raises(InvalidInputException, match=message):
        select_new_files(state, [], now=0, **kwargs)


@pytest.mark.parametrize(
    "state",
    [
        FileBookmark(),
        STATE,
        ManifestBookmark({"s3://b/a": (10, 1.5)}),
        JdbcBookmark(["id"]),
        JdbcBookmark(["day", "seq", "amount"], "desc", [dt.datetime(2024, 1, 2, 3, 4, 5), 7, Decimal("1.10")]),
        JdbcBookmark(["d", "name"], "asc", [dt.date(2024, 2, 29), "x"]),
    ],
)
def test_states_round_trip_through_json(state) -> None:
    data = json.loads(json.dumps(state.to_dict()))
    assert load_state(data) == state
    assert data["kind"] in {"mtime", "manifest", "jdbc"}


def test_state_json_formats() -> None:
    assert STATE.to_dict() == {
        "kind": "mtime",
        "version": 1,
        "high": H,
        "band_seconds": 900.0,
        "band": {"s3://b/band_rewritten": 9_400.0, "s3://b/band_seen": 9_500.0},
    }
    assert ManifestBookmark({"s3://b/a": (10, 1.5)}).to_dict() == {
        "kind": "manifest",
        "version": 1,
        "files": {"s3://b/a": [10, 1.5]},
    }
    assert JdbcBookmark(["ts", "id"], "asc", [dt.datetime(2024, 1, 1), Decimal("2")]).to_dict() == {
        "kind": "jdbc",
        "version": 1,
        "keys": ["ts", "id"],
        "sort_order": "asc",
        "last_values": [{"datetime": "2024-01-01T00:00:00"}, {"decimal": "2"}],
    }
    assert load_state(None) is None
    with pytest.raises(InvalidInputException, match=r"bookmark state.*'other'.*'mtime', 'manifest', 'jdbc'"):
        load_state({"kind": "other"})


# A job bookmark exactly as stored before the states carried a ``version`` (json.dumps of their to_dict()).
UNVERSIONED = (
    '{"files":{"kind":"mtime","high":1700000000.5,"band_seconds":900.0,"band":{"s3://b/x/a.csv":1699999999.0,'
    '"s3://b/x/b.csv":1699999800.25}},"manifest":{"kind":"manifest","files":{"s3://b/m/1.json":[10,1700000000.0],'
    '"s3://b/m/2.json":[20,1700000001.0]}},"orders":{"kind":"jdbc","keys":["updated_at","id","amount","day"],'
    '"sort_order":"asc","last_values":[{"datetime":"2024-01-02T03:04:05.600000"},42,{"decimal":"10.50"},'
    '{"date":"2024-02-29"}]},"aware":{"kind":"jdbc","keys":["ts"],"sort_order":"desc","last_values":'
    '[{"datetime":"2024-01-02T03:04:05+00:00"}]},"fresh":{"kind":"jdbc","keys":["id"],"sort_order":"asc",'
    '"last_values":null},"empty":{"kind":"mtime","high":null,"band_seconds":900.0,"band":{}}}'
)


def test_unversioned_states_still_load() -> None:
    states = {ctx: load_state(data) for ctx, data in json.loads(UNVERSIONED).items()}
    assert states == {
        "files": FileBookmark(1700000000.5, 900.0, {"s3://b/x/a.csv": 1699999999.0, "s3://b/x/b.csv": 1699999800.25}),
        "manifest": ManifestBookmark({"s3://b/m/1.json": (10, 1700000000.0), "s3://b/m/2.json": (20, 1700000001.0)}),
        "orders": JdbcBookmark(
            ["updated_at", "id", "amount", "day"],
            "asc",
            [dt.datetime(2024, 1, 2, 3, 4, 5, 600000), 42, Decimal("10.50"), dt.date(2024, 2, 29)],
        ),
        "aware": JdbcBookmark(["ts"], "desc", [dt.datetime(2024, 1, 2, 3, 4, 5, tzinfo=dt.UTC)]),
        "fresh": JdbcBookmark(["id"]),
        "empty": FileBookmark(),
    }
    # Written again, each state is the old JSON plus its version.
    for ctx, data in json.loads(UNVERSIONED).items():
        state = states[ctx]
        assert state is not None and state.to_dict() == {**data, "version": 1}


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"kind": "mtime", "version": 2, "high": None, "band": {}}, "version: Input should be 1"),
        ({"kind": "manifest", "files": {"s3://b/a": [10]}}, r"manifest\.files\.s3://b/a"),
        ({"kind": "jdbc", "keys": ["id"], "last_values": [{"uuid": "x"}]}, "tagged key value"),
        ({"kind": "jdbc", "keys": ["id; drop table t"]}, "not a plain SQL identifier"),
        ({"keys": ["id"]}, "kind"),
    ],
)
def test_unreadable_states_are_invalid_input(data: dict[str, Any], message: str) -> None:
    with pytest.raises(InvalidInputException, match=message):
        load_state(data)


@pytest.mark.parametrize(
    ("state", "row_values", "predicate", "params"),
    [
        (JdbcBookmark(["id"]), False, "1 = 1", {}),
        (JdbcBookmark(["id"], "asc", [7]), False, "id > :v1", {"v1": 7}),
        (JdbcBookmark(["id"], "desc", [7]), True, "id < :v1", {"v1": 7}),
        (JdbcBookmark(["a", "b"], "asc", [1, 2]), False, "a > :v1 OR (a = :v1 AND b > :v2)", {"v1": 1, "v2": 2}),
        (JdbcBookmark(["a", "b"], "asc", [1, 2]), True, "(a, b) > (:v1, :v2)", {"v1": 1, "v2": 2}),
        (JdbcBookmark(["a", "b"], "desc", [1, 2]), True, "(a, b) < (:v1, :v2)", {"v1": 1, "v2": 2}),
        (
            JdbcBookmark(["a", "b", "c"], "desc", [1, 2, 3]),
            False,
            "a < :v1 OR (a = :v1 AND b < :v2) OR (a = :v1 AND b = :v2 AND c < :v3)",
            {"v1": 1, "v2": 2, "v3": 3},
        ),
    ],
)
def test_jdbc_filter_text(state: JdbcBookmark, row_values: bool, predicate: str, params: dict) -> None:
    assert jdbc_filter(state, row_values=row_values) == (predicate, params)


def test_jdbc_filter_with_until_bounds_both_sides() -> None:
    start = JdbcBookmark(["a", "b"], "asc", [1, 2])
    until = JdbcBookmark(["a", "b"], "asc", [3, 0])
    assert jdbc_filter(start, until) == (
        "(a > :v1 OR (a = :v1 AND b > :v2)) AND (a < :u1 OR (a = :u1 AND b < :u2) OR (a = :u1 AND b = :u2))",
        {"v1": 1, "v2": 2, "u1": 3, "u2": 0},
    )
    assert jdbc_filter(start, JdbcBookmark(["a", "b"])) == ("1 = 0", {})
    with pytest.raises(InvalidInputException, match="different jobBookmarkKeys"):
        jdbc_filter(start, JdbcBookmark(["b", "a"], "asc", [0, 0]))


ROWS = [(a, b) for a in range(4) for b in range(4)]


@pytest.mark.parametrize("row_values", [False, True])
@pytest.mark.parametrize("order", ["asc", "desc"])
@pytest.mark.parametrize(("last", "to"), [((1, 2), None), ((0, 0), (2, 1)), ((2, 3), (2, 3)), ((3, 3), None)])
def test_jdbc_filter_selects_exactly_the_lexicographic_range(row_values: bool, order: str, last, to) -> None:
    if order == "desc":  # mirror the range so the same rows stay in play
        last, to = (3 - last[0], 3 - last[1]), None if to is None else (3 - to[0], 3 - to[1])
    start = JdbcBookmark(["a", "b"], order, list(last))
    until = None if to is None else JdbcBookmark(["a", "b"], order, list(to))
    predicate, params = jdbc_filter(start, until, row_values=row_values)
    db = sqlite3.connect(":memory:")
    db.execute("CREATE TABLE t (a INTEGER, b INTEGER)")
    db.executemany("INSERT INTO t VALUES (?, ?)", ROWS)
    got = sorted(db.execute(f"SELECT a, b FROM t WHERE {predicate}", params).fetchall())
    if order == "asc":
        want = [r for r in ROWS if r > last and (to is None or r <= to)]
    else:
        want = [r for r in ROWS if r < last and (to is None or r >= to)]
    assert got == sorted(want)


@pytest.mark.parametrize(
    ("state", "seen", "after"),
    [
        (JdbcBookmark(["a", "b"]), [3, 1], [3, 1]),
        (JdbcBookmark(["a", "b"], "asc", [1, 9]), (2, 0), [2, 0]),
        (JdbcBookmark(["a", "b"], "asc", [2, 5]), [2, 1], [2, 5]),  # never moves backwards
        (JdbcBookmark(["a", "b"], "desc", [5, 5]), [4, 9], [4, 9]),
        (JdbcBookmark(["a", "b"], "desc", [5, 5]), [6, 0], [5, 5]),
        (JdbcBookmark(["a"], "asc", [5]), None, [5]),  # nothing read
    ],
)
def test_advance_jdbc(state: JdbcBookmark, seen, after: list) -> None:
    assert advance_jdbc(state, seen).last_values == after


@pytest.mark.parametrize(
    ("build", "message"),
    [
        (lambda: JdbcBookmark([]), "at least one column"),
        (lambda: JdbcBookmark(["id; drop table t"]), "not a plain SQL identifier"),
        (lambda: JdbcBookmark(["id"], "up"), "must be 'asc' or 'desc'"),
        (lambda: JdbcBookmark(["a", "b"], "asc", [1]), "Expected 2 bookmark key values"),
        (lambda: advance_jdbc(JdbcBookmark(["a"]), [None]), "Bookmark key a is NULL"),
    ],
)
def test_jdbc_bookmark_validation(build, message: str) -> None:
    with pytest.raises(InvalidInputException, match=message):
        build()


def _replay(events: list[str]) -> BookmarkEntry:
    """Apply ``ok:<run id>`` (a committed run) and ``fail`` (a failed attempt) to a new entry."""
    entry = BookmarkEntry("orders")
    for event in events:
        if event == "fail":
            entry = on_failure(entry)
        else:
            run_id = event.removeprefix("ok:")
            entry = on_success(entry, run_id, {"src": {"kind": "jdbc", "last_values": [run_id]}})
    return entry


@pytest.mark.parametrize(
    ("events", "version", "run", "attempt", "run_id", "previous_run_id"),
    [
        ([], 1, 1, 0, None, None),
        (["ok:jr_1"], 2, 2, 0, "jr_1", None),
        (["ok:jr_1", "fail"], 3, 2, 1, "jr_1", None),
        (["ok:jr_1", "fail", "fail"], 4, 2, 2, "jr_1", None),
        # The counters a real GetJobBookmark showed after a success, a failure and a success.
        (["ok:jr_1", "fail", "ok:jr_2"], 4, 3, 0, "jr_2", "jr_1"),
        (["fail", "ok:jr_1", "ok:jr_2", "ok:jr_3"], 5, 4, 0, "jr_3", "jr_2"),
    ],
)
def test_entry_counters(
    events: list[str], version: int, run: int, attempt: int, run_id: str | None, previous_run_id: str | None
) -> None:
    entry = _replay(events)
    assert (entry.version, entry.run, entry.attempt) == (version, run, attempt)
    assert (entry.run_id, entry.previous_run_id) == (run_id, previous_run_id)


def test_failure_keeps_the_committed_state() -> None:
    committed = _replay(["ok:jr_1"])
    assert _replay(["ok:jr_1", "fail", "fail"]).job_bookmark == committed.job_bookmark


def test_to_glue_dict_matches_get_job_bookmark() -> None:
    assert BookmarkEntry("orders").to_glue_dict() == {
        "JobName": "orders",
        "Version": 1,
        "Run": 1,
        "Attempt": 0,
        "JobBookmark": "{}",
    }
    glue = _replay(["ok:jr_1", "ok:jr_2"]).to_glue_dict()
    assert glue == {
        "JobName": "orders",
        "Version": 3,
        "Run": 3,
        "Attempt": 0,
        "PreviousRunId": "jr_1",
        "RunId": "jr_2",
        "JobBookmark": '{"src":{"kind":"jdbc","last_values":["jr_2"]}}',
    }
    assert json.loads(glue["JobBookmark"]) == {"src": {"kind": "jdbc", "last_values": ["jr_2"]}}


HISTORY = [("jr_1", {"src": 1}), ("jr_2", {"src": 2}), ("jr_3", {"src": 3})]
CURRENT = {"src": 3}


@pytest.mark.parametrize(
    ("option", "current", "range_", "plan"),
    [
        ("job-bookmark-enable", CURRENT, (None, None), ReadPlan({"src": 3}, None, commit=True)),
        ("job-bookmark-enable", None, (None, None), ReadPlan(None, None, commit=True)),
        ("job-bookmark-enable", {"src": 1}, (None, None), ReadPlan({"src": 1}, None, commit=True)),  # rewound
        ("job-bookmark-pause", CURRENT, (None, None), ReadPlan({"src": 3}, None, commit=False)),
        ("job-bookmark-pause", CURRENT, ("jr_1", "jr_2"), ReadPlan({"src": 1}, {"src": 2}, commit=False)),
        ("job-bookmark-pause", CURRENT, ("jr_2", "jr_2"), ReadPlan({"src": 2}, {"src": 2}, commit=False)),
        ("job-bookmark-disable", CURRENT, (None, None), ReadPlan(None, None, commit=False)),
    ],
)
def test_resolve_read_state(option: str, current, range_, plan: ReadPlan) -> None:
    assert resolve_read_state(option, current, HISTORY, *range_) == plan


@pytest.mark.parametrize(
    ("option", "range_", "error", "message"),
    [
        ("job-bookmark-on", (None, None), InvalidInputException, "must be one of job-bookmark-enable"),
        ("job-bookmark-pause", ("jr_1", None), InvalidInputException, "must be given together"),
        ("job-bookmark-enable", ("jr_1", "jr_2"), InvalidInputException, "only valid with job-bookmark-pause"),
        ("job-bookmark-pause", ("jr_3", "jr_1"), InvalidInputException, "committed after"),
        ("job-bookmark-pause", ("jr_1", "jr_9"), EntityNotFoundException, "run jr_9"),
    ],
)
def test_resolve_read_state_errors(option: str, range_, error: type[Exception], message: str) -> None:
    with pytest.raises(error, match=message):
        resolve_read_state(option, CURRENT, HISTORY, *range_)


def test_reset_forgets_or_rewinds() -> None:
    assert reset(HISTORY) == []
    assert reset(HISTORY, "jr_2") == HISTORY[:2]
    with pytest.raises(EntityNotFoundException):
        reset(HISTORY, "jr_missing")


@pytest.mark.parametrize("mode", ["mtime", "manifest"])
def test_pause_range_reads_what_runs_after_from_up_to_to_processed(mode: str) -> None:
    """Three enabled runs, then a paused backfill of run 2's input only."""
    batches = [[f("a", 100), f("b", 200)], [f("c", 5_000), f("d", 5_100)], [f("e", 50_000)]]
    history: list[tuple[str, dict]] = []
    listing: list[FileEntry] = []
    for number, (batch, now) in enumerate(zip(batches, [1_000, 10_000, 100_000], strict=True), 1):
        listing += batch
        plan = resolve_read_state("job-bookmark-enable", history[-1][1] if history else None, history)
        start = load_state(plan.start["src"]) if plan.start else None
        selection = select_new_files(start, listing, now=now, mode=mode)
        assert selection.files == batch
        history.append((f"jr_{number}", {"src": selection.next_state.to_dict()}))

    plan = resolve_read_state("job-bookmark-pause", history[-1][1], history, "jr_1", "jr_2")
    assert plan.commit is False
    paused = select_new_files(
        load_state(plan.start["src"]), listing, now=200_000, mode=mode, until=load_state(plan.until["src"])
    )
    assert names(paused.files) == ["c", "d"]
