"""File facts for the File* rules (FileSize, FileFreshness, FileUniqueness, FileMatch): list a lake path (local or
S3) and, when a rule needs it, hash each file. Shared by every engine, since no data is read."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass

from quality.engines.plan import Files, RuleError
from sluice.context import SluiceContext
from sluice.lake.fs import list_visible, read_range
from sluice.lake.paths import resolve

HASHES = {"MD5": "md5", "SHA-1": "sha1", "SHA-256": "sha256", "SHA1": "sha1", "SHA256": "sha256"}


@dataclass(frozen=True)
class FileFact:
    """One file: its URI, size in bytes, last modification (aware UTC) and digest (hex) when asked for."""

    uri: str
    size: int
    modified: object
    digest: str | None = None


def file_facts(request: Files, ctx: SluiceContext | None = None) -> list[FileFact]:
    """The files under ``request.path`` (a file or a folder), hashed with ``request.algorithm`` if given."""
    listed = list_visible(resolve(request.path, ctx=ctx), ctx=ctx)
    if not listed:
        raise RuleError(f"no files found under {request.path!r}")
    algorithm = None
    if request.algorithm:
        algorithm = HASHES.get(request.algorithm.upper())
        if algorithm is None:
            raise RuleError(f"unknown hashAlgorithm {request.algorithm!r}; use one of MD5, SHA-1, SHA-256")
    facts = []
    for info in listed:
        digest = None
        if algorithm:
            digest = hashlib.new(
                algorithm, read_range(info.uri, 0, info.size, ctx=ctx) if info.size else b""
            ).hexdigest()
        facts.append(FileFact(info.uri, info.size, info.modified, digest))
    return facts
