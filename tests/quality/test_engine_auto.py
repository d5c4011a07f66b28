"""``--engine auto``: the size it judges on (catalog recordCount, Parquet footers, file sizes), the choice on both
sides of each limit with real files, and `sluice dq check` running in process without importing pyspark."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from typer.testing import CliRunner

from quality.engines.auto import Size, choose, source_size
from sparkio.read import path_files

ROOT = Path(__file__).resolve().parents[2]
RULES = 'Rules = [ RowCount = 1000, IsComplete "id", ColumnValues "k" in ["a", "b"] ]\n'


def _write(folder: Path, rows: int, files: int = 2) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    per = rows // files
    for index in range(files):
        ids = range(index * per, (index + 1) * per)
        pq.write_table(
            pa.table({"id": list(ids), "k": ["a" if i % 2 else "b" for i in ids]}), folder / f"{index}.parquet"
        )
    return folder


def test_choice_is_in_process_up_to_each_limit() -> None:
    size = Size(rows=1000, bytes=5000, files=2, basis="Parquet footers", format="parquet")
    assert choose(size, max_rows=1000, max_bytes=5000).engine == "duckdb"
    over_rows = choose(size, max_rows=999, max_bytes=5000)
    assert over_rows.engine == "spark" and "1,000 rows (Parquet footers) > the in-process limit of 999 rows" in (
        over_rows.reason
    )
    over_bytes = choose(size, max_rows=1000, max_bytes=4999)
    assert over_bytes.engine == "spark" and "5,000 bytes in 2 file(s) > the in-process limit of 4,999" in (
        over_bytes.reason
    )
    unknown = Size(rows=None, bytes=10, files=1, basis="no statistics", format="csv")
    assert choose(unknown, max_rows=0, max_bytes=10).engine == "duckdb"  # bytes decide when rows are unknown
    assert choose(Size(1, 1, 1, "", "avro"), max_rows=9, max_bytes=9).reason == "avro files are read by Spark only"


def test_size_from_footers_or_catalog_statistics(tmp_path) -> None:
    folder = _write(tmp_path / "t", 1000)
    source = path_files("parquet", [str(folder)], None, {})
    size = source_size(source)
    assert (size.rows, size.files, size.basis) == (1000, 2, "Parquet footers")
    assert size.bytes == sum(p.stat().st_size for p in folder.iterdir())
    stats = {"recordCount": "40000000"}
    assert source_size(source, stats, whole_table=True).rows == 40_000_000  # the crawler's count wins
    assert source_size(source, stats, whole_table=False).basis == "Parquet footers"  # pruned: footers


HEAVY = ("pyspark", "sqlglot", "pydantic_settings", "sqlalchemy.dialects.postgresql", "pyarrow")
"""Modules an in-process check does without: sqlglot once its translations are kept, the PostgreSQL dialect once
the metadata DB is migrated (Alembic loads it)."""


def _probe(*args: str, home: Path) -> tuple[subprocess.CompletedProcess[str], set[str]]:
    """Run `sluice ARGS` in a fresh interpreter; which of :data:`HEAVY` it imported."""
    code = (
        "import atexit, json, sys\n"
        f"heavy = {HEAVY!r}\n"
        "atexit.register(lambda: sys.stderr.write('\\nLOADED ' + json.dumps([m for m in heavy if m in sys.modules])))\n"
        "sys.argv[0] = 'sluice'\nfrom sluice.cli import main\nmain()\n"
    )
    env = {**os.environ, "SLUICE_HOME": str(home), "SLUICE_LAKE_ROOT": str(home / "lake")}
    proc = subprocess.run(
        [sys.executable, "-c", code, *args], cwd=ROOT, env=env, capture_output=True, text=True, timeout=300
    )
    return proc, set(json.loads(proc.stderr.rpartition("\nLOADED ")[2]))


def test_check_below_the_limit_runs_in_process_without_pyspark(tmp_path) -> None:
    _write(tmp_path / "lake" / "cur" / "t", 1000)
    ruleset = tmp_path / "t.dqdl"
    ruleset.write_text(RULES)
    args = ["dq", "check", "--ruleset", str(ruleset), "--path", "cur/t", "--json"]
    proc, loaded = _probe(*args, home=tmp_path)
    assert proc.returncode == 0, proc.stderr
    result = json.loads(proc.stdout)
    assert [r["Result"] for r in result["RuleResults"]] == ["PASS"] * 3
    assert result["Engine"]["Name"] == "duckdb" and result["Engine"]["Rows"] == 1000
    assert "within the in-process limits" in result["Engine"]["Reason"]
    assert "pyspark" not in loaded
    table, _ = _probe(*args[:-1], home=tmp_path)
    assert "Engine: duckdb (1,000 rows (Parquet footers)" in " ".join(table.stderr.split())


def test_a_where_clause_imports_sqlglot_once(tmp_path) -> None:
    """The first check translates its ``where`` clauses with sqlglot; the next ones reuse the translations."""
    _write(tmp_path / "lake" / "cur" / "t", 1000)
    ruleset = tmp_path / "t.dqdl"
    ruleset.write_text('Rules = [ RowCount = 500 where "k = \'a\'", ColumnValues "id" > 0 where "k <> \'a\'" ]\n')
    args = ["dq", "check", "--ruleset", str(ruleset), "--path", "cur/t", "--json", "--no-fail"]
    first, loaded = _probe(*args, home=tmp_path)
    assert first.returncode == 0, first.stderr
    assert "sqlglot" in loaded and "pyspark" not in loaded
    again, loaded = _probe(*args, home=tmp_path)
    assert again.returncode == 0, again.stderr
    assert not loaded
    outcomes = [json.loads(p.stdout)["RuleResults"] for p in (first, again)]
    assert [r["Result"] for r in outcomes[0]] == ["PASS", "FAIL"] and outcomes[0] == outcomes[1]


@pytest.mark.spark
def test_check_above_the_limit_runs_on_spark(spark, sluice_home, tmp_path) -> None:
    from quality.cli import app
    from sluice.settings import get_settings

    _write(Path(get_settings().lake) / "cur" / "t", 1000)
    ruleset = tmp_path / "t.dqdl"
    ruleset.write_text(RULES)
    args = ["check", "--ruleset", str(ruleset), "--path", "cur/t", "--json"]
    over = json.loads(CliRunner().invoke(app, [*args, "--max-rows", "999"]).output)
    assert over["Engine"]["Name"] == "spark" and "> the in-process limit of 999 rows" in over["Engine"]["Reason"]
    assert [r["Result"] for r in over["RuleResults"]] == ["PASS"] * 3
    at = json.loads(CliRunner().invoke(app, [*args, "--max-rows", "1000"]).output)
    assert at["Engine"]["Name"] == "duckdb" and at["RuleResults"] == over["RuleResults"]
    small = json.loads(CliRunner().invoke(app, [*args, "--max-bytes", "100"]).output)
    assert small["Engine"]["Name"] == "spark" and "bytes" in small["Engine"]["Reason"]


def test_settings_set_the_default_limits(tmp_path, monkeypatch) -> None:
    from quality.gate import run_gate
    from sluice.settings import get_settings

    monkeypatch.setenv("SLUICE_DQ_INPROCESS_MAX_ROWS", "5000")
    get_settings.cache_clear()
    _write(Path(get_settings().lake) / "cur" / "t", 1000)
    result = run_gate(ruleset=RULES, path="cur/t", format="parquet", engine="auto", action="warn")
    assert result["Engine"]["Name"] == "duckdb" and result["Score"] == 1.0
