"""Typed commit-journal entries: what a committed run has left to do (``etl.publish`` carries them out).

A journal row (``etl.models.JobCommitRow``) keeps its file operations as ``[source, target]`` pairs, a
delete as ``[path, ""]`` (compact: a run may publish thousands of files), and its other entries as dicts
tagged by ``kind``. Rows written before the tag still load: ``{"warehouse": {…}}`` is a warehouse load,
any other untagged dict a catalog update.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Discriminator, Tag, TypeAdapter, model_validator


class _Entry(BaseModel):
    model_config = ConfigDict(frozen=True)


class Move(_Entry):
    """Move a staged file to its published path."""

    source: str
    target: str


class Delete(_Entry):
    """Delete a published file that an overwrite replaces."""

    path: str


FileOp = Move | Delete


def file_op(pair: Sequence[str]) -> FileOp:
    """A journaled ``[source, target]`` pair as an operation; an empty target deletes the source."""
    source, target = pair
    return Move(source=source, target=target) if target else Delete(path=source)


def file_pair(op: FileOp) -> list[str]:
    """The pair :func:`file_op` reads back."""
    return [op.source, op.target] if isinstance(op, Move) else [op.path, ""]


class CatalogUpdate(_Entry):
    """Create or evolve a catalog table and add partitions; Glue shapes (``{"Name", "Type"}`` columns,
    ``{"Values", "Location"}`` partitions); the files' Spark format and writer options describe a new table."""

    kind: Literal["catalog"] = "catalog"
    database: str
    table: str
    location: str
    columns: list[dict[str, str]]
    partition_keys: list[dict[str, str]]
    partitions: list[dict[str, Any]]
    fmt: str = "parquet"
    format_options: dict[str, str] = {}


class WarehouseLoad(_Entry):
    """Load the Parquet staged in ``stage`` into the warehouse table ``target``, once under ``ledger_key``;
    ``options`` are ``warehouse.load_dataframe``'s."""

    kind: Literal["warehouse"] = "warehouse"
    stage: str
    target: str
    ledger_key: str
    options: dict[str, Any]

    @model_validator(mode="before")
    @classmethod
    def _unwrap(cls, data: Any) -> Any:
        """Rows from before the ``kind`` tag nest the load under ``"warehouse"``."""
        return data["warehouse"] if isinstance(data, dict) and "warehouse" in data else data


class SourceRead(_Entry):
    """What the run read: a catalog table (``database``, ``table``), lake paths, or a JDBC table (``url`` without
    credentials, ``table``). Recorded for lineage; publishing does nothing with it."""

    kind: Literal["source"] = "source"
    database: str | None = None
    table: str | None = None
    paths: tuple[str, ...] = ()
    url: str | None = None


def _kind(entry: Any) -> str | None:
    if isinstance(entry, dict):
        return entry.get("kind") or ("warehouse" if "warehouse" in entry else "catalog")
    return getattr(entry, "kind", None)


Entry = Annotated[
    Annotated[CatalogUpdate, Tag("catalog")]
    | Annotated[WarehouseLoad, Tag("warehouse")]
    | Annotated[SourceRead, Tag("source")],
    Discriminator(_kind),
]
"""An entry applied after the file operations, in journal order."""

_ENTRIES: TypeAdapter[list[Entry]] = TypeAdapter(list[Entry])


def load_entries(data: list[dict[str, Any]]) -> list[Entry]:
    """Journaled entry dicts, tagged or in the old untagged shape, as typed entries."""
    return _ENTRIES.validate_python(data)


def dump_entries(entries: Sequence[Entry]) -> list[dict[str, Any]]:
    """Entries as JSON-ready dicts, tagged by ``kind``."""
    return _ENTRIES.dump_python(list(entries), mode="json")
