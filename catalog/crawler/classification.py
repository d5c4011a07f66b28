"""What the crawler learns from one file, in Glue's StorageDescriptor terms: the formats, SerDes and
:class:`FileClassification`. Pure (no pyarrow), so grouping and planning import it without the readers."""

from __future__ import annotations

from dataclasses import dataclass, field

TEXT_INPUT_FORMAT = "org.apache.hadoop.mapred.TextInputFormat"
TEXT_OUTPUT_FORMAT = "org.apache.hadoop.hive.ql.io.HiveIgnoreKeyTextOutputFormat"
LAZY_SIMPLE_SERDE = "org.apache.hadoop.hive.serde2.lazy.LazySimpleSerDe"
OPEN_CSV_SERDE = "org.apache.hadoop.hive.serde2.OpenCSVSerde"
JSON_SERDE = "org.openx.data.jsonserde.JsonSerDe"
PARQUET_INPUT_FORMAT = "org.apache.hadoop.hive.ql.io.parquet.MapredParquetInputFormat"
PARQUET_OUTPUT_FORMAT = "org.apache.hadoop.hive.ql.io.parquet.MapredParquetOutputFormat"
PARQUET_SERDE = "org.apache.hadoop.hive.ql.io.parquet.serde.ParquetHiveSerDe"
ORC_INPUT_FORMAT = "org.apache.hadoop.hive.ql.io.orc.OrcInputFormat"
ORC_OUTPUT_FORMAT = "org.apache.hadoop.hive.ql.io.orc.OrcOutputFormat"
ORC_SERDE = "org.apache.hadoop.hive.ql.io.orc.OrcSerde"


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
