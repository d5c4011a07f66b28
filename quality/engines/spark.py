"""The Spark engine: every aggregate metric in one ``agg`` job, and one more job for all keys needing frequencies.

``where`` clauses become conditional aggregates (``count(when(where, ...))``), never extra scans. Uniqueness,
distinct counts and entropy come from ``groupBy(key).count()`` aggregated once more (cheaper than
``countDistinct`` over several columns, which Spark plans with an Expand); the per-key results are unioned into
a single query. CustomSql runs against the view
``primary``; reference datasets are registered under their aliases.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from functools import reduce
from typing import TYPE_CHECKING

from quality.dqdl import CompositeRule, Condition, Keyword, Rule, Ruleset
from quality.engines.files import file_facts
from quality.engines.plan import (
    DATA_TYPES,
    NUMERIC_TYPES,
    Check,
    Files,
    Metric,
    Reference,
    Request,
    RuleError,
    Sql,
    compile_rule,
    rule_columns,
)

if TYPE_CHECKING:
    from pyspark.sql import Column, DataFrame, SparkSession

    from sluice.context import SluiceContext

PRIMARY = "primary"
ROW_COLUMNS = ("DataQualityRulesPass", "DataQualityRulesFail", "DataQualityRulesSkip", "DataQualityEvaluationResult")
_SPARK_TYPES = {
    "BOOLEAN": "boolean",
    "DATE": "date",
    "TIMESTAMP": "timestamp",
    "FLOAT": "float",
    "DOUBLE": "double",
    "DECIMAL": "decimal(38,18)",
}
_INTEGER = r"^\s*[+-]?\d+\s*$"


def col(name: str) -> Column:
    """A top-level column by exact name (dots, dashes and spaces allowed)."""
    from pyspark.sql import functions as F

    return F.col("`" + name.replace("`", "``") + "`")


def spark_schema(df: DataFrame) -> dict[str, str]:
    """``{column: simple type}`` of a DataFrame."""
    return {f.name: f.dataType.simpleString() for f in df.schema.fields}


def _family(spark_type: str) -> str:
    return spark_type.split("(", 1)[0]


class SparkBackend:
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

    def schema(self) -> dict[str, str]:
        """The primary dataset's schema."""
        return dict(self._schema)

    def measure(self, requests: Sequence[Request], now: dt.datetime) -> dict[Request, object]:
        """Measure every request: one aggregate job, one job for every grouping key, then SQL and references."""
        out: dict[Request, object] = {}
        metrics = [r for r in requests if isinstance(r, Metric)]
        bad = self._bad_wheres({m.where for m in metrics if m.where})
        for m in metrics:
            if m.where in bad:
                out[m] = bad[m.where]
        live = [m for m in metrics if m not in out]
        with single_job_queries(self.spark):
            self._aggregate([m for m in live if not m.grouped and not _is_sql_check(m)], now, out)
            self._frequencies([m for m in live if m.grouped], out)
        for m in live:
            if _is_sql_check(m):
                out[m] = _guard(lambda m=m: self._sql_rows(m.check.statement))  # type: ignore[union-attr]
        for r in requests:
            if isinstance(r, Sql):
                out[r] = _guard(lambda r=r: self._sql_value(r.statement))
            elif isinstance(r, Reference):
                out[r] = _guard(lambda r=r: self._reference(r))
            elif isinstance(r, Files):
                out[r] = _guard(lambda r=r: file_facts(r, self.ctx))
        return out

    # --- metrics ----------------------------------------------------------------------------------

    def _bad_wheres(self, wheres: set[str]) -> dict[str | None, RuleError]:
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
                    bad[where] = RuleError(f"where clause {where!r} is invalid: {_first_line(exc)}")
        finally:
            quiet.disabled = level
        return bad

    def _aggregate(self, metrics: list[Metric], now: dt.datetime, out: dict[Request, object]) -> None:
        exprs = []
        for index, metric in enumerate(metrics):
            try:
                exprs.append(self._expression(metric, now).alias(f"m{index}"))
            except RuleError as exc:
                out[metric] = exc
                exprs.append(None)
        live = [e for e in exprs if e is not None]
        if not live:
            return
        try:
            row = self.df.agg(*live).collect()[0]
        except Exception as exc:
            error = RuleError(f"the aggregate pass failed: {_first_line(exc)}")
            out.update({m: error for m, e in zip(metrics, exprs, strict=True) if e is not None})
            return
        for index, (metric, expr) in enumerate(zip(metrics, exprs, strict=True)):
            if expr is not None:
                out[metric] = _number(row[f"m{index}"])

    def _expression(self, metric: Metric, now: dt.datetime) -> Column:
        from pyspark.sql import functions as F

        mask = F.coalesce(F.expr(metric.where), F.lit(False)) if metric.where else None

        def within(value: Column) -> Column:
            return value if mask is None else F.when(mask, value)

        if metric.fn == "count":
            return F.count(within(F.lit(1)))
        if metric.fn == "passing":
            assert metric.check is not None
            return F.count(within(F.when(self.check(metric.check, now), 1)))
        column = col(metric.columns[0])
        simple = {
            "nonnull": F.count,
            "sum": F.sum,
            "mean": F.avg,
            "stddev": F.stddev_pop,
            "variance": F.var_pop,
            "min": F.min,
            "max": F.max,
        }
        if metric.fn in simple:
            return simple[metric.fn](within(column))
        if metric.fn in ("minlen", "maxlen"):
            return (F.min if metric.fn == "minlen" else F.max)(within(F.length(column)))
        if metric.fn == "corr":
            return F.corr(within(column.cast("double")), within(col(metric.columns[1]).cast("double")))
        raise RuleError(f"the Spark engine cannot compute {metric.fn}")

    def _frequencies(self, metrics: list[Metric], out: dict) -> None:
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
            error = RuleError(f"the grouped pass failed: {_first_line(exc)}")
            out.update(dict.fromkeys(metrics, error))
            return
        for index, key in enumerate(keys):
            row = rows[index]
            total = float(row["groups"] or 0)
            stats = {
                "groups": total,
                "distinct": float(row["distinct"]),
                "unique": float(row["unique"]),
                "entropy": _entropy(total, float(row["nlogn"] or 0.0)),
            }
            out.update({m: stats[m.fn] for m in metrics if (m.columns, m.where) == key})

    # --- row checks -------------------------------------------------------------------------------

    def check(self, check: Check, now: dt.datetime) -> Column:
        """A never-null boolean column: does the row pass ``check``?"""
        from pyspark.sql import functions as F

        column, spark_type = col(check.column), self._schema[check.column]
        condition = check.condition
        assert condition is not None
        if check.kind == "values":
            return condition_column(_normalise(column, spark_type, condition.kind), condition, now)
        if check.kind == "length":
            return condition_column(F.length(column), condition, now)
        if check.kind == "fresh":
            stamp = column.try_cast("timestamp") if _family(spark_type) == "string" else column.cast("timestamp")
            age = F.lit(now.replace(tzinfo=dt.UTC).timestamp()) - F.unix_micros(stamp) / 1_000_000
            return condition_column(age, condition, now, scale=_seconds)
        if check.kind == "type":
            names = [str(v).upper() for v in condition.plain_operands(now=now) if isinstance(v, str)]
            hit = reduce(lambda a, b: a | b, [_parses(column, n) for n in names])
            hit = F.coalesce(hit, F.lit(False))
            return hit if condition.op in ("=", "in") else column.isNotNull() & ~hit
        raise RuleError(f"the Spark engine cannot check {check.kind}")

    # --- SQL and references -----------------------------------------------------------------------

    def _views(self) -> None:
        self.df.createOrReplaceTempView(PRIMARY)
        for alias, frame in self.references.items():
            frame.createOrReplaceTempView(alias)

    def _sql_value(self, statement: str) -> float | None:
        self._views()
        rows = self.spark.sql(statement).take(2)
        if len(rows) != 1 or len(rows[0]) != 1:
            raise RuleError(f"CustomSql must return one value; {statement!r} returned {len(rows)} row(s)")
        return _number(rows[0][0])

    def sql_matches(self, statement: str) -> DataFrame:
        """The primary rows returned by a row-level CustomSql statement (joined back on its columns)."""
        self._views()
        result = self.spark.sql(statement)
        unknown = [c for c in result.columns if c not in self._schema]
        if unknown or not result.columns:
            raise RuleError(
                f"row-level CustomSql must select columns of primary; "
                f"{statement!r} returns {', '.join(unknown) or 'none'}"
            )
        renamed = result.distinct().toDF(*[f"__sql{i}" for i in range(len(result.columns))])
        on = [col(c).eqNullSafe(renamed[f"__sql{i}"]) for i, c in enumerate(result.columns)]
        return self.df.join(renamed, on=reduce(lambda a, b: a & b, on), how="left_semi")

    def _sql_rows(self, statement: str) -> float:
        return float(self.sql_matches(statement).count())

    def _reference(self, request: Reference) -> object:
        from pyspark.sql import functions as F

        frame = self.references.get(request.alias)
        if frame is None:
            known = ", ".join(self.references) or "none"
            raise RuleError(f"reference dataset {request.alias!r} is not available (known aliases: {known})")
        if request.kind == "rows":
            return float(frame.count())
        if request.kind == "schema":
            return spark_schema(frame)
        if request.kind == "aggregate":
            fn, column = request.args
            value = frame.agg((F.sum if fn == "sum" else F.avg)(col(str(column)))).collect()[0][0]
            return _number(value)
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

        df = self.df
        outcomes = []
        for rule in ruleset.rules:
            df, outcome = self._row_outcome(df, rule, now)
            outcomes.append((rule.text, outcome))

        def texts(state: bool | None) -> Column:
            items = []
            for text, outcome in outcomes:
                hit = outcome.isNull() if state is None else F.coalesce(outcome == F.lit(state), F.lit(False))
                items.append(F.when(hit, F.lit(text)))
            return F.array_compact(F.array(*items)) if items else F.array().cast("array<string>")

        df = df.withColumn(ROW_COLUMNS[0], texts(True))
        df = df.withColumn(ROW_COLUMNS[1], texts(False)).withColumn(ROW_COLUMNS[2], texts(None))
        failed = F.size(F.col(ROW_COLUMNS[1])) > 0
        df = df.withColumn(ROW_COLUMNS[3], F.when(failed, "Failed").otherwise("Passed"))
        return df.drop(*[c for c in df.columns if c.startswith("__dq")])

    def _row_outcome(self, df: DataFrame, rule: Rule | CompositeRule, now: dt.datetime) -> tuple[DataFrame, Column]:
        """``True`` pass, ``False`` fail, null skip (rules without row-level results, rows outside ``where``)."""
        from pyspark.sql import Window
        from pyspark.sql import functions as F

        if isinstance(rule, CompositeRule):
            parts = []
            for child in rule.rules:
                df, part = self._row_outcome(df, child, now)
                parts.append(part)
            falses = reduce(lambda a, b: a | b, [F.coalesce(p == F.lit(False), F.lit(False)) for p in parts])
            trues = reduce(lambda a, b: a | b, [F.coalesce(p, F.lit(False)) for p in parts])
            if rule.op == "and":
                return df, F.when(falses, False).when(trues, True)
            return df, F.when(trues, True).when(falses, False)
        skip = F.lit(None).cast("boolean")
        plan = compile_rule(rule, self._schema)
        if plan.error is not None:
            return df, skip
        mask = F.coalesce(F.expr(rule.where), F.lit(False)) if rule.where else F.lit(True)
        columns = rule_columns(rule)
        kind = rule.rule_type
        if kind in ("IsComplete", "Completeness"):
            return df, F.when(mask, col(columns[0]).isNotNull())
        if kind in ("ColumnValues", "ColumnLength", "DataFreshness", "ColumnDataType") and rule.condition is not None:
            passing = next((r for r in plan.requests if isinstance(r, Metric) and r.fn == "passing"), None)
            if passing is None:  # a typed ColumnDataType: decided for the whole column
                return df, skip
            return df, F.when(mask, self.check(passing.check, now))  # type: ignore[arg-type]
        if kind in ("IsUnique", "Uniqueness", "IsPrimaryKey"):
            name = f"__dq{len(df.columns)}"
            counted = F.sum(F.when(mask, 1).otherwise(0)).over(Window.partitionBy(*[col(c) for c in columns]))
            df = df.withColumn(name, counted)
            any_value = reduce(lambda a, b: a | b, [col(c).isNotNull() for c in columns])
            unique = (F.col(name) == 1) | ~any_value
            if kind == "IsPrimaryKey":
                unique = reduce(lambda a, b: a & b, [col(c).isNotNull() for c in columns]) & (F.col(name) == 1)
            return df, F.when(mask, unique)
        if kind == "CustomSql" and rule.condition is None:
            name = f"__dq{len(df.columns)}"
            keys = [f"__dqm{i}" for i in range(len(self.df.columns))]
            matched = self.sql_matches(rule.arguments[0]).distinct().toDF(*keys).withColumn(name, F.lit(True))
            on = [col(c).eqNullSafe(matched[k]) for c, k in zip(self.df.columns, keys, strict=True)]
            df = df.join(matched, on=reduce(lambda a, b: a & b, on), how="left")
            return df, F.coalesce(F.col(name), F.lit(False))
        return df, skip


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


def _is_sql_check(metric: Metric) -> bool:
    return metric.check is not None and metric.check.kind == "sqlrows"


def _guard(func: object) -> object:
    try:
        return func()  # type: ignore[operator]
    except RuleError as exc:
        return exc
    except Exception as exc:
        return RuleError(_first_line(exc))


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()
    return text[0] if text else type(exc).__name__


def _number(value: object) -> float | None:
    import math

    if value is None:
        return None
    number = float(value)  # type: ignore[arg-type]
    return None if math.isnan(number) else number


def _entropy(rows: float, nlogn: float) -> float:
    import math

    return math.log(rows) - nlogn / rows if rows else 0.0


def _seconds(value: object) -> object:
    return value.total_seconds() if isinstance(value, dt.timedelta) else value


def _normalise(column: Column, spark_type: str, kind: str) -> Column:
    family = _family(spark_type)
    if kind == "number" and family not in NUMERIC_TYPES:
        return column.try_cast("double")
    if kind == "date":
        return column.try_cast("timestamp") if family == "string" else column.cast("timestamp")
    if kind == "string" and family != "string":
        return column.cast("string")
    return column


def _parses(column: Column, name: str) -> Column:
    """Does a string value parse as the Glue type ``name``?"""
    from pyspark.sql import functions as F

    family = DATA_TYPES[name]
    if name == "STRING":
        return column.isNotNull()
    if "int" in family or "bigint" in family:
        return column.rlike(_INTEGER)
    if name == "BOOLEAN":
        return F.lower(F.trim(column)).isin("true", "false")
    return column.try_cast(_SPARK_TYPES[name]).isNotNull()


def _literal(value: object) -> Column:
    from pyspark.sql import functions as F

    if isinstance(value, dt.datetime):  # naive UTC; parsed in the session time zone (UTC)
        return F.to_timestamp(F.lit(value.isoformat(sep=" ")))
    return F.lit(value)


def condition_column(value: Column, condition: Condition, now: dt.datetime, scale: object = None) -> Column:
    """Compile ``condition`` over ``value`` with exactly :meth:`Condition.holds` semantics (never null)."""
    from pyspark.sql import functions as F

    convert = scale or (lambda v: v)
    operands = [o if isinstance(o, Keyword) else convert(o) for o in condition.plain_operands(now=now)]  # type: ignore[operator]
    false = F.lit(False)
    op = condition.op
    if op in ("=", "!=", "in", "not in"):
        hits = [_equals(value, operand) for operand in operands]
        hit = reduce(lambda a, b: a | b, hits) if hits else false
        return hit if op in ("=", "in") else ~hit
    if any(o is None or isinstance(o, Keyword) for o in operands):
        return false
    if op.endswith("matches"):
        hit = value.rlike(f"^(?:{operands[0]})$")
        return F.coalesce(hit if op == "matches" else ~hit, false)
    first = _literal(operands[0])
    if op == "between":
        return F.coalesce((value > first) & (value < _literal(operands[1])), false)
    if op == "not between":
        return F.coalesce((value <= first) | (value >= _literal(operands[1])), false)
    compare = {">": value > first, ">=": value >= first, "<": value < first, "<=": value <= first}[op]
    return F.coalesce(compare, false)


def _equals(value: Column, operand: object) -> Column:
    from pyspark.sql import functions as F

    if isinstance(operand, Keyword):
        if operand.name == "NULL":
            return value.isNull()
        if operand.name == "EMPTY":
            return F.coalesce(value == F.lit(""), F.lit(False))
        return F.coalesce(value.rlike(r"^\s+$"), F.lit(False))
    return F.coalesce(value == _literal(operand), F.lit(False))
