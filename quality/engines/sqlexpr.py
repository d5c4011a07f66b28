"""DuckDB SQL text shaped like PySpark columns, for :mod:`quality.engines.checks`.

    F = SqlFunctions()
    (F.col("distance") > F.lit(100)).sql              # '("distance" > 100)'
    F.when(F.col("x").isNull(), 1).otherwise(0).sql   # 'CASE WHEN ("x" IS NULL) THEN 1 ELSE 0 END'

Spark SQL written by users (``where`` clauses, CustomSql) is translated by sqlglot (Spark dialect in, DuckDB
out, every identifier quoted: ``primary`` is a DuckDB keyword). Pure: builds text, runs nothing.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Callable
from decimal import Decimal
from functools import lru_cache

from quality.engines.plan import RuleError

DUCKDB_TYPES = {
    "boolean": "BOOLEAN",
    "date": "DATE",
    "timestamp": "TIMESTAMP",
    "double": "DOUBLE",
    "float": "FLOAT",
    "string": "VARCHAR",
}


def quote(name: str) -> str:
    """A DuckDB identifier."""
    return '"' + name.replace('"', '""') + '"'


def render(value: object) -> str:
    """A Python value or :class:`Expr` as DuckDB SQL."""
    if isinstance(value, Expr):
        return value.sql
    if value is None:
        return "NULL"
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, int | Decimal):
        return str(value)
    if isinstance(value, float):
        if math.isnan(value) or math.isinf(value):
            return f"CAST('{value}' AS DOUBLE)"
        return f"CAST({value!r} AS DOUBLE)"
    if isinstance(value, dt.datetime):
        naive = value.astimezone(dt.UTC).replace(tzinfo=None) if value.tzinfo else value
        return f"TIMESTAMP '{naive.isoformat(sep=' ')}'"
    if isinstance(value, dt.date):
        return f"DATE '{value.isoformat()}'"
    return "'" + str(value).replace("'", "''") + "'"


def duckdb_type(spark_type: str) -> str:
    """The DuckDB type for a Spark simple type name (``decimal(p,s)`` is the same in both)."""
    return DUCKDB_TYPES.get(spark_type, spark_type.upper())


@lru_cache(maxsize=256)
def from_spark(statement: str, what: str) -> str:
    """Spark SQL (an expression or a query) as DuckDB SQL; RuleError naming ``what`` when it does not parse."""
    import sqlglot
    from sqlglot.errors import SqlglotError

    try:
        out = sqlglot.transpile(statement, read="spark", write="duckdb", identify=True)
    except SqlglotError as exc:
        raise RuleError(f"{what} {statement!r} is invalid: {str(exc).splitlines()[0]}") from None
    if len(out) != 1:
        raise RuleError(f"{what} {statement!r} must be one statement")
    return out[0]


class Expr:
    """A SQL expression with PySpark ``Column``'s operators and the methods the checks use."""

    __slots__ = ("sql",)
    __hash__ = None  # type: ignore[assignment]

    def __init__(self, sql: str) -> None:
        self.sql = sql

    def __repr__(self) -> str:
        return f"Expr({self.sql!r})"

    def _op(self, op: str, other: object) -> Expr:
        return Expr(f"({self.sql} {op} {render(other)})")

    def _rop(self, op: str, other: object) -> Expr:
        return Expr(f"({render(other)} {op} {self.sql})")

    def __eq__(self, other: object) -> Expr:  # type: ignore[override]
        return self._op("=", other)

    def __ne__(self, other: object) -> Expr:  # type: ignore[override]
        return self._op("<>", other)

    def __gt__(self, other: object) -> Expr:
        return self._op(">", other)

    def __ge__(self, other: object) -> Expr:
        return self._op(">=", other)

    def __lt__(self, other: object) -> Expr:
        return self._op("<", other)

    def __le__(self, other: object) -> Expr:
        return self._op("<=", other)

    def __and__(self, other: object) -> Expr:
        return self._op("AND", other)

    def __or__(self, other: object) -> Expr:
        return self._op("OR", other)

    def __invert__(self) -> Expr:
        return Expr(f"(NOT {self.sql})")

    def __sub__(self, other: object) -> Expr:
        return self._op("-", other)

    def __rsub__(self, other: object) -> Expr:
        return self._rop("-", other)

    def __truediv__(self, other: object) -> Expr:
        return self._op("/", other)

    def isNull(self) -> Expr:
        return Expr(f"({self.sql} IS NULL)")

    def isNotNull(self) -> Expr:
        return Expr(f"({self.sql} IS NOT NULL)")

    def isin(self, *values: object) -> Expr:
        return Expr(f"({self.sql} IN ({', '.join(render(v) for v in values)}))")

    def rlike(self, pattern: str) -> Expr:
        return Expr(f"regexp_matches({self.sql}, {render(pattern)})")

    def cast(self, spark_type: str) -> Expr:
        return Expr(f"CAST({self.sql} AS {duckdb_type(spark_type)})")

    def try_cast(self, spark_type: str) -> Expr:
        return Expr(f"TRY_CAST({self.sql} AS {duckdb_type(spark_type)})")

    def alias(self, name: str) -> Expr:
        return Expr(f"{self.sql} AS {quote(name)}")


class Case(Expr):
    """``CASE WHEN … THEN … [ELSE …] END``, built like PySpark's ``when(...).when(...).otherwise(...)``."""

    __slots__ = ("branches",)

    def __init__(self, branches: tuple[tuple[object, object], ...], default: object = None) -> None:
        self.branches = branches
        whens = " ".join(f"WHEN {render(c)} THEN {render(v)}" for c, v in branches)
        super().__init__(f"CASE {whens}{'' if default is None else ' ELSE ' + render(default)} END")

    def when(self, condition: object, value: object) -> Case:
        return Case((*self.branches, (condition, value)))

    def otherwise(self, value: object) -> Case:
        return Case(self.branches, value)


def _call(name: str, *args: object) -> Expr:
    return Expr(f"{name}({', '.join(render(a) for a in args)})")


class SqlFunctions:
    """The ``F`` namespace of :mod:`quality.engines.checks` for DuckDB; ``translate`` turns Spark SQL (``where``
    clauses) into DuckDB SQL (:func:`from_spark`, or :class:`~quality.engines.translations.Translations`)."""

    def __init__(self, translate: Callable[[str, str], str] = from_spark) -> None:
        self.translate = translate

    @staticmethod
    def col(name: str) -> Expr:
        return Expr(quote(name))

    @staticmethod
    def lit(value: object) -> Expr:
        return Expr(render(value))

    @staticmethod
    def stamp(value: dt.datetime) -> Expr:
        return Expr(render(value))

    def expr(self, where: str) -> Expr:
        return Expr(f"({self.translate(where, 'where clause')})")

    @staticmethod
    def when(condition: object, value: object) -> Case:
        return Case(((condition, value),))

    @staticmethod
    def coalesce(*values: object) -> Expr:
        return _call("coalesce", *values)

    @staticmethod
    def unix_micros(value: object) -> Expr:
        return _call("epoch_us", value)

    def __getattr__(self, name: str) -> object:
        if name in ("count", "sum", "avg", "stddev_pop", "var_pop", "min", "max", "corr", "length", "lower", "trim"):
            return lambda *args: _call(name, *args)
        raise AttributeError(name)
