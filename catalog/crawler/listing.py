"""Listing and sampling for the crawler: what to read of each file, and nothing more.

Listing is the lake's ``list_visible``: on local disk hidden folders (Spark's rule) are never entered, and
the files of ``skip_folders`` (folders an incremental crawl has seen) are not even stat'ed.

A Parquet or ORC file costs one ranged read of its tail (the footer; a second read only for a footer
over 64 KiB); a text file one read of its first MiB. Local files are read in the calling thread, since their
reads are CPU bound and threads would only contend for the GIL; S3 objects on a thread pool, since a
crawl there is many small network waits.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Iterable, Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import TYPE_CHECKING

from catalog.crawler.classification import FileClassification
from catalog.crawler.classify import (
    ORC_MAGIC,
    PARQUET_MAGIC,
    SAMPLE_BYTES,
    FooterReader,
    UnreadableFile,
    classify_file,
)
from sluice.errors import InvalidInputException
from sluice.globs import compile_globs
from sluice.lake.fs import ObjectInfo, concurrency, is_folder, list_visible, read_range

if TYPE_CHECKING:
    from sluice.context import SluiceContext

TAIL_BYTES = 64 * 1024
_TAIL_ONLY = {"parquet": PARQUET_MAGIC, "orc": ORC_MAGIC}

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


def list_target(
    root: str, exclusions: Sequence[str] = (), *, skip_folders: Collection[str] = (), ctx: SluiceContext | None = None
) -> list[ObjectInfo]:
    """Visible, non-excluded objects under ``root``, keys relative to it, each folder's files in name order.

    Files directly in one of ``skip_folders`` (folder URIs as :func:`folder_of` gives them) are left out.
    Raises :class:`InvalidInputException` for a local root that is not a folder.
    """
    if not is_folder(root):
        raise InvalidInputException(
            f"Include path {root} is not a folder.", hint="Give a folder, or s3://bucket/prefix, as the --path."
        )
    excluded = compile_globs(list(exclusions))
    listed = list_visible(root, skip_folders=skip_folders, ctx=ctx)
    return [o for o in listed if not excluded(o.key)]


def _reader(obj: ObjectInfo, ctx: SluiceContext | None) -> RangeReader:
    return lambda start, end: read_range(obj.uri, start, end - start, ctx=ctx)


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


def sample(obj: ObjectInfo, *, ctx: SluiceContext | None = None) -> Sampled:
    """Classify one object from the fewest bytes that tell its format and schema."""
    try:
        if obj.size == 0:
            raise UnreadableFile("empty file")
        read = _reader(obj, ctx)
        footer = _tail_cached(read, obj.size)
        # A *.parquet or *.orc file is classified from its tail alone; its head would only repeat the magic.
        suffix = obj.key.lower().rpartition(".")[2]
        head = _TAIL_ONLY[suffix] if suffix in _TAIL_ONLY else read(0, min(obj.size, SAMPLE_BYTES))
        return Sampled(obj, classify_file(obj.key, head, size=obj.size, footer_reader=footer))
    except UnreadableFile as exc:
        return Sampled(obj, None, exc.reason)
    except Exception as exc:  # an I/O failure on one file is recorded; the crawl goes on
        return Sampled(obj, None, f"{type(exc).__name__}: {exc}")


def sample_all(objects: Iterable[ObjectInfo], *, ctx: SluiceContext | None = None) -> Iterator[Sampled]:
    """Classify objects, yielding results in input order (read concurrently where the storage gains from it)."""
    objects = list(objects)
    workers = max((concurrency(o.uri) for o in objects), default=1)
    if workers == 1:
        yield from (sample(o, ctx=ctx) for o in objects)
        return
    pool = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="sluice-crawl")
    try:
        for future in [pool.submit(sample, o, ctx=ctx) for o in objects]:
            yield future.result()
    finally:  # a crawl stopped midway drops the reads not yet started
        pool.shutdown(wait=True, cancel_futures=True)
