"""The Spark engine: every aggregate metric in one ``agg`` job, and one more job for all keys needing frequencies.

``where`` clauses become conditional aggregates (``count(when(where, ...))``), never extra scans. Uniqueness,
distinct counts and entropy come from ``groupBy(key).count()`` aggregated once more (cheaper than
``countDistinct`` over several columns, which Spark plans with an Expand); the per-key results are unioned into
a single query. CustomSql runs against the view
``primary``; reference datasets are registered under their aliases.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Collection, Iterator, Mapping
from contextlib import AbstractContextManager, contextmanager
from functools import reduce
from typing import TYPE_CHECKING

from quality.dqdl import Ruleset
from quality.engines.checks import (
    ROW_COLUMNS,
    RowHooks,
    check_expression,
    first_line,
    metric_expression,
    number,
    rule_outcome,
    rule_texts,
)
from quality.engines.passes import PassBackend, one_value, spread_keys
from quality.engines.plan import Check, Metric, Reference, Request, RuleError

if TYPE_CHECKING:
    from pyspark.sql import Column, DataFrame, SparkSession

    from sluice.context import SluiceContext

PRIMARY = "primary"
__all__ = ["ROW_COLUMNS", "SparkBackend", "col", "spark_schema"]


def col(name: str) -> Column:
    """A top-level column by exact name (dots, dashes and spaces allowed)."""
    from pyspark.sql import functions as F

    return F.col("`" + name.replace("`", "``") + "`")


def spark_schema(df: DataFrame) -> dict[str, str]:
    """``{column: simple type}`` of a DataFrame."""
    return {f.name: f.dataType.simpleString() for f in df.schema.fields}


class SparkFunctions:
    """``pyspark.sql.functions`` as :mod:`quality.engines.checks` expects it: with exact column names and
    timestamp literals."""

    col = staticmethod(col)

    def __getattr__(self, name: str) -> object:
        from pyspark.sql import functions

        return getattr(functions, name)

    @staticmethod
    def stamp(value: dt.datetime) -> Column:
        """A timestamp literal (parsed in the session time zone, UTC)."""
        from pyspark.sql import functions

        return functions.to_timestamp(functions.lit(value.isoformat(sep=" ")))


FUNCTIONS = SparkFunctions()


class SparkBackend(PassBackend):
    """Measures plan requests on a Spark DataFrame (registered as ``primary``) and its references."""

    name = "spark"

    def __init__(
        self, df: DataFrame, references: Mapping[str, DataFrame] | None = None, *, ctx: SluiceContext | None = None
    ) -> None:
        self.ctx = ctx
        self.df = df
        self.references = dict(references or {})
        self.spark = df.sparkSession
        self._schema = spark_schema(df)

    def passes(self) -> AbstractContextManager[None]:
        """Each pass exactly one Spark job."""
        return single_job_queries(self.spark)

    # --- metrics ----------------------------------------------------------------------------------

    def bad_wheres(self, wheres: Collection[str]) -> dict[str | None, RuleError]:
        from pyspark.logger import PySparkLogger
        from pyspark.sql import functions as F

        bad: dict[str | None, RuleError] = {}
        # PySpark logs every analysis error it raises; its loggers must be PySparkLoggers (they take errorClass=).
        quiet = PySparkLogger.getLogger("SQLQueryContextLogger")
        level, quiet.disabled = quiet.disabled, True
        try:
            for where in wheres:
                try:
                    self.df.where(F.expr(where)).schema  # noqa: B018 - analysis raises on unknown columns
                except Exception as exc:
                    bad[where] = RuleError(f"where clause {where!r} is invalid: {first_line(exc)}")
        finally:
            quiet.disabled = level
        return bad

    def aggregate(self, metrics: list[Metric], now: dt.datetime, out: dict[Request, object]) -> None:
        exprs = []
        for index, metric in enumerate(metrics):
            try:
                exprs.append(metric_expression(FUNCTIONS, metric, self._schema, now).alias(f"m{index}"))
            except RuleError as exc:
                out[metric] = exc
                exprs.append(None)
        live = [e for e in exprs if e is not None]
        if not live:
            return
        try:
            row = self.df.agg(*live).collect()[0]
        except Exception as exc:
            error = RuleError(f"the aggregate pass failed: {first_line(exc)}")
            out.update({m: error for m, e in zip(metrics, exprs, strict=True) if e is not None})
            return
        for index, (metric, expr) in enumerate(zip(metrics, exprs, strict=True)):
            if expr is not None:
                out[metric] = number(row[f"m{index}"])

    def frequencies(self, metrics: list[Metric], out: dict[Request, object]) -> None:
        """One job for all keys: per key, ``groupBy(key).count()`` aggregated into rows, distinct, unique and
        entropy; the per-key rows are unioned so that a single ``collect`` computes them all."""
        from pyspark.sql import functions as F

        keys = list(dict.fromkeys((m.columns, m.where) for m in metrics))
        if not keys:
            return
        frames = []
        for index, (columns, where) in enumerate(keys):
            data = self.df.where(F.expr(where)) if where else self.df
            data = data.where(reduce(lambda a, b: a | b, [col(c).isNotNull() for c in columns]))
            counts = data.groupBy(*[col(c) for c in columns]).agg(F.count(F.lit(1)).alias("n"))
            frames.append(
                counts.agg(
                    F.lit(index).alias("key"),
                    F.sum("n").alias("groups"),
                    F.count(F.lit(1)).alias("distinct"),
                    F.count(F.when(F.col("n") == 1, 1)).alias("unique"),
                    F.sum(F.col("n") * F.log(F.col("n"))).alias("nlogn"),
                )
            )
        try:
            rows = {row["key"]: row for row in reduce(lambda a, b: a.unionAll(b), frames).collect()}
        except Exception as exc:
            error = RuleError(f"the grouped pass failed: {first_line(exc)}")
            out.update(dict.fromkeys(metrics, error))
            return
        out.update(spread_keys(metrics, keys, {k: tuple(r)[1:] for k, r in rows.items()}))

    # --- row checks -------------------------------------------------------------------------------

    def check(self, check: Check, now: dt.datetime) -> Column:
        """A never-null boolean column: does the row pass ``check``?"""
        return check_expression(FUNCTIONS, check, self._schema, now)

    # --- SQL and references -----------------------------------------------------------------------

    def _views(self) -> None:
        self.df.createOrReplaceTempView(PRIMARY)
        for alias, frame in self.references.items():
            frame.createOrReplaceTempView(alias)

    def sql_value(self, statement: str) -> float | None:
        self._views()
        rows = self.spark.sql(statement).take(2)
        return one_value(statement, rows)

    def sql_matches(self, statement: str) -> DataFrame:
        """The primary rows returned by a row-level CustomSql statement (joined back on its columns)."""
        self._views()
        result = self.spark.sql(statement)
        self.sql_columns(statement, result.columns)
        renamed = result.distinct().toDF(*[f"__sql{i}" for i in range(len(result.columns))])
        on = [col(c).eqNullSafe(renamed[f"__sql{i}"]) for i, c in enumerate(result.columns)]
        return self.df.join(renamed, on=reduce(lambda a, b: a & b, on), how="left_semi")

    def sql_rows(self, statement: str) -> float:
        return float(self.sql_matches(statement).count())

    def reference(self, request: Reference) -> object:
        from pyspark.sql import functions as F

        frame = self.reference_data(request.alias)
        if request.kind == "rows":
            return float(frame.count())
        if request.kind == "schema":
            return spark_schema(frame)
        if request.kind == "aggregate":
            fn, column = request.args
            value = frame.agg((F.sum if fn == "sum" else F.avg)(col(str(column)))).collect()[0][0]
            return number(value)
        total = self.df.count()
        if not total:
            raise RuleError("the dataset has no rows")
        pairs = request.column_pairs()
        return self._semi_join_count(frame, pairs) / total

    def _semi_join_count(self, frame: DataFrame, pairs: list[tuple[str, str, bool]]) -> float:
        """Primary rows with a reference row equal on each pair (null-safe where the flag says so)."""
        missing = [b for _, b, _ in pairs if b not in frame.columns]
        if missing:
            raise RuleError(f"reference column(s) {', '.join(missing)} not found")
        right = frame.select(*[col(b).alias(f"__ref{i}") for i, (_, b, _) in enumerate(pairs)]).distinct()
        conditions = [
            col(a).eqNullSafe(right[f"__ref{i}"]) if null_safe else col(a) == right[f"__ref{i}"]
            for i, (a, _, null_safe) in enumerate(pairs)
        ]
        return float(self.df.join(right, on=reduce(lambda x, y: x & y, conditions), how="left_semi").count())

    # --- row-level outcomes -----------------------------------------------------------------------

    def row_outcomes(self, ruleset: Ruleset, now: dt.datetime) -> DataFrame:
        """The primary rows with Glue's four row-level outcome columns added."""
        from pyspark.sql import functions as F

        hooks = _SparkRows(self)
        outcomes = [(rule.text, rule_outcome(FUNCTIONS, rule, self._schema, now, hooks)) for rule in ruleset.rules]

        def texts(state: bool | None) -> Column:
            items = rule_texts(FUNCTIONS, outcomes, state)
            return F.array_compact(F.array(*items)) if items else F.array().cast("array<string>")

        df = hooks.df.withColumn(ROW_COLUMNS[0], texts(True))
        df = df.withColumn(ROW_COLUMNS[1], texts(False)).withColumn(ROW_COLUMNS[2], texts(None))
        failed = F.size(F.col(ROW_COLUMNS[1])) > 0
        df = df.withColumn(ROW_COLUMNS[3], F.when(failed, "Failed").otherwise("Passed"))
        return df.drop(*[c for c in df.columns if c.startswith("__dq")])


class _SparkRows(RowHooks):
    """Row-level hooks on Spark: a window count per key; CustomSql matches joined back as a flag column."""

    def __init__(self, backend: SparkBackend) -> None:
        self.backend = backend
        self.df = backend.df

    def key_count(self, columns: list[str], mask: Column) -> Column:
        from pyspark.sql import Window
        from pyspark.sql import functions as F

        return F.sum(F.when(mask, 1).otherwise(0)).over(Window.partitionBy(*[col(c) for c in columns]))

    def sql_hit(self, statement: str) -> Column:
        from pyspark.sql import functions as F

        name = f"__dq{len(self.df.columns)}"
        columns = self.backend.df.columns
        keys = [f"__dqm{i}" for i in range(len(columns))]
        matched = self.backend.sql_matches(statement).distinct().toDF(*keys).withColumn(name, F.lit(True))
        on = [col(c).eqNullSafe(matched[k]) for c, k in zip(columns, keys, strict=True)]
        self.df = self.df.join(matched, on=reduce(lambda a, b: a & b, on), how="left")
        return F.coalesce(F.col(name), F.lit(False))


@contextmanager
def single_job_queries(spark: SparkSession) -> Iterator[None]:
    """Run queries without adaptive execution, which submits every shuffle stage as a job of its own: an
    aggregate or grouped pass is then exactly one Spark job."""
    key = "spark.sql.adaptive.enabled"
    before = spark.conf.get(key)
    spark.conf.set(key, "false")
    try:
        yield
    finally:
        spark.conf.set(key, before)
