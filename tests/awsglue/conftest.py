"""awsglue fixtures: a GlueContext on the session's SparkSession, JSON files, and a Spark job counter."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

import pytest

from awsglue.context import GlueContext
from tests.etl.conftest import lake, raw_events  # noqa: F401 - the job runtime's fixtures, shared


@pytest.fixture
def glue(spark, sluice_home: Path) -> GlueContext:
    """A GlueContext over the test session's SparkContext, in the test's SLUICE_HOME."""
    return GlueContext(spark.sparkContext)


def write_json(folder: Path, name: str, records: Iterable[Any], *, raw: Iterable[str] = ()) -> Path:
    """One JSON-lines file of ``records`` (then any ``raw`` lines) under ``folder``."""
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / name
    path.write_text("".join(json.dumps(r) + "\n" for r in records) + "".join(line + "\n" for line in raw))
    return path


def spark_jobs(spark, action: Callable[[], Any]) -> tuple[int, Any]:
    """How many Spark jobs ``action`` starts, and what it returns."""
    group = f"count-{id(action)}"
    sc = spark.sparkContext
    sc.setJobGroup(group, group)
    try:
        result = action()
    finally:
        sc.setLocalProperty("spark.jobGroup.id", None)
    return len(sc.statusTracker().getJobIdsForGroup(group)), result
