"""``JobContext.read_jdbc`` against the real PostgreSQL through Debian's JDBC driver: bookmark keys asc and desc,
composite keys, the primary key by default, and key values rendered as safe SQL literals."""

from __future__ import annotations

import json
from collections.abc import Iterator

import pytest
import sqlalchemy as sa

from etl.args import JobArguments
from etl.bookmarks.store import get_job_bookmark
from etl.context import JobContext

pytestmark = [pytest.mark.spark, pytest.mark.postgres]


@pytest.fixture
def pg(pg_url: str) -> Iterator[tuple[sa.Engine, str]]:
    """An engine on a fresh schema, and the JDBC URL of that schema."""
    schema = pg_url.rsplit("search_path%3D", 1)[1]
    engine = sa.create_engine(pg_url)
    yield engine, f"jdbc:postgresql://127.0.0.1:5432/test?user=postgres&currentSchema={schema}"
    engine.dispose()


def execute(engine: sa.Engine, *statements: str) -> None:
    with engine.begin() as conn:
        for statement in statements:
            conn.execute(sa.text(statement))


def read(spark, url: str, table: str, ctx: str = "src", option: str = "job-bookmark-enable", **kwargs) -> list:
    """One committed run reading ``table``; its rows, sorted."""
    with JobContext(JobArguments(job_name="jdbc_job", bookmark_option=option), spark) as job:
        rows = sorted(tuple(r) for r in job.read_jdbc(url, table, transformation_ctx=ctx, **kwargs).collect())
        job.commit()
    return rows


def state(ctx: str) -> dict:
    return json.loads(get_job_bookmark("jdbc_job")["JobBookmarkEntry"]["JobBookmark"])[ctx]


def test_primary_key_bookmark_reads_only_new_rows(spark, pg: tuple[sa.Engine, str]) -> None:
    engine, url = pg
    execute(
        engine,
        "CREATE TABLE orders (id serial PRIMARY KEY, item text)",
        "INSERT INTO orders (item) VALUES ('a'), ('b')",
    )
    assert read(spark, url, "orders") == [(1, "a"), (2, "b")]
    execute(engine, "INSERT INTO orders (item) VALUES ('c')", "UPDATE orders SET item = 'A' WHERE id = 1")
    assert read(spark, url, "orders") == [(3, "c")]  # as in Glue, the updated row is not read again
    assert state("src") == {"kind": "jdbc", "version": 1, "keys": ["id"], "sort_order": "asc", "last_values": [3]}
    assert read(spark, url, "orders") == []
    assert read(spark, url, "orders", option="job-bookmark-disable") == [(1, "A"), (2, "b"), (3, "c")]


def test_desc_and_composite_keys(spark, pg: tuple[sa.Engine, str]) -> None:
    engine, url = pg
    execute(
        engine,
        "CREATE TABLE countdown (n int NOT NULL, label text)",
        "INSERT INTO countdown VALUES (10, 'ten'), (9, 'nine')",
        "CREATE TABLE events (day date NOT NULL, seq int NOT NULL)",
        "INSERT INTO events VALUES ('2024-01-01', 1), ('2024-01-01', 2), ('2024-01-02', 1)",
    )
    down = {"ctx": "down", "bookmark_keys": ["n"], "bookmark_keys_sort_order": "desc"}
    assert read(spark, url, "countdown", **down) == [(9, "nine"), (10, "ten")]
    execute(engine, "INSERT INTO countdown VALUES (8, 'eight'), (7, 'seven')")
    assert read(spark, url, "countdown", **down) == [(7, "seven"), (8, "eight")]
    assert state("down")["last_values"] == [7]

    pair = {"ctx": "pair", "bookmark_keys": ["day", "seq"]}
    assert len(read(spark, url, "events", **pair)) == 3
    execute(engine, "INSERT INTO events VALUES ('2024-01-02', 2), ('2024-01-03', 1)")
    assert [(str(d), s) for d, s in read(spark, url, "events", **pair)] == [("2024-01-02", 2), ("2024-01-03", 1)]
    assert state("pair")["last_values"] == [{"date": "2024-01-03"}, 1]


def test_text_keys_are_rendered_as_safe_literals(spark, pg: tuple[sa.Engine, str]) -> None:
    engine, url = pg
    execute(engine, "CREATE TABLE tags (code text PRIMARY KEY)", "INSERT INTO tags VALUES ('a''1'), ('b')")
    assert read(spark, url, "tags") == [("a'1",), ("b",)]
    execute(engine, "INSERT INTO tags VALUES ('c'' OR ''1''=''1'), ('d''); DROP TABLE tags; --')")
    assert read(spark, url, "tags") == [("c' OR '1'='1",), ("d'); DROP TABLE tags; --",)]
    assert state("src")["last_values"] == ["d'); DROP TABLE tags; --"]
    assert read(spark, url, "tags") == []  # the quote in the stored mark neither broke nor widened the filter
    with engine.connect() as conn:
        assert conn.execute(sa.text("SELECT count(*) FROM tags")).scalar() == 4
