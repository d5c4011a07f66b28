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


MEDICARE_HEADER = [
    *("DRG Definition", "Provider Id", "Provider Name", "Provider Street Address", "Provider City", "Provider State"),
    *("Provider Zip Code", "Hospital Referral Region Description", " Total Discharges ", " Average Covered Charges "),
    *(" Average Total Payments ", "Average Medicare Payments"),
]


def medicare_csv(rows: int = 12_000) -> bytes:
    """Medicare provider payments shaped like AWS's sample (``Medicare_Hospital_Provider.csv``): ``rows`` records,
    then two whose ``Provider Id`` is text, past the crawler's 1 MB sample."""
    import csv
    import io
    import random

    rng = random.Random(7)
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(MEDICARE_HEADER)

    def record(provider: object, name: str, city: str, state: str) -> list[object]:
        money = [f"${rng.uniform(low, low * 10):.2f}" for low in (5000, 4000, 3000)]
        place = ["1108 ROSS CLARK CIRCLE", city, state, 36301, "AL - Dothan", rng.randint(11, 90)]
        return ["039 - EXTRACRANIAL PROCEDURES W/O CC/MCC", provider, name, *place, *money]

    for i in range(rows):
        writer.writerow(record(10001 + i, "SOUTHEAST ALABAMA MEDICAL CENTER", "DOTHAN", "AL"))
    for name in ("INC", "INC- ST JOSEPH"):
        writer.writerow(record("UNKNOWN", name, "MAUSTON", "WI"))
    return out.getvalue().encode()


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
