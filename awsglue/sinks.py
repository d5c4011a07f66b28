"""``glueContext.write_dynamic_frame`` and ``getSink``: thin proxies onto GlueContext's writes."""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Any

from sluice.errors import InvalidInputException

if TYPE_CHECKING:
    from awsglue.context import GlueContext
    from awsglue.dynamicframe import DynamicFrame

log = logging.getLogger("awsglue")
UPDATE_BEHAVIORS = ("UPDATE_IN_DATABASE", "LOG")


class DynamicFrameWriter:
    """``glueContext.write_dynamic_frame.from_options / from_catalog / from_jdbc_conf``."""

    def __init__(self, glue_context: GlueContext) -> None:
        self._glue = glue_context

    def from_options(self, *args: Any, **kwargs: Any) -> DynamicFrame:
        return self._glue.write_dynamic_frame_from_options(*args, **kwargs)

    def from_catalog(self, *args: Any, **kwargs: Any) -> DynamicFrame:
        return self._glue.write_dynamic_frame_from_catalog(*args, **kwargs)

    def from_jdbc_conf(self, *args: Any, **kwargs: Any) -> DynamicFrame:
        return self._glue.write_dynamic_frame_from_jdbc_conf(*args, **kwargs)


class DataSink:
    """``glueContext.getSink(connection_type="s3", path=…, enableUpdateCatalog=…, partitionKeys=…)``.

    ``setFormat`` picks the format, ``setCatalogInfo`` the table that ``enableUpdateCatalog`` creates or
    updates (with its partitions) when the run commits, and ``writeFrame`` stages the write.
    """

    def __init__(self, glue_context: GlueContext, connection_type: str, transformation_ctx: str, options: dict) -> None:
        if connection_type != "s3":
            raise InvalidInputException(
                f"getSink: connection_type {connection_type!r} is not supported; sinks write to s3 or local paths."
            )
        behavior = options.get("updateBehavior", "UPDATE_IN_DATABASE")
        if behavior not in UPDATE_BEHAVIORS:
            raise InvalidInputException(
                f"updateBehavior must be one of {', '.join(UPDATE_BEHAVIORS)}, not {behavior!r}."
            )
        if "path" not in options:
            raise InvalidInputException("getSink(connection_type='s3') needs path=.")
        if behavior == "LOG":
            log.warning("updateBehavior LOG: Sluice evolves the table's columns as UPDATE_IN_DATABASE does.")
        self._glue = glue_context
        self._options = options
        self._format = "parquet"
        self._format_options: dict[str, Any] = {}
        self._database: str | None = None
        self._table: str | None = None

    def setFormat(self, format: str, **options: Any) -> None:
        self._format = format
        self._format_options = options

    def setCatalogInfo(self, catalogDatabase: str, catalogTableName: str, catalogId: str | None = None) -> None:
        self._database = catalogDatabase
        self._table = catalogTableName

    def writeFrame(self, dynamic_frame: DynamicFrame, info: str = "") -> DynamicFrame:
        update = str(self._options.get("enableUpdateCatalog", False)).lower() == "true"
        if update and not (self._database and self._table):
            raise InvalidInputException(
                "enableUpdateCatalog=True needs setCatalogInfo(catalogDatabase, catalogTableName)."
            )
        self._glue._write(
            dynamic_frame,
            self._options["path"],
            self._format,
            partition_keys=list(self._options.get("partitionKeys") or []),
            compression=self._options.get("compression"),
            format_options=self._format_options,
            table=(self._database, self._table) if update else None,
        )
        return dynamic_frame
