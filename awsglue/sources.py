"""``glueContext.create_dynamic_frame`` / ``create_data_frame`` and ``getSource``: thin proxies onto GlueContext."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from pyspark.sql import DataFrame

    from awsglue.context import GlueContext
    from awsglue.dynamicframe import DynamicFrame


class DynamicFrameReader:
    """``glueContext.create_dynamic_frame.from_catalog / from_options / from_rdd``."""

    def __init__(self, glue_context: GlueContext) -> None:
        self._glue = glue_context

    def from_catalog(self, *args: Any, **kwargs: Any) -> DynamicFrame:
        return self._glue.create_dynamic_frame_from_catalog(*args, **kwargs)

    def from_options(self, *args: Any, **kwargs: Any) -> DynamicFrame:
        return self._glue.create_dynamic_frame_from_options(*args, **kwargs)

    def from_rdd(self, *args: Any, **kwargs: Any) -> DynamicFrame:
        return self._glue.create_dynamic_frame_from_rdd(*args, **kwargs)


class DataFrameReader:
    """``glueContext.create_data_frame.from_catalog / from_options``: the same reads, as DataFrames."""

    def __init__(self, glue_context: GlueContext) -> None:
        self._glue = glue_context

    def from_catalog(self, *args: Any, **kwargs: Any) -> DataFrame:
        return self._glue.create_data_frame_from_catalog(*args, **kwargs)

    def from_options(self, *args: Any, **kwargs: Any) -> DataFrame:
        return self._glue.create_data_frame_from_options(*args, **kwargs)


class DataSource:
    """``glueContext.getSource(connection_type, **options)``: ``setFormat`` then ``getFrame()``."""

    def __init__(self, glue_context: GlueContext, connection_type: str, transformation_ctx: str, options: dict) -> None:
        self._glue = glue_context
        self._connection_type = connection_type
        self._ctx = transformation_ctx
        self._options = options
        self._format: str | None = None
        self._format_options: dict[str, Any] = {}

    def setFormat(self, format: str, **options: Any) -> None:
        self._format = format
        self._format_options = options

    def getFrame(self, **_kwargs: Any) -> DynamicFrame:
        return self._glue.create_dynamic_frame_from_options(
            self._connection_type,
            self._options,
            format=self._format,
            format_options=self._format_options,
            transformation_ctx=self._ctx,
        )
