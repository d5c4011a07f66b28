"""``DynamicFrame``: Glue's schema-on-read frame, here a Spark DataFrame plus what Glue adds to it.

* **Choice types**: a field whose records disagree on its type (JSON ``1`` and ``"1"``) is a ``variant``
  column of the DataFrame (see :mod:`awsglue.choices`); ``printSchema`` shows it as ``choice`` with its
  member types, ``resolveChoice`` resolves it, ``toDF()`` gives it as ``string``.
* **Errors**: records a source could not parse, or that a ``map``/``filter`` function raised on, are
  kept apart from the records (``errorsAsDynamicFrame``, ``errorsCount``, ``stageErrorsCount``).

Every method is a lazy DataFrame transformation: a DynamicFrame pipeline starts the Spark jobs its
DataFrame twin starts, plus one where a choice's member types must be seen (``printSchema``,
``make_cols``/``make_struct`` without fixed types) and the aggregate ``DropNullFields`` needs.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator, Mapping, Sequence
from functools import reduce
from operator import and_
from typing import TYPE_CHECKING, Any

from awsglue import choices, gluetypes
from etl import transforms
from etl.transforms._paths import column, find, quote, split_path
from etl.transforms.relationalize import _flatten
from sluice.errors import InvalidInputException

if TYPE_CHECKING:
    from pyspark.sql import Column, DataFrame

    from awsglue.context import GlueContext

_COMPARISONS = {"<": "__lt__", ">": "__gt__", "<=": "__le__", ">=": "__ge__", "=": "__eq__", "!=": "__ne__"}


def _python(value: Any) -> Any:
    """A Row's value as plain Python (dicts for structs, variants as their JSON values), as Glue's records."""
    from pyspark.sql import Row
    from pyspark.sql.types import VariantVal

    if isinstance(value, Row):
        return {k: _python(v) for k, v in value.asDict().items()}
    if isinstance(value, VariantVal):
        return value.toPython()
    if isinstance(value, list):
        return [_python(v) for v in value]
    if isinstance(value, dict):
        return {k: _python(v) for k, v in value.items()}
    return value


class DynamicFrame:
    """A distributed collection of records that need not share one schema (Glue's ``DynamicFrame``)."""

    def __init__(
        self,
        df: DataFrame,
        glue_ctx: GlueContext | None,
        name: str = "",
        *,
        errors: Sequence[DataFrame] = (),
        stage_errors: DataFrame | None = None,
        text_types: dict[str, str] | None = None,
    ) -> None:
        self._frame = df
        self._text_types = text_types
        self.glue_ctx = glue_ctx
        self.name = name
        self._stage_errors = stage_errors
        self._errors = tuple(errors) + ((stage_errors,) if stage_errors is not None else ())
        self._members: dict[tuple[str, ...], list[str]] | None = None

    @property
    def _df(self) -> DataFrame:
        """The records. A cataloged CSV read is typed on first use (``text_types``: one look at the data finds
        the columns whose values do not all convert to their catalog type, the choice fields)."""
        if self._text_types is not None:
            self._frame, self._text_types = choices.typed_text(self._frame, self._text_types), None
        return self._frame

    # conversions ----------------------------------------------------------------------------------

    @classmethod
    def fromDF(cls, dataframe: DataFrame, glue_ctx: GlueContext | None, name: str = "") -> DynamicFrame:
        """A DynamicFrame over ``dataframe`` (its ``variant`` columns are choice fields). A record holds one field
        per name, so of columns sharing a name (``select *, … as x`` where ``x`` exists) the last one's value is
        kept, in the first one's place."""
        return cls(_one_field_per_name(dataframe), glue_ctx, name)

    def toDF(self, options: Sequence[Any] | None = None) -> DataFrame:
        """The records as a DataFrame; choice fields unresolved by now become ``string``."""
        if options:
            raise InvalidInputException(
                "toDF(options) is not supported.", hint="Resolve choices first with resolveChoice(specs=[...])."
            )
        return choices.as_text(self._df)

    def _next(self, df: DataFrame, name: str = "", stage_errors: DataFrame | None = None) -> DynamicFrame:
        return DynamicFrame(df, self.glue_ctx, name or self.name, errors=self._errors, stage_errors=stage_errors)

    # schema and inspection ------------------------------------------------------------------------

    def schema(self) -> gluetypes.StructType:
        """The Glue schema; looks at the data (one aggregate) only when there are choice fields."""
        if self._members is None:
            paths = list(choices.choice_paths(self._df.schema))
            self._members = choices.members(self._df, paths) if paths else {}
        return gluetypes.from_spark(self._df.schema, self._members)  # type: ignore[return-value]

    def printSchema(self) -> None:
        print(gluetypes.render(self.schema()), end="")

    def show(self, num_rows: int = 20) -> None:
        """Print the first ``num_rows`` records as JSON, one per line (null fields left out), as Glue does."""
        from pyspark.sql import functions as F

        for row in self._df.limit(num_rows).select(F.to_json(F.struct("*")).alias("j")).collect():
            print(row.j)

    def count(self) -> int:
        """The number of records (one job).

        Nulls plus non-nulls of one real field: Spark refuses a plain ``count()`` of a JSON/CSV read whose only
        referenced column is the corrupt-record column that the run's malformed-record check filters on.
        """
        from pyspark.sql import functions as F

        if not self._df.columns:
            return self._df.count()
        first = F.col(quote(self._df.columns[0]))
        return self._df.select(F.count_if(first.isNull()) + F.count(first)).collect()[0][0]

    def getNumPartitions(self) -> int:
        return self._df.rdd.getNumPartitions()

    def repartition(self, num_partitions: int, transformation_ctx: str = "", **_kwargs: Any) -> DynamicFrame:
        return self._next(self._df.repartition(num_partitions))

    def coalesce(
        self, num_partitions: int, shuffle: bool = False, transformation_ctx: str = "", **_kwargs: Any
    ) -> DynamicFrame:
        df = self._df.repartition(num_partitions) if shuffle else self._df.coalesce(num_partitions)
        return self._next(df)

    # errors -----------------------------------------------------------------------------------------

    def errorsCount(self) -> int:
        """Error records of this frame and the stages before it (a count per stage that has any)."""
        return sum(e.count() for e in self._errors)

    def stageErrorsCount(self) -> int:
        """Error records of the stage that made this frame."""
        return self._stage_errors.count() if self._stage_errors is not None else 0

    def errorsAsDynamicFrame(self) -> DynamicFrame:
        """The error records, one per failed record: ``error`` (why) and what is known of the record."""
        if not self._errors:
            return DynamicFrame(self._df.sparkSession.createDataFrame([], "error string"), self.glue_ctx)
        union = reduce(lambda a, b: a.unionByName(b, allowMissingColumns=True), self._errors)
        return DynamicFrame(union, self.glue_ctx, f"{self.name}_errors")

    def assertErrorThreshold(self) -> None:
        """Raise when any stage that made this frame had error records."""
        count = self.errorsCount()
        if count:
            raise InvalidInputException(
                f"DynamicFrame {self.name or '(unnamed)'} has {count} error record(s).",
                hint="Inspect them with errorsAsDynamicFrame().show().",
            )

    def _check(self, frame: DynamicFrame, stage_threshold: int, total_threshold: int) -> DynamicFrame:
        """Glue's ``stageThreshold``/``totalThreshold``: fail when a stage makes more errors than allowed."""
        if stage_threshold and frame.stageErrorsCount() > stage_threshold:
            raise InvalidInputException(f"More than stageThreshold={stage_threshold} error records in this stage.")
        if total_threshold and frame.errorsCount() > total_threshold:
            raise InvalidInputException(f"More than totalThreshold={total_threshold} error records so far.")
        return frame

    # field transforms -------------------------------------------------------------------------------

    def apply_mapping(
        self,
        mappings: Sequence[Sequence[str]],
        case_sensitive: bool = False,
        transformation_ctx: str = "",
        info: str = "",
        stageThreshold: int = 0,
        totalThreshold: int = 0,
    ) -> DynamicFrame:
        """``(source path, source type, target path, target type)`` tuples; dotted targets build structs. A cataloged
        CSV read is mapped from its catalog types without a look at the data (values that do not convert are null,
        as ``cast:<type>`` makes them)."""
        typed = self._frame if self._text_types is None else choices.cast_text(self._frame, self._text_types)
        return self._next(transforms.apply_mapping(typed, [tuple(m) for m in mappings]))  # type: ignore[misc]

    def select_fields(self, paths: Sequence[str] | str, transformation_ctx: str = "", **_kwargs: Any) -> DynamicFrame:
        """Keep ``paths`` (dotted paths into structs; one path may be given as a string), in that order; paths the
        frame lacks are ignored."""
        present = [p for p in _paths(paths) if find(self._df, split_path(p)) is not None]
        return self._next(transforms.select_fields(self._df, present) if present else self._df.select())

    def drop_fields(self, paths: Sequence[str] | str, transformation_ctx: str = "", **_kwargs: Any) -> DynamicFrame:
        """Drop ``paths`` (one path may be given as a string)."""
        return self._next(transforms.drop_fields(self._df, _paths(paths)))

    def rename_field(self, oldName: str, newName: str, transformation_ctx: str = "", **_kwargs: Any) -> DynamicFrame:
        return self._next(transforms.rename_field(self._df, oldName, newName))

    def unbox(self, path: str, format: str, transformation_ctx: str = "", **options: Any) -> DynamicFrame:
        """Parse the string field ``path`` holding JSON into its structure (the ``Unbox`` transform)."""
        from awsglue.transforms import Unbox

        return Unbox.apply(self, path, format, **options)

    def unnest(self, transformation_ctx: str = "", **_kwargs: Any) -> DynamicFrame:
        """Flatten nested structs into top-level ``a.b`` fields (arrays stay as they are)."""
        return self._next(_flatten(self._df, "."))

    def resolveChoice(
        self,
        specs: Sequence[tuple[str, str]] | None = None,
        choice: str = "",
        database: str | None = None,
        table_name: str | None = None,
        transformation_ctx: str = "",
        info: str = "",
        stageThreshold: int = 0,
        totalThreshold: int = 0,
        catalog_id: str | None = None,
    ) -> DynamicFrame:
        """Resolve choice fields: ``specs`` as ``(path, action)`` pairs, or one ``choice`` action for all.

        Actions: ``cast:<type>``, ``project:<type>``, ``make_cols``, ``make_struct``, and ``match_catalog``
        (cast to the type of the same column in ``database.table_name``).
        """
        if specs is not None and choice:
            raise InvalidInputException("resolveChoice takes specs or choice, not both.")
        if specs is None:
            if not choice:
                return self._next(self._df)
            specs = [(choices.spec_path(p), choice) for p in choices.choice_paths(self._df.schema) if "[]" not in p]
        catalog: dict[str, str] = {}
        if any(action == "match_catalog" for _, action in specs):
            catalog = self._catalog_types(database, table_name)
        resolved = []
        for path, action in specs:
            if action == "match_catalog":
                parts = split_path(path)
                if len(parts) > 1 or parts[0].lower() not in catalog:
                    if choice:  # one action for all choices: those the table does not type stay choices
                        continue
                    raise InvalidInputException(
                        f"match_catalog: {database}.{table_name} has no top-level column `{path}`."
                    )
                action = f"cast:{catalog[parts[0].lower()]}"
            resolved.append((path, action))
        if not resolved:
            return self._next(self._df)
        return self._next(transforms.resolve_choice(self._df, resolved))

    def _catalog_types(self, database: str | None, table: str | None) -> dict[str, str]:
        from catalog import Catalog

        if not database or not table:
            raise InvalidInputException("match_catalog needs database and table_name.")
        meta = Catalog(self.glue_ctx.ctx if self.glue_ctx else None).get_table(database, table)
        columns = meta["StorageDescriptor"]["Columns"] + meta.get("PartitionKeys", [])
        return {c["Name"].lower(): c["Type"] for c in columns}

    # record transforms ------------------------------------------------------------------------------

    def filter(
        self,
        f: Callable[[dict[str, Any]], bool],
        transformation_ctx: str = "",
        info: str = "",
        stageThreshold: int = 0,
        totalThreshold: int = 0,
    ) -> DynamicFrame:
        """Keep the records for which ``f(record)`` is true; records ``f`` raises on become errors."""
        from pyspark.sql import functions as F

        def keep(row):  # type: ignore[no-untyped-def]  # no hints: PySpark reads them as a pandas UDF's
            try:
                return bool(f(_python(row)))
            except Exception:
                return None

        verdict = F.udf(keep, "boolean")(F.struct(*[F.col(quote(c)) for c in self._df.columns]))
        errors = self._df.filter(verdict.isNull()).select(
            F.lit("the filter function raised on this record").alias("error"), F.to_json(F.struct("*")).alias("record")
        )
        out = self._next(self._df.filter(verdict), stage_errors=errors)
        return self._check(out, stageThreshold, totalThreshold)

    def map(
        self,
        f: Callable[[dict[str, Any]], dict[str, Any]],
        preservesPartitioning: bool = False,
        transformation_ctx: str = "",
        info: str = "",
        stageThreshold: int = 0,
        totalThreshold: int = 0,
    ) -> DynamicFrame:
        """Apply ``f`` to each record (a dict) and type the records it returns, as a JSON read types them."""
        from pyspark.sql import functions as F

        def apply(row: Any) -> tuple[str]:
            record = _python(row)
            before = json.dumps(record, default=str)  # f may change the record before it raises
            try:
                return (json.dumps({"ok": f(record)}, default=str),)
            except Exception as exc:
                return (json.dumps({"error": f"{type(exc).__name__}: {exc}", "record": json.loads(before)}),)

        spark = self._df.sparkSession
        lines = spark.createDataFrame(self._df.rdd.map(apply), "line string")
        parsed = lines.select(F.parse_json("line").alias("v"))
        errors = parsed.filter(F.variant_get("v", "$.error", "string").isNotNull()).select(
            F.variant_get("v", "$.error", "string").alias("error"),
            F.to_json(F.variant_get("v", "$.record", "variant")).alias("record"),
        )
        ok = parsed.filter(F.variant_get("v", "$.error", "string").isNull()).select(
            F.variant_get("v", "$.ok", "variant").alias(choices.RECORD)
        )
        records, _ = choices.split_records(ok)
        return self._check(self._next(records, stage_errors=errors), stageThreshold, totalThreshold)

    def split_fields(
        self, paths: Sequence[str] | str, name1: str, name2: str, transformation_ctx: str = "", **_kwargs: Any
    ) -> DynamicFrameCollection:
        """``name1``: the fields at ``paths``; ``name2``: the rest."""
        return DynamicFrameCollection({name1: self.select_fields(paths), name2: self.drop_fields(paths)}, self.glue_ctx)

    def split_rows(
        self,
        comparison_dict: Mapping[str, Mapping[str, Any]],
        name1: str,
        name2: str,
        transformation_ctx: str = "",
        **_kwargs: Any,
    ) -> DynamicFrameCollection:
        """``name1``: the records meeting every comparison (``{"age": {">": 10, "<": 20}}``); ``name2``: the rest."""
        tests: list[Column] = []
        for path, ops in comparison_dict.items():
            found = find(self._df, split_path(path))
            if found is None:
                raise InvalidInputException(f"split_rows: the frame has no field `{path}`.")
            for op, value in ops.items():
                if op not in _COMPARISONS:
                    raise InvalidInputException(
                        f"split_rows: unknown comparison {op!r}; use {', '.join(_COMPARISONS)}."
                    )
                tests.append(getattr(column(found[0]), _COMPARISONS[op])(value))
        match = reduce(and_, tests)
        return DynamicFrameCollection(
            {name1: self._next(self._df.filter(match)), name2: self._next(self._df.filter(~match | match.isNull()))},
            self.glue_ctx,
        )

    def spigot(
        self, path: str, options: Mapping[str, Any] | None = None, transformation_ctx: str = "", **_kwargs: Any
    ) -> DynamicFrame:
        """Write a sample (``topk`` records, default 100, or a ``prob`` fraction) to ``path`` as JSON."""
        from sluice.lake.paths import resolve, to_spark_uri

        options = dict(options or {})
        sample = self.toDF()
        sample = (
            sample.sample(float(options["prob"])) if "prob" in options else sample.limit(int(options.get("topk", 100)))
        )
        ctx = self.glue_ctx.ctx if self.glue_ctx else None
        sample.write.mode("overwrite").json(to_spark_uri(resolve(path, ctx=ctx)))
        return self

    # combining ----------------------------------------------------------------------------------------

    def join(
        self, paths1: Sequence[str] | str, paths2: Sequence[str] | str, frame2: DynamicFrame, **_kwargs: Any
    ) -> DynamicFrame:
        """Equality join on ``paths1[i] == paths2[i]`` (one path each may be given as a string); both frames'
        fields are kept."""
        return self._next(transforms.join(self._df, frame2._df, _paths(paths1), _paths(paths2)))

    def union(self, other_frame: DynamicFrame, transformation_ctx: str = "", **_kwargs: Any) -> DynamicFrame:
        """Every record of both frames; fields one frame lacks are null."""
        return self._next(self._df.unionByName(other_frame._df, allowMissingColumns=True))

    def mergeDynamicFrame(
        self,
        stage_dynamic_frame: DynamicFrame,
        primary_keys: Sequence[str],
        transformation_ctx: str = "",
        options: Mapping[str, Any] | None = None,
        **_kwargs: Any,
    ) -> DynamicFrame:
        """This frame's records, with those whose ``primary_keys`` the stage frame also has replaced by it."""
        keys = list(primary_keys)
        if not keys:
            raise InvalidInputException("mergeDynamicFrame needs primary_keys.")
        kept = self._df.join(stage_dynamic_frame._df.select(*[quote(k) for k in keys]), keys, "left_anti")
        return self._next(kept.unionByName(stage_dynamic_frame._df, allowMissingColumns=True))

    def relationalize(
        self,
        root_table_name: str,
        staging_path: str | None = None,
        options: Mapping[str, Any] | None = None,
        transformation_ctx: str = "",
        **_kwargs: Any,
    ) -> DynamicFrameCollection:
        """Flatten into a root table and one table per array (``<root>_<field>`` with ``id``, ``index``)."""
        from sluice.lake.paths import resolve, to_spark_uri

        stage = None
        if staging_path:
            stage = to_spark_uri(resolve(staging_path, ctx=self.glue_ctx.ctx if self.glue_ctx else None))
        tables = transforms.relationalize(self.toDF(), root_table_name, staging_path=stage)
        return DynamicFrameCollection({k: DynamicFrame(v, self.glue_ctx, k) for k, v in tables.items()}, self.glue_ctx)


class DynamicFrameCollection:
    """Named DynamicFrames, as the splitting transforms return them."""

    def __init__(self, dynamic_frames: Mapping[str, DynamicFrame], glue_ctx: GlueContext | None) -> None:
        self._frames = dict(dynamic_frames)
        self.glue_ctx = glue_ctx

    def __getitem__(self, key: str) -> DynamicFrame:
        return self.select(key)

    def __len__(self) -> int:
        return len(self._frames)

    def __iter__(self) -> Iterator[str]:
        return iter(self._frames)

    def keys(self) -> list[str]:
        return list(self._frames)

    def values(self) -> list[DynamicFrame]:
        return list(self._frames.values())

    def select(self, key: str, transformation_ctx: str = "") -> DynamicFrame:
        if key not in self._frames:
            raise InvalidInputException(f"No frame {key!r} in the collection; it has {', '.join(self._frames)}.")
        return self._frames[key]

    def map(self, callable: Callable[..., DynamicFrame], transformation_ctx: str = "") -> DynamicFrameCollection:
        """A collection of ``callable(frame, transformation_ctx)`` for each frame, under the same names."""
        return DynamicFrameCollection(
            {k: callable(v, f"{transformation_ctx}_{k}") for k, v in self._frames.items()}, self.glue_ctx
        )

    def flatMap(self, f: Callable[..., Any], transformation_ctx: str = "") -> DynamicFrameCollection:
        """Like :meth:`map`; a result that is a collection adds its frames as ``<name>_<key>``."""
        out: dict[str, DynamicFrame] = {}
        for key, frame in self._frames.items():
            result = f(frame, f"{transformation_ctx}_{key}")
            if isinstance(result, DynamicFrameCollection):
                out.update({f"{key}_{k}": v for k, v in result._frames.items()})
            else:
                out[key] = result
        return DynamicFrameCollection(out, self.glue_ctx)


def _paths(paths: Sequence[str] | str) -> list[str]:
    """Field paths as a list: Glue takes one path given as a string as that one path."""
    return [paths] if isinstance(paths, str) else list(paths)


def _one_field_per_name(df: DataFrame) -> DataFrame:
    names = df.columns
    if len(set(names)) == len(names):
        return df
    from pyspark.sql import functions as F

    last = {name: i for i, name in enumerate(names)}
    positional = df.toDF(*[f"_sluice_col{i}" for i in range(len(names))])
    return positional.select(*[F.col(f"_sluice_col{last[name]}").alias(name) for name in dict.fromkeys(names)])
