"""Listing and sampling for the crawler: what to read of each file, and nothing more.

Local folders are walked with ``os.scandir``: hidden folders (Spark's rule) are never entered, and the
files of ``skip_folders`` (folders an incremental crawl has seen) are not even stat'ed. S3 prefixes are
listed with paginated ``list_objects_v2``.

A Parquet or ORC file costs one ranged read of its tail (the footer; a second read only for a footer
over 64 KiB); a text file one read of its first MiB. Local files are read in the calling thread, since their
reads are CPU bound and threads would only contend for the GIL; S3 objects on a thread pool, since a
crawl there is many small network waits.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Collection, Iterable, Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

from catalog.crawler.classify import (
    ORC_MAGIC,
    PARQUET_MAGIC,
    SAMPLE_BYTES,
    FileClassification,
    FooterReader,
    UnreadableFile,
    classify_file,
)
from catalog.crawler.globs import compile_globs, is_hidden
from sluice import storage
from sluice.errors import InvalidInputException
from sluice.storage import ObjectInfo

TAIL_BYTES = 64 * 1024
_TAIL_ONLY = {"parquet": PARQUET_MAGIC, "orc": ORC_MAGIC}
S3_THREADS = 16

RangeReader = Callable[[int, int], bytes]
"""Reads bytes ``[start, end)`` of one object."""


@dataclass(frozen=True, slots=True)
class Sampled:
    """One file's classification, or why it could not be read."""

    obj: ObjectInfo
    info: FileClassification | None
    error: str | None = None


def folder_of(uri: str) -> str:
    """The folder URI (or path) holding an object."""
    return uri.rpartition("/")[0]


def list_target(root: str, exclusions: Sequence[str] = (), *, skip_folders: Collection[str] = ()) -> list[ObjectInfo]:
    """Visible, non-excluded objects under ``root``, keys relative to it, each folder's files in name order.

    Files directly in one of ``skip_folders`` (folder URIs as :func:`folder_of` gives them) are left out.
    Raises :class:`InvalidInputException` for a local root that is not a folder.
    """
    excluded = compile_globs(list(exclusions))
    listed = _list_s3(root) if storage.is_s3(root) else _list_local(root.rstrip("/") or "/", skip_folders)
    return [o for o in listed if not excluded(o.key) and folder_of(o.uri) not in skip_folders]


def _list_local(root: str, skip_folders: Collection[str]) -> Iterator[ObjectInfo]:
    if not os.path.isdir(root):
        raise InvalidInputException(
            f"Include path {root} is not a folder.", hint="Give a folder, or s3://bucket/prefix, as the --path."
        )
    stack = [(root, "")]
    while stack:
        folder, rel = stack.pop()
        with os.scandir(folder) as found:
            entries = sorted((e for e in found if not is_hidden(e.name)), key=lambda e: e.name)
        list_files = folder not in skip_folders
        subfolders = []
        for entry in entries:
            if entry.is_dir(follow_symlinks=False):
                subfolders.append((entry.path, f"{rel}{entry.name}/"))
            elif list_files and entry.is_file():
                st = entry.stat()
                yield ObjectInfo(f"{rel}{entry.name}", st.st_size, st.st_mtime, entry.path)
        stack.extend(reversed(subfolders))


def _list_s3(root: str) -> Iterator[ObjectInfo]:
    hidden: dict[str, bool] = {}
    for obj in storage.list_objects(root):
        folder, _, name = obj.key.rpartition("/")
        if folder not in hidden:
            hidden[folder] = bool(folder) and is_hidden(folder)
        if not hidden[folder] and not is_hidden(name):
            yield obj


def _local_reader(path: str) -> RangeReader:
    def read(start: int, end: int) -> bytes:
        fd = os.open(path, os.O_RDONLY)
        try:
            return os.pread(fd, end - start, start)
        finally:
            os.close(fd)

    return read


def _s3_reader(uri: str) -> RangeReader:
    return lambda start, end: storage.read_range(uri, start, end - start)


def _tail_cached(read: RangeReader, size: int) -> FooterReader:
    """A footer reader that fetches the last 64 KiB once and serves ranges inside it from memory."""
    tail_start = max(0, size - TAIL_BYTES)
    tail: list[bytes] = []

    def footer(start: int, end: int) -> bytes:
        if start < tail_start:
            return read(start, end)
        if not tail:
            tail.append(read(tail_start, size))
        return tail[0][start - tail_start : end - tail_start]

    return footer


def sample(obj: ObjectInfo) -> Sampled:
    """Classify one object from the fewest bytes that tell its format and schema."""
    try:
        if obj.size == 0:
            raise UnreadableFile("empty file")
        read = _s3_reader(obj.uri) if storage.is_s3(obj.uri) else _local_reader(obj.uri)
        footer = _tail_cached(read, obj.size)
        # A *.parquet or *.orc file is classified from its tail alone; its head would only repeat the magic.
        suffix = obj.key.lower().rpartition(".")[2]
        head = _TAIL_ONLY[suffix] if suffix in _TAIL_ONLY else read(0, min(obj.size, SAMPLE_BYTES))
        return Sampled(obj, classify_file(obj.key, head, size=obj.size, footer_reader=footer))
    except UnreadableFile as exc:
        return Sampled(obj, None, exc.reason)
    except Exception as exc:  # an I/O failure on one file is recorded; the crawl goes on
        return Sampled(obj, None, f"{type(exc).__name__}: {exc}")


def sample_all(objects: Iterable[ObjectInfo]) -> Iterator[Sampled]:
    """Classify objects, yielding results in input order (S3 objects read concurrently)."""
    objects = list(objects)
    if not any(storage.is_s3(o.uri) for o in objects):
        yield from map(sample, objects)
        return
    pool = ThreadPoolExecutor(max_workers=S3_THREADS, thread_name_prefix="sluice-crawl")
    try:
        for future in [pool.submit(sample, o) for o in objects]:
            yield future.result()
    finally:  # a crawl stopped midway drops the reads not yet started
        pool.shutdown(wait=True, cancel_futures=True)
