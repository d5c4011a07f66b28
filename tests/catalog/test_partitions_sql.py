"""GetPartitions in SQL: the pushdown gives the evaluator's answer, reads only matches, and pages like Glue."""

from __future__ import annotations

import base64
import datetime as dt
import time
from collections.abc import Iterator
from contextlib import contextmanager
from itertools import product
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa

from catalog import Catalog
from catalog.models import PartitionRow, PartitionValueRow
from catalog.predicate import compile_predicate
from catalog.store import index_pending_partitions
from sluice.db import get_engine, make_engine, session_scope, upgrade
from sluice.errors import InvalidInputException

COLUMNS = [{"Name": "fare", "Type": "double"}, {"Name": "vendor", "Type": "string"}]


def _table(name: str, keys: list[tuple[str, str]]) -> dict[str, Any]:
    return {
        "Name": name,
        "StorageDescriptor": {"Columns": COLUMNS, "Location": f"/lake/{name}"},
        "PartitionKeys": [{"Name": k, "Type": t} for k, t in keys],
    }


def _parts(values: list[list[str]], table: str = "t") -> list[dict[str, Any]]:
    return [{"Values": v, "StorageDescriptor": {"Location": f"/lake/{table}/{'/'.join(v)}"}} for v in values]


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def backend(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> str:
    """The metadata DB backend: the test's SQLite, or a fresh PostgreSQL schema."""
    from sluice.db import reset_engines
    from sluice.settings import get_settings

    if request.param == "postgres":
        monkeypatch.setenv("SLUICE_METADATA_URL", request.getfixturevalue("pg_url"))
        get_settings.cache_clear()
        reset_engines()
    return str(request.param)


def sql_candidates(database: str, table: str, expression: str | None) -> tuple[list[list[str]], bool]:
    """The partitions the SQL prefilter alone returns (no evaluator), and whether it claims to be exact."""
    with session_scope() as s:
        cat = Catalog(session=s)
        row = cat._table(s, database, table)
        query, exact = cat._candidates(s, row, expression, None)
        return [p.values for p in s.scalars(query)], exact


@contextmanager
def per_partition_select(measure: Any) -> Iterator[list[Any]]:
    """``measure(raw_cursor, statement, parameters)`` of each statement selecting partition rows, in order."""
    results: list[Any] = []

    def listen(conn: Any, cursor: Any, statement: str, parameters: Any, context: Any, executemany: bool) -> None:
        head = statement.lstrip()
        if head.upper().startswith("SELECT") and "catalog_partitions.values_key" in head.split("FROM", 1)[0]:
            raw = conn.connection.dbapi_connection.cursor()
            results.append(measure(raw, statement, parameters))
            raw.close()

    engine = get_engine()
    sa.event.listen(engine, "after_cursor_execute", listen)
    try:
        yield results
    finally:
        sa.event.remove(engine, "after_cursor_execute", listen)


def _fetched(raw: Any, statement: str, parameters: Any) -> int:
    raw.execute(f"SELECT count(*) FROM ({statement}) AS fetched", parameters)
    return int(raw.fetchone()[0])


def partition_rows_fetched() -> Any:
    """Counts, per statement selecting partition rows, the rows the DB returns (by counting the same query)."""
    return per_partition_select(_fetched)


# --- differential: SQL pushdown vs the evaluator ----------------------------------------------

KEYS = [("n", "int"), ("s", "string"), ("d", "date")]
HIVE = "__HIVE_DEFAULT_PARTITION__"
N_VALUES = ["0", "1", "01", "2", "10", "-3", "+4", " 5", "x", HIVE, "99999999999999999999", "1_000"]
S_VALUES = ["a", "B", "10", "9", "é", "a_b", "50%", HIVE]
D_VALUES = ["2024-01-05", "2024-01-15", "20240110", "2023-12-31", "not-a-date", HIVE]

EXACT = [
    "n = 1",
    "n = '01'",
    "n = 01",
    "n <> 1",
    "n != 2",
    "n < 2",
    "n <= 2",
    "n > 4",
    "n >= -3",
    "n BETWEEN 1 AND 5",
    "n NOT BETWEEN 1 AND 5",
    "n IN (1, 10, 1000)",
    "n NOT IN (1, 10)",
    "n IN (1, NULL)",
    "n NOT IN (2, NULL)",
    "n IS NULL",
    "n IS NOT NULL",
    "1 = n",
    "5 > n",
    "NOT n = 1",
    "n = NULL",
    "NOT (n BETWEEN 1 AND NULL)",
    "s = 'a'",
    "s > '9'",
    "s < 10",
    "s = 10",
    "s LIKE 'a%'",
    "s LIKE 'a!_b' ESCAPE '!'",
    "s NOT LIKE '%0%'",
    "s LIKE '_'",
    "s LIKE 'A%'",
    "s IN ('a', 'B', 'zz')",
    "s BETWEEN 'B' AND 'a'",
    "s IS NULL",
    "d = '2024-01-10'",
    "d > '2024-01-01'",
    "d BETWEEN '2023-12-31' AND '2024-01-10'",
    "d IS NULL",
    "n = 1 AND s = 'a'",
    "n = 1 OR s = 'a'",
    "NOT (n = 1 OR s = 'a')",
    "NOT (n > 2 AND d < '2024-01-10')",
    "(n = 1 OR n = 2) AND NOT s IN ('a', '9')",
    "n = 1 OR n IS NULL",
    "d <> '2024-01-05' OR n IN (0)",
    "'a' = 'a' AND n = 2",
    "'a' = 'b' OR n = 2",
    "n >= 1 AND n <= 2 AND s <> 'a'",
]
INEXACT = ["n > 99999999999999999998", "n = s", "n LIKE '1%'", "n = 1 OR n = s"]


def test_pushdown_matches_the_evaluator(backend: str) -> None:
    cat = Catalog()
    cat.create_database("db")
    cat.create_table("db", _table("t", KEYS))
    cat.batch_create_partition("db", "t", _parts([list(v) for v in product(N_VALUES, S_VALUES, D_VALUES)]))
    everything = [p["Values"] for p in cat.get_partitions("db", "t")]
    assert len(everything) == len(N_VALUES) * len(S_VALUES) * len(D_VALUES)
    for expression in EXACT + INEXACT:
        matches = compile_predicate(expression, KEYS)
        expected = [v for v in everything if matches(v)]
        candidates, exact = sql_candidates("db", "t", expression)
        assert exact == (expression in EXACT), expression
        if exact:
            assert candidates == expected, expression
        else:
            assert set(map(tuple, candidates)) >= set(map(tuple, expected)), expression
        assert [p["Values"] for p in cat.get_partitions("db", "t", expression)] == expected, expression


def test_pushdown_reads_only_matches(backend: str) -> None:
    cat = Catalog()
    cat.create_database("db")
    cat.create_table("db", _table("t", KEYS))
    cat.batch_create_partition("db", "t", _parts([list(v) for v in product(N_VALUES, S_VALUES, D_VALUES)]))
    with partition_rows_fetched() as fetched:
        got = cat.get_partitions("db", "t", "n = 1 AND s IN ('a', 'B')")
    assert len(got) == 2 * 2 * len(D_VALUES)  # n is '1' or '01'
    assert fetched == [len(got)]


# --- 100k partitions --------------------------------------------------------------------------


def test_equality_on_100k_partitions_reads_only_the_matching_rows() -> None:
    cat = Catalog()
    cat.create_database("db")
    cat.create_table("db", _table("big", [("n", "int"), ("id", "string")]))
    for start in range(0, 100_000, 20_000):
        values = [[str(i % 1000), f"{i:06d}"] for i in range(start, start + 20_000)]
        assert cat.batch_create_partition("db", "big", _parts(values, "big")) == (20_000, 0)
    with partition_rows_fetched() as fetched:
        started = time.perf_counter()
        got = cat.get_partitions("db", "big", "n = 42")
        elapsed = time.perf_counter() - started
    assert [p["Values"] for p in got] == [[str(42), f"{i:06d}"] for i in range(42, 100_000, 1000)]
    assert fetched == [100]  # not 100,000
    assert elapsed < 5  # reading 100k rows took ~6 s before the pushdown; this is milliseconds


def _plan_work(raw: Any, statement: str, parameters: Any) -> int:
    """The rows the plan's nodes produced and removed in all (EXPLAIN ANALYZE of the same query): how much work
    the plan did, whatever the machine's speed."""
    raw.execute(f"EXPLAIN (ANALYZE, FORMAT JSON) {statement}", parameters)
    stack, total = [raw.fetchone()[0][0]["Plan"]], 0
    while stack:
        node = stack.pop()
        total += node["Actual Rows"] * node["Actual Loops"]
        total += sum(v for k, v in node.items() if k.startswith("Rows Removed"))
        stack += node.get("Plans", [])
    return total


@pytest.mark.postgres
@pytest.mark.parametrize(
    "expression", ["y = '2020' AND m = '07'", "m = '07' AND y = '2020'", "y = '2020' AND (m = '07' OR d = '01')"]
)
def test_an_and_of_keys_reads_few_rows_on_a_table_postgresql_has_not_analyzed(
    pg_url: str, monkeypatch: pytest.MonkeyPatch, expression: str
) -> None:
    """Partitions loaded a moment ago have no statistics yet (autovacuum analyzes within a minute or so): the
    plan must not depend on them. As one IN per key, PostgreSQL joined value row against value row there."""
    from sluice.db import reset_engines
    from sluice.settings import get_settings

    monkeypatch.setenv("SLUICE_METADATA_URL", pg_url)
    get_settings.cache_clear()
    reset_engines()
    cat = Catalog()
    cat.create_database("db")
    cat.create_table("db", _table("days", [("y", "string"), ("m", "string"), ("d", "string")]))
    with get_engine().begin() as conn:
        for name in ("catalog_partitions", "catalog_partition_values"):
            conn.execute(sa.text(f"ALTER TABLE {name} SET (autovacuum_enabled = false)"))
    days = [dt.date(2000, 1, 1) + dt.timedelta(days=i) for i in range(30_000)]
    cat.batch_create_partition("db", "days", _parts([[f"{d.year}", f"{d.month:02d}", f"{d.day:02d}"] for d in days]))
    with per_partition_select(_plan_work) as work:
        got = cat.get_partitions("db", "days", expression)
    matches = compile_predicate(expression, [("y", "string"), ("m", "string"), ("d", "string")])
    assert len(got) == sum(matches([f"{d.year}", f"{d.month:02d}", f"{d.day:02d}"]) for d in days) > 0
    assert len(work) == 1 and work[0] < 10_000  # the first key's matches and their seeks; 3.6 million as one IN per key


# --- paging -----------------------------------------------------------------------------------


def _paged_table(count: int) -> Catalog:
    cat = Catalog()
    cat.create_database("db")
    cat.create_table("db", _table("t", [("k", "string"), ("n", "int")]))
    cat.batch_create_partition("db", "t", _parts([[f"p{i:04d}", str(i % 7)] for i in range(count)]))
    return cat


@pytest.fixture
def paged(backend: str) -> Catalog:
    """Table ``db.t`` with 2,500 partitions ``p0000``..``p2499`` (key ``k`` string, ``n`` int)."""
    return _paged_table(2500)


@pytest.fixture
def tiny() -> Catalog:
    """Table ``db.t`` with 30 partitions, on SQLite."""
    return _paged_table(30)


def _all_pages(cat: Catalog, expression: str | None = None, **kwargs: Any) -> list[list[dict[str, Any]]]:
    pages, token = [], None
    while True:
        page, token = cat.get_partitions_page("db", "t", expression, next_token=token, **kwargs)
        pages.append(page)
        if token is None:
            return pages


def test_max_results_pages_in_order_without_duplicates(paged: Catalog) -> None:
    unpaged = [p["Values"] for p in paged.get_partitions("db", "t")]
    pages = _all_pages(paged, max_results=1000)
    assert [len(p) for p in pages] == [1000, 1000, 500]
    assert [p["Values"] for page in pages for p in page] == unpaged
    assert [p["Values"] for p in paged.get_partitions("db", "t", max_results=300)] == unpaged
    # with an expression (pushed down) and one the evaluator filters (n = k is never pushed down)
    threes = [v for v in unpaged if v[1] == "3"]
    assert [p["Values"] for page in _all_pages(paged, "n = 3", max_results=100) for p in page] == threes
    assert [len(p) for p in _all_pages(paged, "n = 3 OR n = k", max_results=100)] == [100, 100, 100, 57]
    assert [p["Values"] for page in _all_pages(paged, "n = 3 OR n = k", max_results=100) for p in page] == threes
    assert paged.get_partitions_page("db", "t", "k = 'nope'", max_results=5) == ([], None)


def test_segments_are_disjoint_and_cover_every_partition(paged: Catalog) -> None:
    unpaged = [tuple(p["Values"]) for p in paged.get_partitions("db", "t")]
    segments = [
        [tuple(p["Values"]) for p in paged.get_partitions("db", "t", segment={"SegmentNumber": i, "TotalSegments": 4})]
        for i in range(4)
    ]
    assert sum(len(s) for s in segments) == len(unpaged)
    assert set().union(*map(set, segments)) == set(unpaged)
    assert all(500 <= len(s) <= 750 for s in segments)  # balanced
    for segment in segments:
        assert segment == [v for v in unpaged if v in set(segment)]  # each in the table's order
    one = {"SegmentNumber": 2, "TotalSegments": 4}
    pages = _all_pages(paged, max_results=100, segment=one)
    assert [tuple(p["Values"]) for page in pages for p in page] == segments[2]
    assert len(pages) == len(segments[2]) // 100 + 1
    single = paged.get_partitions("db", "t", segment={"SegmentNumber": 0, "TotalSegments": 1})
    assert [tuple(p["Values"]) for p in single] == unpaged
    with_filter = paged.get_partitions("db", "t", "n = 3", segment=one)
    assert [tuple(p["Values"]) for p in with_filter] == [v for v in segments[2] if v[1] == "3"]


@pytest.mark.parametrize(
    "segment",
    [
        {"SegmentNumber": 0, "TotalSegments": 0},
        {"SegmentNumber": 0, "TotalSegments": 11},
        {"SegmentNumber": -1, "TotalSegments": 4},
        {"SegmentNumber": 4, "TotalSegments": 4},
        {"SegmentNumber": 1},
        {"TotalSegments": 2},
        {"SegmentNumber": "1", "TotalSegments": 2},
        {"SegmentNumber": 0, "TotalSegments": 2, "Extra": 1},
    ],
)
def test_bad_segments_are_invalid_input(tiny: Catalog, segment: dict[str, Any]) -> None:
    with pytest.raises(InvalidInputException, match="egment"):
        tiny.get_partitions_page("db", "t", segment=segment)


@pytest.mark.parametrize("max_results", [0, -1, 1001, True])
def test_bad_max_results_are_invalid_input(tiny: Catalog, max_results: int) -> None:
    with pytest.raises(InvalidInputException, match="maxResults"):
        tiny.get_partitions_page("db", "t", max_results=max_results)


def test_bad_stale_and_foreign_tokens_are_invalid_input(tiny: Catalog) -> None:
    paged = tiny
    _, token = paged.get_partitions_page("db", "t", "n < 5", max_results=10)
    assert token is not None
    page, _ = paged.get_partitions_page("db", "t", "n < 5", max_results=10, next_token=token)
    assert len(page) == 10
    raw = base64.urlsafe_b64decode(token + "=" * (-len(token) % 4))
    tampered = base64.urlsafe_b64encode(raw[:8] + raw[8:].replace(b'"k":"p', b'"k":"q')).decode()
    for bad in ("garbage", "!!!", token[:-3], tampered, base64.urlsafe_b64encode(b"x" * 40).decode()):
        with pytest.raises(InvalidInputException, match="Invalid NextToken"):
            paged.get_partitions_page("db", "t", "n < 5", max_results=10, next_token=bad)
    foreign = [
        {"expression": "n < 6"},
        {"expression": "n < 5", "segment": {"SegmentNumber": 0, "TotalSegments": 2}},
    ]
    for call in foreign:
        with pytest.raises(InvalidInputException, match="does not belong"):
            paged.get_partitions_page("db", "t", call["expression"], segment=call.get("segment"), next_token=token)
    paged.create_table("db", _table("other", [("k", "string"), ("n", "int")]))
    with pytest.raises(InvalidInputException, match="does not belong"):
        paged.get_partitions_page("db", "other", "n < 5", next_token=token)
    paged.delete_table("db", "t")  # the same name again is another table: the token is stale
    paged.create_table("db", _table("t", [("k", "string"), ("n", "int")]))
    with pytest.raises(InvalidInputException, match="does not belong"):
        paged.get_partitions_page("db", "t", "n < 5", next_token=token)


def test_exclude_column_schema_drops_columns(paged: Catalog) -> None:
    full, _ = paged.get_partitions_page("db", "t", "k = 'p0001'")
    bare, _ = paged.get_partitions_page("db", "t", "k = 'p0001'", exclude_column_schema=True)
    assert full[0]["StorageDescriptor"]["Columns"] == COLUMNS
    assert "Columns" not in bare[0]["StorageDescriptor"]
    assert bare[0]["StorageDescriptor"]["Location"] == full[0]["StorageDescriptor"]["Location"]
    assert {k: v for k, v in full[0]["StorageDescriptor"].items() if k != "Columns"} == bare[0]["StorageDescriptor"]
    assert "Columns" in paged.get_table("db", "t")["StorageDescriptor"]  # the table's own descriptor is intact
    every = paged.get_partitions("db", "t", exclude_column_schema=True, max_results=1000)
    assert len(every) == 2500 and all("Columns" not in p["StorageDescriptor"] for p in every)


# --- value rows stay right --------------------------------------------------------------------


def test_partitions_inserted_without_value_rows_are_still_found() -> None:
    """A writer that inserts bare catalog_partitions rows only costs the pushdown, never a match."""
    cat = Catalog()
    cat.create_database("db")
    cat.create_table("db", _table("t", [("k", "string"), ("n", "int")]))
    cat.batch_create_partition("db", "t", _parts([["a", "1"], ["b", "2"]]))
    with session_scope() as s:
        table_id = s.scalar(sa.select(PartitionRow.table_id).limit(1))
        s.execute(
            sa.insert(PartitionRow.__table__),
            [{"table_id": table_id, "values": ["c", "1"], "values_key": "c\x1f1", "location": "/c", "parameters": {}}],
        )
    assert [p["Values"] for p in cat.get_partitions("db", "t", "n = 1")] == [["a", "1"], ["c", "1"]]
    assert sql_candidates("db", "t", "n = 1") == ([["a", "1"], ["b", "2"], ["c", "1"]], False)
    with session_scope() as s:
        assert index_pending_partitions(s, table_id, cat.get_table("db", "t")["PartitionKeys"]) == 1
    assert sql_candidates("db", "t", "n = 1") == ([["a", "1"], ["c", "1"]], True)


def test_changing_a_key_type_renormalises_the_values() -> None:
    cat = Catalog()
    cat.create_database("db")
    cat.create_table("db", _table("t", [("k", "string")]))
    cat.batch_create_partition("db", "t", _parts([["1"], ["02"], ["10"], ["x"]]))
    assert sql_candidates("db", "t", "k < '2'") == ([["02"], ["1"], ["10"]], True)  # as strings
    table = cat.get_table("db", "t")
    cat.update_table("db", {**_table("t", [("k", "int")]), "Parameters": table["Parameters"]})
    assert sql_candidates("db", "t", "k < 2") == ([["1"]], True)  # as integers
    assert sql_candidates("db", "t", "k IS NULL") == ([["x"]], True)
    assert [p["Values"] for p in cat.get_partitions("db", "t", "k >= 2")] == [["02"], ["10"]]


def test_deletes_remove_value_rows() -> None:
    cat = Catalog()
    cat.create_database("db")
    for name in ("t", "u"):
        cat.create_table("db", _table(name, [("k", "string"), ("n", "int")]))
        cat.batch_create_partition("db", name, _parts([["a", "1"], ["b", "2"]], name))

    def value_rows() -> int:
        with session_scope() as s:
            return int(s.scalar(sa.select(sa.func.count()).select_from(PartitionValueRow)) or 0)

    assert value_rows() == 8
    cat.delete_partition("db", "t", ["a", "1"])
    assert value_rows() == 6
    cat.delete_table("db", "t")
    assert value_rows() == 4
    cat.delete_database("db")
    assert value_rows() == 0


def test_migration_backfills_value_rows(tmp_path: Path) -> None:
    engine = make_engine(f"sqlite:///{tmp_path / 'old.db'}")
    day = dt.datetime(2024, 1, 1)
    try:
        upgrade(engine, "0003")
        meta = sa.MetaData()
        meta.reflect(engine, only=["catalog_databases", "catalog_tables", "catalog_partitions"])
        databases, tables, partitions = (
            meta.tables[n] for n in ("catalog_databases", "catalog_tables", "catalog_partitions")
        )
        keys = [{"Name": "n", "Type": "int"}, {"Name": "s", "Type": "string"}]
        with engine.begin() as conn:
            conn.execute(databases.insert().values(id=1, name="db", parameters={}, create_time=day))
            conn.execute(
                tables.insert().values(
                    id=1,
                    database_id=1,
                    name="t",
                    table_type="EXTERNAL_TABLE",
                    descriptor={},
                    partition_keys=keys,
                    parameters={},
                    version_id=0,
                    create_time=day,
                    update_time=day,
                )
            )
            old = [["1", "a"], ["02", "b"], ["x", "__HIVE_DEFAULT_PARTITION__"]]
            conn.execute(
                partitions.insert(),
                [
                    {
                        "id": i + 1,
                        "table_id": 1,
                        "values": v,
                        "values_key": "\x1f".join(v),
                        "location": "/x",
                        "parameters": {},
                        "creation_time": day,
                    }
                    for i, v in enumerate(old)
                ],
            )
        upgrade(engine)
        with engine.connect() as conn:
            rows = conn.execute(
                sa.text("SELECT partition_id, position, value FROM catalog_partition_values ORDER BY 1, 2")
            ).all()
            flags = conn.execute(sa.text("SELECT values_indexed FROM catalog_partitions")).scalars().all()
        assert [tuple(r) for r in rows] == [
            (1, 0, "P0000000000000000001"),
            (1, 1, "a"),
            (2, 0, "P0000000000000000002"),
            (2, 1, "b"),
            (3, 0, None),
            (3, 1, None),
        ]
        assert flags == [1, 1, 1]
    finally:
        engine.dispose()
