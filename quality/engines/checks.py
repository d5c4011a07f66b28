"""Row checks, conditions and aggregate metrics compiled once for every column-expression engine.

The functions take ``F``, a namespace shaped like ``pyspark.sql.functions`` (``lit``, ``coalesce``, ``when``,
``count``...) plus ``col`` (a column by exact name) and ``stamp`` (a timestamp literal); its expressions
support PySpark's ``Column`` operators and methods (``&``, ``|``, ``~``, ``isNull``, ``rlike``, ``try_cast``...).
The Spark engine passes PySpark's functions, the DuckDB engine :mod:`quality.engines.sqlexpr`, so both compile
the same semantics: every check is a never-null boolean with exactly :meth:`Condition.holds`'s outcome.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Callable
from functools import reduce
from typing import Any

from quality.dqdl import CompositeRule, Condition, Keyword, Rule
from quality.engines.plan import DATA_TYPES, NUMERIC_TYPES, Check, Metric, RuleError, compile_rule, rule_columns

TYPE_CASTS = {
    "BOOLEAN": "boolean",
    "DATE": "date",
    "TIMESTAMP": "timestamp",
    "FLOAT": "float",
    "DOUBLE": "double",
    "DECIMAL": "decimal(38,18)",
}
"""Glue type name -> the type a string value must cast to (``try_cast``) to conform."""
INTEGER = r"^\s*[+-]?\d+\s*$"
ROW_COLUMNS = ("DataQualityRulesPass", "DataQualityRulesFail", "DataQualityRulesSkip", "DataQualityEvaluationResult")


def family(spark_type: str) -> str:
    """A type's name without parameters: ``decimal(10,2)`` -> ``decimal``."""
    return spark_type.split("(", 1)[0]


def any_of(parts: list[Any]) -> Any:
    """``parts[0] | parts[1] | …``."""
    return reduce(lambda a, b: a | b, parts)


def all_of(parts: list[Any]) -> Any:
    """``parts[0] & parts[1] & …``."""
    return reduce(lambda a, b: a & b, parts)


def where_mask(F: Any, where: str | None) -> Any:
    """The rows a ``where`` clause selects, never null (``None``: every row)."""
    return F.coalesce(F.expr(where), F.lit(False)) if where else None


def metric_expression(F: Any, metric: Metric, schema: dict[str, str], now: dt.datetime) -> Any:
    """The aggregate computing an ungrouped ``metric``; ``where`` becomes a conditional aggregate."""
    mask = where_mask(F, metric.where)

    def within(value: Any) -> Any:
        return value if mask is None else F.when(mask, value)

    if metric.fn == "count":
        return F.count(within(F.lit(1)))
    if metric.fn == "passing":
        assert metric.check is not None
        return F.count(within(F.when(check_expression(F, metric.check, schema, now), 1)))
    column = F.col(metric.columns[0])
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
        return F.corr(within(column.cast("double")), within(F.col(metric.columns[1]).cast("double")))
    raise RuleError(f"the engine cannot compute {metric.fn}")


def check_expression(F: Any, check: Check, schema: dict[str, str], now: dt.datetime) -> Any:
    """A never-null boolean: does the row pass ``check`` (values, length, fresh or type)?"""
    column, spark_type = F.col(check.column), schema[check.column]
    condition = check.condition
    assert condition is not None
    if check.kind == "values":
        return condition_expression(F, _normalise(column, spark_type, condition.kind), condition, now)
    if check.kind == "length":
        return condition_expression(F, F.length(column), condition, now)
    if check.kind == "fresh":
        age = F.lit(now.replace(tzinfo=dt.UTC).timestamp()) - F.unix_micros(_timestamp(column, spark_type)) / 1_000_000
        return condition_expression(F, age, condition, now, scale=_seconds)
    if check.kind == "type":
        names = [str(v).upper() for v in condition.plain_operands(now=now) if isinstance(v, str)]
        hit = F.coalesce(any_of([_parses(F, column, n) for n in names]), F.lit(False))
        return hit if condition.op in ("=", "in") else column.isNotNull() & ~hit
    raise RuleError(f"the engine cannot check {check.kind}")


def condition_expression(
    F: Any, value: Any, condition: Condition, now: dt.datetime, scale: Callable[[object], object] | None = None
) -> Any:
    """Compile ``condition`` over ``value`` with exactly :meth:`Condition.holds` semantics (never null)."""
    convert = scale or (lambda v: v)
    operands = [o if isinstance(o, Keyword) else convert(o) for o in condition.plain_operands(now=now)]
    false = F.lit(False)
    op = condition.op
    if op in ("=", "!=", "in", "not in"):
        hits = [_equals(F, value, operand) for operand in operands]
        hit = any_of(hits) if hits else false
        return hit if op in ("=", "in") else ~hit
    if any(o is None or isinstance(o, Keyword) for o in operands):
        return false
    if op.endswith("matches"):
        hit = value.rlike(f"^(?:{operands[0]})$")
        return F.coalesce(hit if op == "matches" else ~hit, false)
    first = _literal(F, operands[0])
    if op == "between":
        return F.coalesce((value > first) & (value < _literal(F, operands[1])), false)
    if op == "not between":
        return F.coalesce((value <= first) | (value >= _literal(F, operands[1])), false)
    compare = {">": value > first, ">=": value >= first, "<": value < first, "<=": value <= first}[op]
    return F.coalesce(compare, false)


def _equals(F: Any, value: Any, operand: object) -> Any:
    if isinstance(operand, Keyword):
        if operand.name == "NULL":
            return value.isNull()
        if operand.name == "EMPTY":
            return F.coalesce(value == F.lit(""), F.lit(False))
        return F.coalesce(value.rlike(r"^\s+$"), F.lit(False))
    return F.coalesce(value == _literal(F, operand), F.lit(False))


def _literal(F: Any, value: object) -> Any:
    return F.stamp(value) if isinstance(value, dt.datetime) else F.lit(value)


def _seconds(value: object) -> object:
    return value.total_seconds() if isinstance(value, dt.timedelta) else value


def _normalise(column: Any, spark_type: str, kind: str) -> Any:
    kin = family(spark_type)
    if kind == "number" and kin not in NUMERIC_TYPES:
        return column.try_cast("double")
    if kind == "date":
        return _timestamp(column, spark_type)
    if kind == "string" and kin != "string":
        return column.cast("string")
    return column


def _timestamp(column: Any, spark_type: str) -> Any:
    """``column`` as a timestamp: strings that do not parse are null; a timestamp is not cast (on DuckDB the cast
    of a TIMESTAMPTZ would convert every row through the time zone, only to give the same instant)."""
    kin = family(spark_type)
    if kin == "timestamp":
        return column
    return column.try_cast("timestamp") if kin == "string" else column.cast("timestamp")


def _parses(F: Any, column: Any, name: str) -> Any:
    """Does a string value parse as the Glue type ``name``?"""
    kinds = DATA_TYPES[name]
    if name == "STRING":
        return column.isNotNull()
    if "int" in kinds or "bigint" in kinds:
        return column.rlike(INTEGER)
    if name == "BOOLEAN":
        return F.lower(F.trim(column)).isin("true", "false")
    return column.try_cast(TYPE_CASTS[name]).isNotNull()


# --- row-level outcomes -----------------------------------------------------------------------------


class RowHooks:
    """What row-level outcomes need beyond column expressions: a per-key row count and CustomSql matches."""

    def key_count(self, columns: list[str], mask: Any) -> Any:
        """Per row: how many rows selected by ``mask`` share its values of ``columns``."""
        raise NotImplementedError

    def sql_hit(self, statement: str) -> Any:
        """Per row: is it among the rows a row-level CustomSql statement returns (never null)?"""
        raise NotImplementedError


def rule_outcome(F: Any, rule: Rule | CompositeRule, schema: dict[str, str], now: dt.datetime, hooks: RowHooks) -> Any:
    """Per row: ``True`` pass, ``False`` fail, null skip (rules without row-level results, rows outside
    ``where``); composites combine their children as Glue's COLUMN method."""
    if isinstance(rule, CompositeRule):
        parts = [rule_outcome(F, child, schema, now, hooks) for child in rule.rules]
        falses = any_of([F.coalesce(p == F.lit(False), F.lit(False)) for p in parts])
        trues = any_of([F.coalesce(p, F.lit(False)) for p in parts])
        if rule.op == "and":
            return F.when(falses, False).when(trues, True)
        return F.when(trues, True).when(falses, False)
    skip = F.lit(None).cast("boolean")
    plan = compile_rule(rule, schema)
    if plan.error is not None:
        return skip
    mask = where_mask(F, rule.where)
    mask = F.lit(True) if mask is None else mask
    columns = rule_columns(rule)
    kind = rule.rule_type
    if kind in ("IsComplete", "Completeness"):
        return F.when(mask, F.col(columns[0]).isNotNull())
    if kind in ("ColumnValues", "ColumnLength", "DataFreshness", "ColumnDataType") and rule.condition is not None:
        passing = next((r for r in plan.requests if isinstance(r, Metric) and r.fn == "passing"), None)
        if passing is None:  # a typed ColumnDataType: decided for the whole column
            return skip
        return F.when(mask, check_expression(F, passing.check, schema, now))  # type: ignore[arg-type]
    if kind in ("IsUnique", "Uniqueness", "IsPrimaryKey"):
        once = hooks.key_count(columns, mask) == 1
        if kind == "IsPrimaryKey":
            return F.when(mask, all_of([F.col(c).isNotNull() for c in columns]) & once)
        return F.when(mask, once | ~any_of([F.col(c).isNotNull() for c in columns]))
    if kind == "CustomSql" and rule.condition is None:
        return hooks.sql_hit(rule.arguments[0])
    return skip


def rule_texts(F: Any, outcomes: list[tuple[str, Any]], state: bool | None) -> list[Any]:
    """Per rule, its text where the row's outcome is ``state`` (null for skipped), else null."""
    items = []
    for text, outcome in outcomes:
        hit = outcome.isNull() if state is None else F.coalesce(outcome == F.lit(state), F.lit(False))
        items.append(F.when(hit, F.lit(text)))
    return items


# --- measuring helpers --------------------------------------------------------------------------------


def is_sql_check(metric: Metric) -> bool:
    """A row-level CustomSql count (measured by a semi-join, not in the aggregate pass)."""
    return metric.check is not None and metric.check.kind == "sqlrows"


def guard(func: Callable[[], object]) -> object:
    """``func()``, or the RuleError it raised (other exceptions become one naming their first line)."""
    try:
        return func()
    except RuleError as exc:
        return exc
    except Exception as exc:
        return RuleError(first_line(exc))


def first_line(exc: BaseException) -> str:
    """An exception's first message line (engines' errors run long)."""
    text = str(exc).strip().splitlines()
    return text[0] if text else type(exc).__name__


def number(value: object) -> float | None:
    """A measured value as a float; None for NULL and NaN."""
    if value is None:
        return None
    result = float(value)  # type: ignore[arg-type]
    return None if math.isnan(result) else result


def entropy(rows: float, nlogn: float) -> float:
    """Natural-log entropy of a key distribution from its row count and the sum of n·ln(n) over keys."""
    return math.log(rows) - nlogn / rows if rows else 0.0
