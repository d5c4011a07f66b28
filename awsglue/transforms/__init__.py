"""Glue's built-in transforms (``from awsglue.transforms import *``), each ``Name.apply(frame=…, …)``.

Each is a thin call of the matching :class:`~awsglue.dynamicframe.DynamicFrame` method; the common
``transformation_ctx``, ``info``, ``stageThreshold`` and ``totalThreshold`` arguments are accepted.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any

from awsglue import choices
from awsglue.dynamicframe import DynamicFrame, DynamicFrameCollection
from etl.transforms import drop_null_fields
from sluice.errors import InvalidInputException

__all__ = [
    "ApplyMapping",
    "DropFields",
    "DropNullFields",
    "ErrorsAsDynamicFrame",
    "Filter",
    "FlatMap",
    "GlueTransform",
    "Join",
    "Map",
    "MapToCollection",
    "Relationalize",
    "RenameField",
    "ResolveChoice",
    "SelectFields",
    "SelectFromCollection",
    "Spigot",
    "SplitFields",
    "SplitRows",
    "Unbox",
    "Union",
    "UnnestFrame",
]


class GlueTransform:
    """Base of the transforms: ``Transform.apply(**kwargs)`` is ``Transform()(**kwargs)``."""

    @classmethod
    def apply(cls, *args: Any, **kwargs: Any) -> Any:
        return cls()(*args, **kwargs)

    @classmethod
    def name(cls) -> str:
        return cls.__name__

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        raise NotImplementedError


class ApplyMapping(GlueTransform):
    def __call__(
        self, frame: DynamicFrame, mappings: Sequence[Sequence[str]], case_sensitive: bool = False, **kwargs: Any
    ) -> DynamicFrame:
        return frame.apply_mapping(mappings, case_sensitive, **kwargs)


class ResolveChoice(GlueTransform):
    def __call__(
        self,
        frame: DynamicFrame,
        specs: Sequence[tuple[str, str]] | None = None,
        choice: str = "",
        database: str | None = None,
        table_name: str | None = None,
        **kwargs: Any,
    ) -> DynamicFrame:
        return frame.resolveChoice(specs, choice, database, table_name, **kwargs)


class DropNullFields(GlueTransform):
    """Drop the top-level fields whose values are all null (one aggregate over the frame)."""

    def __call__(self, frame: DynamicFrame, transformation_ctx: str = "", **_kwargs: Any) -> DynamicFrame:
        with choices.one_job(frame._df.sparkSession):
            return frame._next(drop_null_fields(frame._df))


class DropFields(GlueTransform):
    def __call__(self, frame: DynamicFrame, paths: Sequence[str], **kwargs: Any) -> DynamicFrame:
        return frame.drop_fields(paths, **kwargs)


class SelectFields(GlueTransform):
    def __call__(self, frame: DynamicFrame, paths: Sequence[str], **kwargs: Any) -> DynamicFrame:
        return frame.select_fields(paths, **kwargs)


class RenameField(GlueTransform):
    def __call__(self, frame: DynamicFrame, old_name: str, new_name: str, **kwargs: Any) -> DynamicFrame:
        return frame.rename_field(old_name, new_name, **kwargs)


class Filter(GlueTransform):
    def __call__(self, frame: DynamicFrame, f: Callable[[dict], bool], **kwargs: Any) -> DynamicFrame:
        return frame.filter(f, **kwargs)


class Map(GlueTransform):
    def __call__(self, frame: DynamicFrame, f: Callable[[dict], dict], **kwargs: Any) -> DynamicFrame:
        return frame.map(f, **kwargs)


class Join(GlueTransform):
    def __call__(
        self,
        frame1: DynamicFrame,
        frame2: DynamicFrame,
        keys1: Sequence[str] | str,
        keys2: Sequence[str] | str,
        transformation_ctx: str = "",
        **_kwargs: Any,
    ) -> DynamicFrame:
        return frame1.join(keys1, keys2, frame2)


class Relationalize(GlueTransform):
    def __call__(
        self,
        frame: DynamicFrame,
        staging_path: str | None = None,
        name: str = "roottable",
        options: Mapping[str, Any] | None = None,
        **kwargs: Any,
    ) -> DynamicFrameCollection:
        return frame.relationalize(name, staging_path, options, **kwargs)


class Unbox(GlueTransform):
    """Parse a string field holding JSON (``format="json"``) into its structure, typed as a JSON read types it."""

    def __call__(self, frame: DynamicFrame, path: str, format: str, **_kwargs: Any) -> DynamicFrame:
        from pyspark.sql import functions as F

        from etl.transforms._paths import column, quote, resolve

        if format.lower() != "json":
            raise InvalidInputException(f"Unbox format {format!r} is not supported; Sluice unboxes json.")
        parts, _ = resolve(frame._df, path)
        if len(parts) != 1:
            raise InvalidInputException(f"Unbox: {path!r} must be a top-level field.")
        (name,) = parts
        others = [F.col(quote(c)) for c in frame._df.columns if c != name]
        keyed = frame._df.select(*others, F.try_parse_json(column(parts)).alias(choices.RECORD))
        ddl = choices.schema_of_records(keyed)
        if ddl is None:
            return frame._next(frame._df)
        unboxed = keyed.select(*others, F.col(choices.RECORD).cast(choices.spark_type(ddl)).alias(name))
        return frame._next(unboxed.select(*[quote(c) for c in frame._df.columns]))


class SplitFields(GlueTransform):
    def __call__(
        self,
        frame: DynamicFrame,
        paths: Sequence[str],
        name1: str | None = None,
        name2: str | None = None,
        **kwargs: Any,
    ) -> DynamicFrameCollection:
        return frame.split_fields(paths, name1 or f"{frame.name}1", name2 or f"{frame.name}2", **kwargs)


class SplitRows(GlueTransform):
    def __call__(
        self,
        frame: DynamicFrame,
        comparison_dict: Mapping[str, Mapping[str, Any]],
        name1: str = "frame1",
        name2: str = "frame2",
        **kwargs: Any,
    ) -> DynamicFrameCollection:
        return frame.split_rows(comparison_dict, name1, name2, **kwargs)


class Spigot(GlueTransform):
    def __call__(
        self, frame: DynamicFrame, path: str, options: Mapping[str, Any] | None = None, **kwargs: Any
    ) -> DynamicFrame:
        return frame.spigot(path, options, **kwargs)


class UnnestFrame(GlueTransform):
    def __call__(self, frame: DynamicFrame, **kwargs: Any) -> DynamicFrame:
        return frame.unnest(**kwargs)


class Union(GlueTransform):
    def __call__(self, frame1: DynamicFrame, frame2: DynamicFrame, **kwargs: Any) -> DynamicFrame:
        return frame1.union(frame2, **kwargs)


class ErrorsAsDynamicFrame(GlueTransform):
    def __call__(self, frame: DynamicFrame, **_kwargs: Any) -> DynamicFrame:
        return frame.errorsAsDynamicFrame()


class SelectFromCollection(GlueTransform):
    def __call__(self, dfc: DynamicFrameCollection, key: str, transformation_ctx: str = "") -> DynamicFrame:
        return dfc.select(key, transformation_ctx)


class MapToCollection(GlueTransform):
    def __call__(
        self, dfc: DynamicFrameCollection, callable: Callable[..., DynamicFrame], transformation_ctx: str = ""
    ) -> DynamicFrameCollection:
        return dfc.map(callable, transformation_ctx)


class FlatMap(GlueTransform):
    """Apply the transform ``BaseTransform`` to each frame of ``dfc``; collections it returns are flattened."""

    def __call__(
        self,
        dfc: DynamicFrameCollection,
        BaseTransform: type[GlueTransform],
        frame_name: str = "frame",
        transformation_ctx: str = "",
        **base_kwargs: Any,
    ) -> DynamicFrameCollection:
        return dfc.flatMap(
            lambda frame, ctx: BaseTransform.apply(**{frame_name: frame}, **base_kwargs), transformation_ctx
        )
