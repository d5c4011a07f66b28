"""What the crawler learns from one file, in Glue's StorageDescriptor terms: :class:`FileClassification` (the
format and SerDe names are in :mod:`catalog.formats`). Pure (no pyarrow), so grouping and planning import it
without the readers."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class FileClassification:
    """What a crawler learns from one file; fields map onto a Glue StorageDescriptor.

    ``columns`` are ``(name, hive_type)``; a column with only nulls in the sample has type
    ``void`` (see :func:`catalog.types.resolve_void`). ``record_count`` is exact for Parquet and for
    text read in full (``record_count_exact``), else estimated from the sample.
    """

    classification: str  # "parquet", "orc", "json" or "csv"
    compression: str | None  # "gzip", "bzip2" or None
    columns: list[tuple[str, str]]
    record_count: int
    record_count_exact: bool
    input_format: str
    output_format: str
    serde: str
    serde_parameters: dict[str, str] = field(default_factory=dict)
    delimiter: str | None = None
    has_header: bool = False
    quoted: bool = False
