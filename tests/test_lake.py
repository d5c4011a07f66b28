"""The lake's path rules: the one resolver, the hidden-file rule, and listing what is data."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from sluice import lake
from sluice.errors import InvalidInputException
from sluice.settings import get_settings

LOCAL = "<a local lake root>"


def use_lake_root(monkeypatch: pytest.MonkeyPatch, root: str) -> None:
    monkeypatch.setenv("SLUICE_LAKE_ROOT", root)
    get_settings.cache_clear()


@pytest.mark.parametrize(
    ("root", "path", "expected"),
    [
        # relative paths: under the lake root, normalised
        (LOCAL, "raw", "{lake}/raw"),
        (LOCAL, "raw/", "{lake}/raw"),
        (LOCAL, "./raw//orders/", "{lake}/raw/orders"),
        (LOCAL, "raw/tmp/../orders", "{lake}/raw/orders"),
        (LOCAL, "", "{lake}"),
        (LOCAL, "file://raw", "{lake}/raw"),
        # absolute local paths: stay, normalised, file:// dropped
        (LOCAL, "/data/in", "/data/in"),
        (LOCAL, "/data/in/", "/data/in"),
        (LOCAL, "/data/./in/../out", "/data/out"),
        (LOCAL, "/", "/"),
        (LOCAL, "file:///data/in/", "/data/in"),
        # S3: s3:// without a trailing slash, s3a:// read as s3://, keys otherwise as given
        (LOCAL, "s3://bucket/raw/", "s3://bucket/raw"),
        (LOCAL, "s3://bucket/", "s3://bucket"),
        (LOCAL, "s3://bucket", "s3://bucket"),
        (LOCAL, "s3a://bucket/raw/", "s3://bucket/raw"),
        (LOCAL, "s3://bucket/a/../b", "s3://bucket/a/../b"),
        # relative paths under an S3 lake root (not s3:/… as normpath would make it)
        ("s3://bucket/lake", "raw", "s3://bucket/lake/raw"),
        ("s3://bucket/lake/", "raw/", "s3://bucket/lake/raw"),
        ("s3a://bucket/lake", "raw/orders", "s3://bucket/lake/raw/orders"),
        ("s3://bucket", "raw", "s3://bucket/raw"),
        ("s3://bucket/lake", "", "s3://bucket/lake"),
        ("s3://bucket/lake", "/data/in/", "/data/in"),
        ("s3://bucket/lake", "s3a://other/x", "s3://other/x"),
    ],
)
def test_resolve(root: str, path: str, expected: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    local = tmp_path / "lake"
    use_lake_root(monkeypatch, str(local) if root == LOCAL else root)
    assert lake.resolve(path) == expected.format(lake=local)


@pytest.mark.parametrize("path", ["gs://bucket/raw", "hdfs://nn/raw", "S3://bucket/raw"])
def test_resolve_refuses_other_schemes(path: str) -> None:
    with pytest.raises(InvalidInputException, match="neither a local path nor an s3:// URI"):
        lake.resolve(path)


def test_resolve_keeps_symlinks(tmp_path: Path) -> None:
    (tmp_path / "real").mkdir()
    (tmp_path / "link").symlink_to(tmp_path / "real")
    assert lake.resolve(f"{tmp_path}/link/") == f"{tmp_path}/link"


@pytest.mark.parametrize(
    ("path", "hidden"),
    [
        ("_SUCCESS", True),
        ("year=2020/_SUCCESS", True),
        ("_temporary/0/part-0.parquet", True),
        ("data/.part-0.parquet.crc", True),
        (".hidden/file.csv", True),
        ("/_metadata/", True),
        ("data/file.csv._COPYING_", True),
        ("data_$folder$", True),
        ("_col=1/part-0.parquet", False),  # Hive partition folders may start with _
        ("year=2020/part-0.parquet", False),
        ("data/file_1.csv", False),
        ("data/file.csv.", False),
    ],
)
def test_is_hidden(path: str, hidden: bool) -> None:
    assert lake.is_hidden(path) is hidden


def test_the_crawler_uses_the_same_hidden_rule() -> None:
    from catalog.crawler import globs

    assert globs.is_hidden is lake.is_hidden


LAID_OUT = ["a.csv", "_SUCCESS", ".a.csv.crc", "_temporary/0/b.csv", "day=1/c.csv", "_col=2/d.csv", "x_$folder$"]
VISIBLE = ["_col=2/d.csv", "a.csv", "day=1/c.csv"]


def test_list_visible_on_local_disk(tmp_path: Path) -> None:
    for key in LAID_OUT:
        (tmp_path / "raw" / key).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / "raw" / key).write_text("x\n")
    listed = lake.list_visible(lake.resolve(f"{tmp_path}/raw/"))
    assert sorted(o.key for o in listed) == VISIBLE
    assert sorted(o.uri for o in listed) == [f"{tmp_path}/raw/{key}" for key in VISIBLE]
    assert [o.key for o in lake.list_visible(f"{tmp_path}/raw/a.csv")] == ["a.csv"]


@pytest.mark.s3
def test_list_visible_on_s3(s3: tuple[Any, str], monkeypatch: pytest.MonkeyPatch) -> None:
    client, bucket = s3
    for key in LAID_OUT:
        client.put_object(Bucket=bucket, Key=f"lake/raw/{key}", Body=b"x\n")
    client.put_object(Bucket=bucket, Key="lake/rawer/e.csv", Body=b"x\n")  # a sibling sharing the prefix
    use_lake_root(monkeypatch, f"s3a://{bucket}/lake")
    listed = lake.list_visible(lake.resolve("raw/"))
    assert sorted(o.key for o in listed) == VISIBLE
    assert sorted(o.uri for o in listed) == [f"s3://{bucket}/lake/raw/{key}" for key in VISIBLE]
