"""``GlueContext``: Glue's reads and writes, carried out by the run's ``etl.context.JobContext``.

Between ``job.init`` and ``job.commit`` (:mod:`awsglue.job`) every read goes through the run (bookmarked
by ``transformation_ctx``) and every write is staged and published, with its catalog update, at commit.
A GlueContext used without ``job.init`` still reads (never bookmarked) and writes: each write is then a
run of its own, job ``<Spark app name>``, committed at once.
"""

from __future__ import annotations

import logging
import sys
import time
from collections.abc import Callable, Mapping
from contextlib import nullcontext
from typing import TYPE_CHECKING, Any

from awsglue import choices
from awsglue.dynamicframe import DynamicFrame
from awsglue.sinks import DataSink, DynamicFrameWriter
from awsglue.sources import DataFrameReader, DataSource, DynamicFrameReader
from etl.args import JobArguments
from etl.context import JobContext
from sluice.context import SluiceContext
from sluice.errors import InvalidInputException
from sluice.lake.paths import resolve
from sparkio.catalog import attach_catalog
from sparkio.session import get_spark, session_conf

if TYPE_CHECKING:
    from pyspark import SparkContext
    from pyspark.sql import DataFrame

log = logging.getLogger("awsglue")
FILE_CONNECTIONS = ("s3", "file")
JDBC_CONNECTIONS = ("postgresql", "mysql", "sqlserver", "oracle")
READ_FORMATS = {
    "json": "json",
    "csv": "csv",
    "parquet": "parquet",
    "glueparquet": "parquet",
    "orc": "orc",
    "avro": "avro",
}
WRITE_FORMATS = READ_FORMATS
CODEC_SETTINGS = {
    "parquet": "spark.sql.parquet.compression.codec",
    "orc": "spark.sql.orc.compression.codec",
    "avro": "spark.sql.avro.compression.codec",
}
GOVERNED_OPTIONS = ("transactionId", "asOfTime", "query")
UNSUPPORTED_CONNECTIONS = {
    "dynamodb": "DynamoDB tables",
    "kinesis": "Kinesis streams",
    "kafka": "Kafka streams",
    "redshift": "Amazon Redshift",
    "documentdb": "Amazon DocumentDB",
    "mongodb": "MongoDB",
    "opensearch": "Amazon OpenSearch Service",
    "snowflake": "Snowflake",
}


def _flag(value: Any) -> bool:
    return str(value).lower() == "true"


class GlueContext:
    """Glue's entry point for reading and writing DynamicFrames, over ``sc``'s SparkSession."""

    def __init__(self, sparkContext: SparkContext, *, ctx: SluiceContext | None = None, **_options: Any) -> None:
        self.ctx = SluiceContext.resolve(ctx)
        self._sc = sparkContext
        self.spark_session = get_spark(sparkContext.appName or "awsglue", ctx=self.ctx)
        self.catalog_bridge = attach_catalog(self.spark_session, self.ctx)  # spark.sql sees the catalog's tables
        self._job: JobContext | None = None
        self.create_dynamic_frame = DynamicFrameReader(self)
        self.create_data_frame = DataFrameReader(self)
        self.write_dynamic_frame = DynamicFrameWriter(self)

    @property
    def sparkSession(self) -> Any:
        return self.spark_session

    def get_logger(self) -> logging.Logger:
        """A logger that prints to stderr (``info``, ``warn``/``warning``, ``error``)."""
        if not log.handlers:
            handler = logging.StreamHandler(sys.stderr)
            handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
            log.addHandler(handler)
            log.setLevel(logging.INFO)
        return log

    # reads ------------------------------------------------------------------------------------------

    def create_dynamic_frame_from_catalog(
        self,
        database: str | None = None,
        table_name: str | None = None,
        redshift_tmp_dir: str = "",
        transformation_ctx: str = "",
        push_down_predicate: str = "",
        additional_options: Mapping[str, Any] | None = None,
        catalog_id: str | None = None,
        **kwargs: Any,
    ) -> DynamicFrame:
        """A catalog table, partitions pruned by ``push_down_predicate`` (and ``catalogPartitionPredicate``)."""
        from catalog import Catalog
        from sparkio.read import catalog_files, read_files

        database = database or kwargs.get("name_space")
        if not database or not table_name:
            raise InvalidInputException("from_catalog needs database and table_name.")
        options = dict(additional_options or {})
        governed = [o for o in GOVERNED_OPTIONS if o in options]
        meta = Catalog(self.ctx).get_table(database, table_name)
        if governed or meta.get("TableType") == "GOVERNED":
            raise InvalidInputException(
                f"{database}.{table_name}: Lake Formation governed tables"
                f" ({', '.join(governed) or 'TableType GOVERNED'})"
                " need AWS Lake Formation's transaction service, which does not exist off AWS."
            )
        predicates = [p for p in (push_down_predicate, options.get("catalogPartitionPredicate")) if p]
        predicate = " AND ".join(f"({p})" for p in predicates) or None
        text = meta["Parameters"].get("classification") == "csv"  # typed on first use, as Glue types CSV
        errors = None  # a job's reads count and quarantine malformed records themselves
        if self._job is not None:
            df = self._job.read_catalog(
                database,
                table_name,
                transformation_ctx=transformation_ctx or None,
                push_down_predicate=predicate,
                text=text,
            )
        else:
            source = catalog_files(database, table_name, predicate, ctx=self.ctx)
            source = source.as_text() if text else source
            df = read_files(self.spark_session, source, source.files, ctx=self.ctx)
            df, errors = choices.split_malformed(df)
        declared = {c["Name"]: c["Type"] for c in meta["StorageDescriptor"]["Columns"]} if text else None
        return DynamicFrame(df, self, transformation_ctx or table_name, stage_errors=errors, text_types=declared)

    def create_dynamic_frame_from_options(
        self,
        connection_type: str = "s3",
        connection_options: Mapping[str, Any] | None = None,
        format: str | None = None,
        format_options: Mapping[str, Any] | None = None,
        transformation_ctx: str = "",
        **_kwargs: Any,
    ) -> DynamicFrame:
        """Files under ``connection_options["paths"]``, or a JDBC table; bookmarked by ``transformation_ctx``."""
        options = dict(connection_options or {})
        if connection_type in JDBC_CONNECTIONS:
            return DynamicFrame(self._read_jdbc(options, transformation_ctx), self, transformation_ctx)
        self._check_connection(connection_type)
        paths = options.get("paths") or ([options["path"]] if "path" in options else [])
        if isinstance(paths, str):
            paths = [paths]
        if not paths:
            raise InvalidInputException(
                f"from_options(connection_type={connection_type!r}) needs connection_options paths."
            )
        if "exclusions" in options:
            raise InvalidInputException(
                "connection_options exclusions is not supported for from_options reads.",
                hint="Catalog the files and set the table parameter exclusions, then read with from_catalog.",
            )
        for ignored in ("boundedFiles", "boundedSize"):
            if ignored in options:
                log.warning(
                    "%s in connection_options is ignored; pass --bounded-files/--bounded-size to the job.", ignored
                )
        fmt = (format or "").lower()
        if fmt not in READ_FORMATS:
            raise InvalidInputException(
                f"from_options format {format!r} is not supported; use one of {', '.join(READ_FORMATS)}."
            )
        fopts = dict(format_options or {})
        reader_options = self._reader_options(fmt, fopts)
        if "attachTimestamp" in options:
            raise InvalidInputException(
                "connection_options attachTimestamp is not supported.",
                hint="attachFilename is; a file's modification time is in Spark's _metadata.file_modification_time.",
            )
        df = self._read_path(READ_FORMATS[fmt], list(paths), transformation_ctx, reader_options)
        if fmt == "csv" and not _flag(fopts.get("withHeader", False)):
            df = df.toDF(*[f"col{c[2:]}" if c.startswith("_c") and c[2:].isdigit() else c for c in df.columns])
        attached = [options["attachFilename"]] if options.get("attachFilename") else []
        if attached:  # each record's source file, as the lake names it (s3://…)
            from pyspark.sql import functions as F

            name = F.regexp_replace(F.regexp_replace(F.input_file_name(), "^s3a://", "s3://"), "^file://", "")
            df = df.withColumn(attached[0], name)
        if fmt == "json":
            records, errors = choices.split_records(df, fopts.get("jsonPath"), attached)
        else:
            records, errors = df, None
        return DynamicFrame(records, self, transformation_ctx, stage_errors=errors)

    def _check_connection(self, connection_type: str) -> None:
        if connection_type in FILE_CONNECTIONS:
            return
        if connection_type.startswith(("marketplace.", "custom.")):
            raise InvalidInputException(
                f"connection_type {connection_type!r}: AWS Marketplace and custom connectors run only in AWS Glue.",
                hint="Read the source with Spark directly and wrap it with DynamicFrame.fromDF.",
            )
        what = UNSUPPORTED_CONNECTIONS.get(connection_type, f"connection type {connection_type!r}")
        raise InvalidInputException(
            f"Sluice's awsglue does not read {what}; it reads s3/local files and JDBC ({', '.join(JDBC_CONNECTIONS)}).",
            hint="Read the source with Spark directly and wrap it with DynamicFrame.fromDF.",
        )

    @staticmethod
    def _reader_options(fmt: str, fopts: dict[str, Any]) -> dict[str, str]:
        """Spark reader options for Glue's ``format_options``."""
        multiline = _flag(next((v for k, v in fopts.items() if k.lower() == "multiline"), False))  # either spelling
        if fmt == "json":
            return choices.read_options(multiline)
        if fmt != "csv":
            return {}
        quote = str(fopts.get("quoteChar", '"'))
        return {
            "header": str(_flag(fopts.get("withHeader", False))).lower(),
            "sep": str(fopts.get("separator", ",")),
            "quote": "" if quote == "-1" else quote,
            "escape": str(fopts.get("escaper") or '"'),
            "multiLine": str(multiline).lower(),
        }

    def _read_path(self, fmt: str, paths: list[str], transformation_ctx: str, options: dict[str, str]) -> DataFrame:
        from sparkio.read import path_files, read_files

        if self._job is not None:
            return self._job.read_path(fmt, paths, transformation_ctx=transformation_ctx or None, options=options)
        source = path_files(fmt, [resolve(p, ctx=self.ctx) for p in paths], None, options, ctx=self.ctx)
        return read_files(self.spark_session, source, source.files, ctx=self.ctx)

    def _read_jdbc(self, options: dict[str, Any], transformation_ctx: str) -> DataFrame:
        from etl.sources import jdbc_reader

        if "useConnectionProperties" in options or "connectionName" in options:
            from catalog.connections import with_database

            conf = self.extract_jdbc_conf(options.get("connectionName", ""))
            url = with_database(conf["fullUrl"], options.get("database"))
            options = {"url": url, "user": conf["user"], "password": conf["password"], **options}
        missing = [k for k in ("url", "dbtable") if k not in options]
        if missing:
            raise InvalidInputException(f"JDBC from_options needs connection_options {', '.join(missing)}.")
        props: dict[str, str] = {k: str(options[k]) for k in ("user", "password") if k in options}
        keys = options.get("jobBookmarkKeys")
        if self._job is not None:
            return self._job.read_jdbc(
                options["url"],
                options["dbtable"],
                transformation_ctx=transformation_ctx or None,
                bookmark_keys=list(keys) if keys else None,
                bookmark_keys_sort_order=options.get("jobBookmarkKeysSortOrder", "asc"),
                properties=props,
            )
        return jdbc_reader(self.spark_session, options["url"], props).option("dbtable", options["dbtable"]).load()

    def create_dynamic_frame_from_rdd(
        self, data: Any, name: str, schema: Any = None, sample_ratio: float | None = None, transformation_ctx: str = ""
    ) -> DynamicFrame:
        return DynamicFrame(self.spark_session.createDataFrame(data, schema, sample_ratio), self, name)

    def create_data_frame_from_catalog(
        self, database: str | None = None, table_name: str | None = None, **kwargs: Any
    ) -> DataFrame:
        return self.create_dynamic_frame_from_catalog(database, table_name, **kwargs).toDF()

    def create_data_frame_from_options(
        self, connection_type: str = "s3", connection_options: Any = None, **kwargs: Any
    ) -> DataFrame:
        return self.create_dynamic_frame_from_options(connection_type, connection_options, **kwargs).toDF()

    def getSource(self, connection_type: str, transformation_ctx: str = "", **options: Any) -> DataSource:
        return DataSource(self, connection_type, transformation_ctx, options)

    # writes -----------------------------------------------------------------------------------------

    def write_dynamic_frame_from_options(
        self,
        frame: DynamicFrame,
        connection_type: str = "s3",
        connection_options: Mapping[str, Any] | None = None,
        format: str | None = None,
        format_options: Mapping[str, Any] | None = None,
        transformation_ctx: str = "",
        **_kwargs: Any,
    ) -> DynamicFrame:
        """Write ``frame`` under ``connection_options["path"]`` (``partitionKeys``, ``compression``)."""
        options = dict(connection_options or {})
        if connection_type in JDBC_CONNECTIONS:
            raise InvalidInputException(
                f"JDBC writes ({connection_type}) are not staged by Sluice's runs, so they cannot commit with the job.",
                hint="Write to the lake, or load a warehouse table with etl.context.JobContext.write_warehouse.",
            )
        self._check_connection(connection_type)
        if "path" not in options:
            raise InvalidInputException("write_dynamic_frame.from_options needs connection_options path.")
        self._write(
            frame,
            options["path"],
            format or "json",
            partition_keys=list(options.get("partitionKeys") or []),
            compression=options.get("compression"),
            format_options=dict(format_options or {}),
        )
        return frame

    def write_dynamic_frame_from_catalog(
        self,
        frame: DynamicFrame,
        database: str | None = None,
        table_name: str | None = None,
        redshift_tmp_dir: str = "",
        transformation_ctx: str = "",
        additional_options: Mapping[str, Any] | None = None,
        catalog_id: str | None = None,
        **kwargs: Any,
    ) -> DynamicFrame:
        """Append ``frame`` to a catalog table at its location, in its format; new partitions are cataloged."""
        from catalog import Catalog

        database = database or kwargs.get("name_space")
        if not database or not table_name:
            raise InvalidInputException("write_dynamic_frame.from_catalog needs database and table_name.")
        meta = Catalog(self.ctx).get_table(database, table_name)
        keys = [k["Name"] for k in meta.get("PartitionKeys", [])]
        options = dict(additional_options or {})
        given = list(options.get("partitionKeys") or keys)
        if given != keys:
            raise InvalidInputException(f"{database}.{table_name} is partitioned by {keys}, not {given}.")
        fmt = meta.get("Parameters", {}).get("classification", "parquet")
        layout: dict[str, Any] = {}
        if fmt == "csv":  # the files the table's readers expect: its delimiter, its header line or none
            from sparkio.read import reader_options

            read = reader_options(meta)
            layout = {"separator": read["sep"], "writeHeader": read["header"] == "true"}
        self._write(
            frame,
            meta["StorageDescriptor"]["Location"],
            fmt,
            partition_keys=keys,
            compression=options.get("compression"),
            format_options=layout,
            table=(database, table_name),
        )
        return frame

    def write_dynamic_frame_from_jdbc_conf(
        self,
        frame: DynamicFrame,
        catalog_connection: str,
        connection_options: Mapping[str, Any] | None = None,
        redshift_tmp_dir: str = "",
        transformation_ctx: str = "",
        catalog_id: str | None = None,
    ) -> DynamicFrame:
        """Append ``frame`` to ``connection_options["dbtable"]`` through the Glue connection (PostgreSQL), in the
        database ``connection_options["database"]`` (the connection's own without it): staged and loaded once
        the run commits, so a run that fails writes nothing and a rerun loads once."""
        options = dict(connection_options or {})
        if "dbtable" not in options:
            raise InvalidInputException("write_dynamic_frame.from_jdbc_conf needs connection_options dbtable.")
        df = frame.toDF()
        self._in_run(
            lambda run: run.write_warehouse(
                df, options["dbtable"], glue_connection=catalog_connection, database=options.get("database")
            )
        )
        return frame

    def getSink(
        self, connection_type: str = "s3", format: str | None = None, transformation_ctx: str = "", **options: Any
    ) -> DataSink:
        sink = DataSink(self, connection_type, transformation_ctx, options)
        if format:
            sink.setFormat(format)
        return sink

    def _write(
        self,
        frame: DynamicFrame,
        path: str,
        fmt: str,
        *,
        partition_keys: list[str],
        compression: str | None,
        format_options: dict[str, Any],
        table: tuple[str | None, str | None] | None = None,
    ) -> None:
        """Stage one write in the run (or, without ``job.init``, in a run of its own committed at once)."""
        fmt = fmt.lower()
        if fmt not in WRITE_FORMATS:
            raise InvalidInputException(
                f"Write format {fmt!r} is not supported; use one of {', '.join(WRITE_FORMATS)}."
            )
        spark_format = WRITE_FORMATS[fmt]
        codec = compression or format_options.get("compression")
        writer_options = _writer_options(spark_format, format_options, codec)
        database, name = table or (None, None)
        setting = CODEC_SETTINGS.get(spark_format)
        values = {setting: "none" if codec in ("none", "uncompressed") else codec} if setting and codec else {}
        df = frame.toDF()
        with session_conf(df.sparkSession, values) if values else nullcontext():
            self._in_run(
                lambda run: run.write_lake(
                    df,
                    path,
                    format=spark_format,
                    partition_keys=partition_keys,
                    database=database,
                    table=name,
                    options=writer_options,
                )
            )

    def _in_run(self, stage: Callable[[JobContext], None]) -> None:
        """Stage a write in the run (or, without ``job.init``, in a run of its own committed at once)."""
        if self._job is not None:
            stage(self._job)
            return
        with JobContext(JobArguments(job_name=self._sc.appName or "awsglue"), self.spark_session, ctx=self.ctx) as run:
            stage(run)
            run.commit()

    # housekeeping -----------------------------------------------------------------------------------

    def purge_table(
        self,
        database: str,
        table_name: str,
        options: Mapping[str, Any] | None = None,
        transformation_ctx: str = "",
        catalog_id: str | None = None,
    ) -> None:
        """Delete the table's files older than ``retentionPeriod`` hours (default 168) in the partitions
        ``partitionPredicate`` selects; the catalog is left as it is. Deletes at once, not at commit."""
        from sparkio.read import catalog_files

        options = dict(options or {})
        source = catalog_files(database, table_name, options.get("partitionPredicate") or None, ctx=self.ctx)
        for partition in source.partitions:
            self._purge(partition.location, options)

    def purge_s3_path(
        self, s3_path: str, options: Mapping[str, Any] | None = None, transformation_ctx: str = ""
    ) -> None:
        """Delete the files under ``s3_path`` older than ``retentionPeriod`` hours (default 168), at once."""
        self._purge(resolve(s3_path, ctx=self.ctx), dict(options or {}))

    def _purge(self, root: str, options: dict[str, Any]) -> None:
        from sluice.lake.fs import list_objects
        from sluice.lake.paths import is_hidden, is_s3
        from sluice.lake.stage import delete

        before = time.time() - float(options.get("retentionPeriod", 168)) * 3600
        excluded = set(options.get("excludeStorageClasses") or ())
        doomed = [
            o.uri
            for o in list_objects(root, storage_classes=is_s3(root), ctx=self.ctx)
            if o.mtime < before and not is_hidden(o.key) and getattr(o, "storage_class", "STANDARD") not in excluded
        ]
        log.info("purge %s: deleting %d file(s)", root, len(doomed))
        delete(doomed, ctx=self.ctx)

    def transition_table(self, database: str, table_name: str, transition_to: str, **_kwargs: Any) -> None:
        raise InvalidInputException(
            "transition_table changes S3 storage classes through AWS Glue's service; Sluice does not offer it.",
            hint="Use the lake lifecycle rules (sluice lifecycle) instead.",
        )

    def transition_s3_path(self, s3_path: str, transition_to: str, **_kwargs: Any) -> None:
        self.transition_table("", "", transition_to)

    def extract_jdbc_conf(self, connection_name: str, catalog_id: str | None = None) -> dict[str, str]:
        """The JDBC settings of a Glue connection (``CreateConnection``): ``user``, ``password``, ``vendor``,
        ``url`` (protocol, host and port), ``fullUrl`` and the SSL settings."""
        from catalog.connections import jdbc_conf

        return jdbc_conf(self.ctx, connection_name)

    def forEachBatch(self, frame: DataFrame, batch_function: Any, options: Mapping[str, Any] | None = None) -> None:
        """Run ``batch_function(batch_df, batch_id)`` on each micro-batch of a streaming DataFrame."""
        options = dict(options or {})
        if "checkpointLocation" not in options:
            raise InvalidInputException("forEachBatch needs options checkpointLocation.")
        writer = frame.writeStream.foreachBatch(batch_function).option(
            "checkpointLocation", resolve(options["checkpointLocation"], ctx=self.ctx)
        )
        if "windowSize" in options:
            writer = writer.trigger(processingTime=str(options["windowSize"]))
        writer.start().awaitTermination()


def _writer_options(spark_format: str, format_options: Mapping[str, Any], codec: str | None) -> dict[str, str]:
    """Spark's writer options for Glue's CSV and JSON ``format_options``: ``writeHeader`` (Glue's default: a
    header), ``separator``, ``quoteChar``, ``escaper`` and ``compression``; Parquet and ORC take their codec
    from the session (``CODEC_SETTINGS``)."""
    if spark_format not in ("csv", "json"):
        return {}
    out = {"compression": "none" if codec in (None, "none", "uncompressed") else str(codec)}
    if spark_format == "csv":
        out["header"] = "true" if _flag(format_options.get("writeHeader", True)) else "false"
        names = {"separator": "sep", "quoteChar": "quote", "escaper": "escape"}
        out |= {spark: str(format_options[glue]) for glue, spark in names.items() if format_options.get(glue)}
    return out
