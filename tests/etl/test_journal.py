"""Typed commit-journal entries: how they are stored, rows in the pre-``kind`` shape, and how a journal applies."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from pydantic import ValidationError

from catalog import Catalog
from etl import publish
from etl.journal import CatalogUpdate, Delete, Move, WarehouseLoad, dump_entries, file_op, file_pair, load_entries
from etl.models import JobCommitRow
from sluice.db import session_scope

RUN = "jr_0123456789abcdef"
JOB = "journal_job"


def catalog_update(location: str, partitions: list[dict[str, Any]]) -> dict[str, Any]:
    """A catalog update as code before the ``kind`` tag journaled it."""
    return {
        "database": "curated",
        "table": "events",
        "location": location,
        "columns": [{"Name": "id", "Type": "bigint"}],
        "partition_keys": [{"Name": "day", "Type": "string"}],
        "partitions": partitions,
    }


def warehouse_load(stage: str) -> dict[str, Any]:
    """A warehouse load as code before the ``kind`` tag journaled it."""
    return {
        "warehouse": {"stage": stage, "target": "fact_events", "ledger_key": f"{RUN}/0", "options": {"mode": "merge"}}
    }


class FakeLoader:
    """Stands in for Spark and ``load_dataframe``: records what each load was given."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch) -> None:
        self.calls: list[tuple[Any, ...]] = []
        import warehouse.frames

        monkeypatch.setattr(publish, "get_spark", lambda **_: self)
        monkeypatch.setattr(warehouse.frames, "load_dataframe", self._load)

    def _load(self, df: Any, target: str, *, ctx: object = None, **kw: Any) -> None:
        self.calls.append((df, target, kw))

    @property
    def read(self) -> FakeLoader:
        return self

    def parquet(self, uri: str) -> str:
        return f"frame of {uri}"


def stage(path: Path) -> str:
    """Write one staged file at ``path``; returns its path."""
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(b"PAR1")
    return str(path)


def test_file_operations_are_stored_as_pairs() -> None:
    assert file_op(["/s/a", "/t/a"]) == Move(source="/s/a", target="/t/a")
    assert file_op(["/t/old", ""]) == Delete(path="/t/old")
    for op in (Move(source="/s/a", target="/t/a"), Delete(path="/t/old")):
        assert file_op(file_pair(op)) == op


def test_entries_are_stored_tagged_by_kind() -> None:
    update = CatalogUpdate.model_validate(catalog_update("/lake/events", [{"Values": ["1"], "Location": "/lake/d"}]))
    load = WarehouseLoad(stage="/lake/_w", target="t", ledger_key="k", options={"mode": "append"})
    stored = dump_entries([update, load])
    assert [e["kind"] for e in stored] == ["catalog", "warehouse"]
    assert stored[1] == {
        "kind": "warehouse",
        "stage": "/lake/_w",
        "target": "t",
        "ledger_key": "k",
        "options": {"mode": "append"},
    }
    assert load_entries(stored) == [update, load]


def test_entries_in_the_old_untagged_shape_load() -> None:
    update, load = load_entries([catalog_update("/lake/events", []), warehouse_load("/lake/_w")])
    assert isinstance(update, CatalogUpdate) and update.location == "/lake/events"
    assert load == WarehouseLoad(
        stage="/lake/_w", target="fact_events", ledger_key=f"{RUN}/0", options={"mode": "merge"}
    )


def test_an_unknown_kind_is_refused() -> None:
    with pytest.raises(ValidationError):
        load_entries([{"kind": "email", "to": "x"}])


def test_apply_dispatches_each_entry_to_the_catalog_or_the_loader(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    loader = FakeLoader(monkeypatch)
    target = tmp_path / "events"
    old = stage(target / "day=1" / "part-old.parquet")
    staged = stage(target / "_staging" / RUN / "0" / "day=1" / "part-0.parquet")
    rows = stage(tmp_path / "_w" / "_staging" / RUN / "0" / "part-0.parquet")
    update = CatalogUpdate.model_validate(
        catalog_update(str(target), [{"Values": ["1"], "Location": str(target / "day=1")}])
    )
    load = WarehouseLoad(stage=str(Path(rows).parent), target="t", ledger_key="k", options={"mode": "append"})
    files = [Delete(path=old), Move(source=staged, target=str(target / "day=1" / "part-0.parquet"))]
    publish.apply_journal(JobCommitRow.pending(RUN, JOB, files, [update, load]))
    assert sorted(p.name for p in (target / "day=1").iterdir()) == ["part-0.parquet"]
    assert Catalog().get_table("curated", "events")["StorageDescriptor"]["Columns"] == update.columns
    assert [p["Values"] for p in Catalog().get_partitions("curated", "events")] == [["1"]]
    assert loader.calls == [(f"frame of {load.stage}", "t", {"ledger_key": "k", "mode": "append"})]


def test_a_pending_journal_in_the_old_shape_rolls_forward(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    loader = FakeLoader(monkeypatch)
    target = tmp_path / "events"
    staged = stage(target / "_staging" / RUN / "0" / "day=1" / "part-0.parquet")
    published = str(target / "day=1" / "part-0.parquet")
    rows_stage = tmp_path / "_w" / "_staging" / RUN / "0"
    stage(rows_stage / "part-0.parquet")
    with session_scope() as s:  # as code before the typed journal wrote it, killed after its commit point
        s.add(
            JobCommitRow(
                run_id=RUN,
                job_name=JOB,
                status="PENDING",
                moves=[[staged, published]],
                catalog_updates=[
                    catalog_update(str(target), [{"Values": ["1"], "Location": str(target / "day=1")}]),
                    warehouse_load(str(rows_stage)),
                ],
            )
        )
    assert publish.roll_forward(JOB) == 1
    assert Path(published).exists() and not (target / "_staging").exists()
    assert [p["Values"] for p in Catalog().get_partitions("curated", "events")] == [["1"]]
    assert loader.calls == [(f"frame of {rows_stage}", "fact_events", {"ledger_key": f"{RUN}/0", "mode": "merge"})]
    assert not (tmp_path / "_w" / "_staging").exists()
    with session_scope() as s:
        row = s.get(JobCommitRow, RUN)
        assert row is not None and row.status == "DONE"
    assert publish.roll_forward(JOB) == 0
