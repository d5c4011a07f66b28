"""The lake layer: the resolver, the hidden-file rule, listing, reads, writes, publish primitives, object
operations and the guard."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from botocore.exceptions import ClientError
from sqlalchemy import select, update

from sluice.context import AwsIdentity, SluiceContext
from sluice.errors import EntityNotFoundException, InvalidInputException
from sluice.lake import fs, guard, objects, paths, stage
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
    assert paths.resolve(path) == expected.format(lake=local)


@pytest.mark.parametrize("path", ["gs://bucket/raw", "hdfs://nn/raw", "S3://bucket/raw"])
def test_resolve_refuses_other_schemes(path: str) -> None:
    with pytest.raises(InvalidInputException, match="neither a local path nor an s3:// URI"):
        paths.resolve(path)


def test_resolve_keeps_symlinks(tmp_path: Path) -> None:
    (tmp_path / "real").mkdir()
    (tmp_path / "link").symlink_to(tmp_path / "real")
    assert paths.resolve(f"{tmp_path}/link/") == f"{tmp_path}/link"


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
    assert paths.is_hidden(path) is hidden


LAID_OUT = ["a.csv", "_SUCCESS", ".a.csv.crc", "_temporary/0/b.csv", "day=1/c.csv", "_col=2/d.csv", "x_$folder$"]
VISIBLE = ["_col=2/d.csv", "a.csv", "day=1/c.csv"]


def test_list_visible_on_local_disk(tmp_path: Path) -> None:
    for key in LAID_OUT:
        (tmp_path / "raw" / key).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / "raw" / key).write_text("x\n")
    listed = fs.list_visible(paths.resolve(f"{tmp_path}/raw/"))
    assert sorted(o.key for o in listed) == VISIBLE
    assert sorted(o.uri for o in listed) == [f"{tmp_path}/raw/{key}" for key in VISIBLE]
    assert [o.key for o in fs.list_visible(f"{tmp_path}/raw/a.csv")] == ["a.csv"]


@pytest.mark.s3
def test_list_visible_on_s3(s3: tuple[Any, str], monkeypatch: pytest.MonkeyPatch) -> None:
    client, bucket = s3
    for key in LAID_OUT:
        client.put_object(Bucket=bucket, Key=f"lake/raw/{key}", Body=b"x\n")
    client.put_object(Bucket=bucket, Key="lake/rawer/e.csv", Body=b"x\n")  # a sibling sharing the prefix
    use_lake_root(monkeypatch, f"s3a://{bucket}/lake")
    listed = fs.list_visible(paths.resolve("raw/"))
    assert sorted(o.key for o in listed) == VISIBLE
    assert sorted(o.uri for o in listed) == [f"s3://{bucket}/lake/raw/{key}" for key in VISIBLE]


def test_resolve_takes_the_lake_root_of_the_context_given(tmp_path: Path) -> None:
    ctx = SluiceContext(get_settings().model_copy(update={"lake_root": "s3://other/root"}))
    assert paths.resolve("raw", ctx=ctx) == "s3://other/root/raw"


# listing, reading and writing -------------------------------------------------------------------


def _lake(tmp_path: Path) -> str:
    for key in ["b.csv", "a/x.csv", "a/y/z.csv"]:
        fs.write_bytes(f"{tmp_path}/t/{key}", key.encode())
    return f"{tmp_path}/t"


def test_local_listing_has_sizes_and_mtimes(tmp_path: Path) -> None:
    root = _lake(tmp_path)
    listed = list(fs.list_objects(root))
    assert [o.key for o in listed] == ["b.csv", "a/x.csv", "a/y/z.csv"]
    assert [o.size for o in listed] == [5, 7, 9]
    assert all(o.mtime == Path(o.uri).stat().st_mtime for o in listed)
    assert list(fs.list_objects(f"{tmp_path}/missing")) == []


def test_local_read_range_and_write(tmp_path: Path) -> None:
    uri = f"{tmp_path}/deep/er/f.bin"
    fs.write_bytes(uri, b"0123456789")
    assert fs.read_range(uri, 2, 3) == b"234"
    assert fs.read_range(uri, -4) == b"6789"
    assert fs.size_of(uri) == 10 and fs.size_of(f"{tmp_path}/nope") is None
    assert [p.name for p in (tmp_path / "deep" / "er").iterdir()] == ["f.bin"]  # no temporary file left


def test_local_move_delete_and_remove_tree(tmp_path: Path) -> None:
    root = _lake(tmp_path)
    stage.move([(f"{root}/b.csv", f"{tmp_path}/out/b.csv"), (f"{root}/gone.csv", f"{tmp_path}/out/gone.csv")])
    stage.move([(f"{root}/b.csv", f"{tmp_path}/out/b.csv")])  # repeated: already moved
    assert (tmp_path / "out" / "b.csv").read_bytes() == b"b.csv"
    stage.delete([f"{root}/a/x.csv", f"{root}/a/nope.csv"])
    assert [o.key for o in fs.list_objects(root)] == ["a/y/z.csv"]
    assert stage.children(root) == {"a"}
    stage.remove_tree(f"{root}/a")
    stage.remove_folder(root)
    assert not Path(root).exists()


@pytest.mark.s3
def test_s3_listing_reading_and_writing(s3: tuple[Any, str]) -> None:
    client, bucket = s3
    for key in ["b.csv", "a/x.csv", "a/y/z.csv"]:
        fs.write_bytes(f"s3://{bucket}/t/{key}", key.encode())
    client.put_object(Bucket=bucket, Key="t/a/", Body=b"")  # an S3A folder marker
    client.put_object(Bucket=bucket, Key="tt/sibling.csv", Body=b"x")
    listed = list(fs.list_objects(f"s3://{bucket}/t/"))
    assert [o.key for o in listed] == ["a/x.csv", "a/y/z.csv", "b.csv"]
    assert [o.uri for o in listed] == [f"s3://{bucket}/t/{k}" for k in ["a/x.csv", "a/y/z.csv", "b.csv"]]
    heads = {o.key: client.head_object(Bucket=bucket, Key=f"t/{o.key}") for o in listed}
    assert all(o.mtime == heads[o.key]["LastModified"].timestamp() for o in listed)
    assert [o.size for o in listed] == [7, 9, 5]
    with_markers = list(fs.list_objects(f"s3a://{bucket}/t", markers=True, storage_classes=True))
    assert [o.key for o in with_markers] == ["a/", "a/x.csv", "a/y/z.csv", "b.csv"]
    assert with_markers[1].uri == f"s3a://{bucket}/t/a/x.csv"
    assert {o.storage_class for o in with_markers} == {"STANDARD"}
    client.copy_object(
        Bucket=bucket, Key="t/b.csv", CopySource={"Bucket": bucket, "Key": "t/b.csv"}, StorageClass="GLACIER"
    )
    classes = {o.key: o.storage_class for o in fs.list_objects(f"s3://{bucket}/t", storage_classes=True)}
    assert classes["b.csv"] == "GLACIER"
    assert list(fs.list_objects(f"s3://{bucket}/nothing")) == []
    with pytest.raises(EntityNotFoundException, match=r"NoSuchBucket: the bucket no-such-bucket-x does not exist"):
        list(fs.list_objects("s3://no-such-bucket-x/raw"))  # a mistyped bucket is an error, not an empty lake
    uri = f"s3://{bucket}/t/a/y/z.csv"
    assert fs.read_range(uri, 2, 3) == b"y/z"
    assert fs.read_range(uri, -3) == b"csv"
    assert fs.size_of(uri) == 9 and fs.size_of(f"s3://{bucket}/t/none") is None


@pytest.mark.s3
def test_s3_move_delete_abort_and_remove_tree(s3: tuple[Any, str]) -> None:
    client, bucket = s3
    keys = [f"t/_staging/r1/d={i % 3}/part-{i}.parquet" for i in range(40)]
    for key in keys:
        client.put_object(Bucket=bucket, Key=key, Body=key.encode())
    pairs = [(f"s3://{bucket}/{k}", f"s3://{bucket}/t/{k.split('r1/')[1]}") for k in keys]
    stage.move([*pairs, (f"s3://{bucket}/t/_staging/r1/gone", f"s3://{bucket}/t/gone")])
    stage.move(pairs)  # repeated: the sources are gone, nothing happens
    listed = {o.key for o in fs.list_objects(f"s3://{bucket}/t", markers=True)}
    assert listed == {k.split("r1/")[1] for k in keys}  # moved, sources deleted, no folder markers written
    assert client.get_object(Bucket=bucket, Key="t/d=1/part-4.parquet")["Body"].read() == keys[4].encode()
    stage.delete([f"s3://{bucket}/t/d=0/part-0.parquet", f"s3://{bucket}/t/d=0/missing"])
    assert "d=0/part-0.parquet" not in {o.key for o in fs.list_objects(f"s3://{bucket}/t")}

    run = f"s3://{bucket}/t/_staging/r2"
    client.put_object(Bucket=bucket, Key="t/_staging/", Body=b"")  # S3A markers
    client.put_object(Bucket=bucket, Key="t/_staging/r2/", Body=b"")
    client.put_object(Bucket=bucket, Key="t/_staging/r2/a.parquet", Body=b"a")
    upload = client.create_multipart_upload(Bucket=bucket, Key="t/_staging/r3/big.parquet")["UploadId"]
    assert stage.children(f"s3://{bucket}/t/_staging") == {"r2", "r3"}
    assert stage.list_uploads(f"s3://{bucket}/t/_staging") == [("r3/big.parquet", upload)]
    stage.remove_tree(run)
    assert stage.abort_uploads(f"s3://{bucket}/t/_staging/r3") == 1
    assert client.list_multipart_uploads(Bucket=bucket).get("Uploads", []) == []
    stage.remove_folder(f"s3://{bucket}/t/_staging")
    assert not [o.key for o in fs.list_objects(f"s3://{bucket}/t/_staging", markers=True)]


@pytest.mark.s3
def test_s3_filesystem_comes_from_the_context(s3: tuple[Any, str], moto_server: str) -> None:
    _, bucket = s3
    settings = get_settings().model_copy(update={"s3_endpoint_url": moto_server})
    ctx = SluiceContext(settings, AwsIdentity("testing", "testing", region="us-east-1"))
    assert fs.s3_filesystem(ctx) is fs.s3_filesystem(SluiceContext(settings, ctx.aws))  # cached per identity
    assert fs.s3_filesystem(ctx).region == "us-east-1"
    fs.write_bytes(f"s3://{bucket}/ctx.txt", b"hello", ctx=ctx)
    assert fs.read_range(f"s3://{bucket}/ctx.txt", 0, 5, ctx=ctx) == b"hello"


# object operations ------------------------------------------------------------------------------


def test_object_identity_and_object_stores() -> None:
    assert objects.identity("s3://bucket/a/b.csv") == ("s3://bucket/", "a/b.csv")
    assert objects.identity("/lake/a.csv") == (objects.LOCAL_ROOT, "/lake/a.csv")
    for uri in ("s3://bucket/a/b.csv", "/lake/a.csv"):
        assert objects.location(*objects.identity(uri)) == uri
    assert paths.is_object_store("s3://bucket/x") and paths.is_object_store("s3a://bucket/x")
    assert not paths.is_object_store("/lake/x")


def test_local_object_operations(tmp_path: Path) -> None:
    lake, tier = tmp_path / "lake", tmp_path / "cold"
    for key in ("a/x.csv", "a/b/y.csv", "z.csv"):
        (lake / key).parent.mkdir(parents=True, exist_ok=True)
        (lake / key).write_bytes(key.encode())
    (lake / "skipped").mkdir()
    (lake / "skipped" / "s.csv").write_bytes(b"s")
    listed = [v.uri for v in objects.list_versions(str(lake), skip={str(lake / "skipped")})]
    assert listed == [str(lake / "z.csv"), str(lake / "a/x.csv"), str(lake / "a/b/y.csv")]  # a folder's files first
    with pytest.raises(InvalidInputException, match="is not a folder"):
        next(objects.list_versions(str(lake / "z.csv")))
    source = str(lake / "a/b/y.csv")
    version = objects.head(source)
    assert version is not None and version.size == 9 and version.storage_class is None and version.etag is None
    assert objects.head(str(lake / "missing")) is None
    assert not objects.versioned(str(lake)) and objects.tags(source) == {} and not list(objects.uploads(str(lake)))

    assert objects.change_class(version, "STANDARD_IA", to=source) == version  # no tier folder: the bytes stay
    dest = str(tier / source.lstrip("/"))
    moved = objects.change_class(version, "GLACIER", to=dest)
    assert moved.uri == dest and moved.mtime == version.mtime and Path(dest).read_bytes() == b"a/b/y.csv"
    assert not Path(source).exists()
    objects.prune(str(lake / "a/b"), stops={str(lake)})
    assert not (lake / "a/b").exists() and (lake / "a").is_dir()  # emptied folders go, up to a non-empty one
    objects.restore(dest, days=1, tier="Standard")  # immediate on local disk: nothing to ask
    with pytest.raises(objects.StorageError, match="no versions"):
        objects.delete(dest, version_id="v1")
    with pytest.raises(objects.StorageError, match="no multipart uploads"):
        objects.abort_upload(dest, "u1")
    assert objects.delete(dest) is None and not Path(dest).exists()


@pytest.mark.s3
def test_s3_object_versions_tags_and_deletes(s3: tuple[Any, str]) -> None:
    client, bucket = s3
    uri = f"s3://{bucket}/t/a.csv"
    assert not objects.versioned(f"s3://{bucket}/t")
    client.put_bucket_versioning(Bucket=bucket, VersioningConfiguration={"Status": "Enabled"})
    assert objects.versioned(f"s3://{bucket}/t")
    old = client.put_object(Bucket=bucket, Key="t/a.csv", Body=b"one", Tagging="tier=hot")["VersionId"]
    new = client.put_object(Bucket=bucket, Key="t/a.csv", Body=b"three")["VersionId"]
    client.put_object(Bucket=bucket, Key="other/b.csv", Body=b"b")
    gone = client.put_object(Bucket=bucket, Key="t/gone.csv", Body=b"g")["VersionId"]
    marker = objects.delete(f"s3://{bucket}/t/gone.csv")
    assert marker is not None  # a versioned bucket keeps a delete marker
    assert objects.head(f"s3://{bucket}/t/gone.csv") is None  # the current version is the marker
    every = list(objects.list_versions(f"s3://{bucket}/t", versions=True))
    assert {(v.uri, v.version_id, v.is_latest, v.delete_marker) for v in every} == {
        (uri, old, False, False),
        (uri, new, True, False),
        (f"s3://{bucket}/t/gone.csv", gone, False, False),
        (f"s3://{bucket}/t/gone.csv", marker, True, True),
    }
    assert [v.uri for v in every] == sorted(v.uri for v in every)  # a key's versions together
    assert [v.uri for v in objects.list_versions(f"s3://{bucket}/t")] == [uri]  # current objects only
    assert objects.tags(uri, old) == {"tier": "hot"} and objects.tags(uri) == {}
    assert objects.delete(uri, version_id=old) is None
    assert {v.version_id for v in objects.list_versions(f"s3://{bucket}/t", versions=True) if v.uri == uri} == {new}
    with pytest.raises(objects.StorageError, match="NoSuchBucket"):
        objects.versioned("s3://no-such-bucket-h6/t")


@pytest.mark.s3
def test_s3_storage_class_change_restore_and_uploads(s3: tuple[Any, str]) -> None:
    client, bucket = s3
    uri = f"s3://{bucket}/t/a.csv"
    client.put_object(Bucket=bucket, Key="t/a.csv", Body=b"x" * 100)
    version = objects.head(uri)
    assert version is not None and version.size == 100 and version.storage_class == "STANDARD"
    with pytest.raises(objects.CopyTooLargeError, match="larger than 5 GiB"):
        objects.change_class(replace(version, size=objects.MAX_COPY + 1), "GLACIER")  # refused before any request
    copied = objects.change_class(version, "GLACIER")
    head = client.head_object(Bucket=bucket, Key="t/a.csv")
    assert head["StorageClass"] == "GLACIER" and head["ETag"] == version.etag == copied.etag  # copied in place
    assert copied.storage_class == "GLACIER" and copied.uri == uri and copied.size == 100
    with pytest.raises(ClientError, match="InvalidObjectState"):
        client.get_object(Bucket=bucket, Key="t/a.csv")
    with pytest.raises(objects.ObjectArchivedError, match="only once restored"):
        objects.change_class(copied, "STANDARD_IA")
    objects.restore(uri, days=1, tier="Expedited")
    assert 'ongoing-request="false"' in client.head_object(Bucket=bucket, Key="t/a.csv")["Restore"]

    upload = client.create_multipart_upload(Bucket=bucket, Key="t/big.bin")["UploadId"]
    assert [(u.key, u.upload_id) for u in objects.uploads(f"s3://{bucket}/t")] == [("big.bin", upload)]
    objects.abort_upload(f"s3://{bucket}/t/big.bin", upload)
    objects.abort_upload(f"s3://{bucket}/t/big.bin", upload)  # already gone: fine
    assert not list(objects.uploads(f"s3://{bucket}/t"))


# the storage-class guard ------------------------------------------------------------------------


def _record(location: str, storage_class: str, until: datetime | None = None) -> None:
    ctx = SluiceContext.from_env()
    with ctx.session() as s:
        s.add(
            guard.ObjectStateRow(
                root="file://",
                key=location,
                storage_class=storage_class,
                location=location,
                restored_until=until,
            )
        )


def test_guard_refuses_an_unrestored_glacier_object(sluice_home: Path) -> None:
    cold = str(sluice_home / "lake" / "raw" / "cold.csv")
    warm = str(sluice_home / "lake" / "raw" / "warm.csv")
    _record(cold, "GLACIER")
    _record(warm, "STANDARD")
    with pytest.raises(guard.InvalidObjectStateException, match="archived in GLACIER"):
        guard.before_read([str(sluice_home / "lake" / "raw")])
    guard.before_read([warm])
    with SluiceContext.from_env().session() as s:
        row = s.scalars(select(guard.ObjectStateRow).where(guard.ObjectStateRow.location == warm)).one()
        assert row.last_access is not None  # the read is recorded
    now = datetime.now(UTC)
    with SluiceContext.from_env().session() as s:
        s.execute(update(guard.ObjectStateRow).values(restored_until=now + timedelta(days=1)))
    guard.before_read([cold], now=now)  # restored: it reads
    with pytest.raises(guard.InvalidObjectStateException):
        guard.before_read([cold], now=now + timedelta(days=2))  # the restore expired
