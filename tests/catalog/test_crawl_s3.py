"""The crawler on the moto S3 server: the same catalog as from disk, from ranged reads only."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.orc as orc
import pytest

from catalog import Catalog
from catalog.crawler import listing
from catalog.crawler.run import crawl
from tests.catalog.conftest import write_parquet, write_text

pytestmark = pytest.mark.s3


def _upload(client: Any, bucket: str, root: Path, prefix: str) -> str:
    for path in sorted(root.rglob("*")):
        if path.is_file():
            client.upload_file(str(path), bucket, f"{prefix}/{path.relative_to(root).as_posix()}")
    return f"s3://{bucket}/{prefix}"


def _portable(database: str, root: str) -> list[dict[str, Any]]:
    """Tables and partitions with the root, times and run ids taken out."""
    out = []
    for table in Catalog().get_tables(database):
        params = {k: v for k, v in table["Parameters"].items() if k not in ("CRAWL_RUN_ID", "UPDATED_BY_CRAWLER")}
        location = table["StorageDescriptor"]["Location"].replace(root, "")
        sd = {**table["StorageDescriptor"], "Location": location, "Parameters": params}
        parts = [
            (p["Values"], p["StorageDescriptor"]["Location"].replace(root, ""), p["Parameters"])
            for p in Catalog().get_partitions(database, table["Name"])
        ]
        out.append({"Name": table["Name"], "SD": sd, "Keys": table["PartitionKeys"], "Params": params, "Parts": parts})
    return out


def test_the_same_lake_from_disk_and_s3_gives_identical_catalogs(lake: Path, s3: tuple[Any, str]) -> None:
    client, bucket = s3
    write_text(lake / "stations" / "broken.csv", "a,b,c\n1,2\n")
    uri = _upload(client, bucket, lake, "lake")
    local_run = crawl([str(lake)], database_name="disk")
    s3_run = crawl([uri], database_name="cloud")
    assert s3_run["Metrics"] == {**local_run["Metrics"], "DurationSeconds": s3_run["Metrics"]["DurationSeconds"]}
    assert _portable("cloud", uri) == _portable("disk", str(lake))
    assert [e["Path"] for e in s3_run["Errors"]] == [f"{uri}/stations/broken.csv"]
    assert Catalog().get_table("cloud", "trips")["StorageDescriptor"]["Location"] == f"{uri}/trips/"


def test_s3_reads_parquet_footers_and_text_heads_only(
    tmp_path: Path, s3: tuple[Any, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    client, bucket = s3
    root = tmp_path / "big"
    rows = 300_000
    write_parquet(root / "wide" / "w.parquet", {"id": pa.array(range(rows)), "v": pa.array(range(rows), pa.float64())})
    noise = np.random.default_rng(0).random(rows)
    orc.write_table(pa.table({"id": pa.array(range(rows)), "v": noise}), str(root / "wide" / "w.orc"))
    write_text(root / "text" / "t.csv", "id,name\n" + "".join(f"{i},name{i}\n" for i in range(250_000)))
    sizes = {p.name: p.stat().st_size for p in root.rglob("*.*")}
    assert sizes["w.parquet"] > 2_000_000 and sizes["w.orc"] > 500_000 and sizes["t.csv"] > 3_000_000
    uri = _upload(client, bucket, root, "big")

    reads: dict[str, int] = {}
    real_read = listing.read_range

    def counting(object_uri: str, start: int, length: int = 0, *, ctx: object = None) -> bytes:
        data = real_read(object_uri, start, length, ctx=ctx)
        reads[object_uri.rpartition("/")[2]] = reads.get(object_uri.rpartition("/")[2], 0) + len(data)
        return data

    monkeypatch.setattr(listing, "read_range", counting)
    run = crawl([uri], database_name="cloud")
    assert run["Metrics"]["FilesScanned"] == 3 and not run["Errors"]
    assert reads["w.parquet"] <= 64 * 1024 and reads["w.orc"] <= 64 * 1024  # the footers, by ranged GETs
    assert reads["t.csv"] <= 1 << 20  # the first MiB
    parquet, orc_table = (Catalog().get_table("cloud", f"w_{kind}") for kind in ("parquet", "orc"))
    assert parquet["Parameters"]["recordCount"] == orc_table["Parameters"]["recordCount"] == str(rows)  # footers
    text = Catalog().get_table("cloud", "text")
    assert abs(int(text["Parameters"]["recordCount"]) - 250_000) < 25_000  # estimated from the sample
