"""The in-process engine: the Spark engine's plan and semantics on DuckDB, without a JVM.

Every aggregate metric is one ``SELECT`` over ``primary`` (``where`` clauses become ``FILTER``-free conditional
aggregates, as on Spark); every grouping key is a ``GROUP BY`` whose counts are aggregated once more, all keys
in one ``UNION ALL`` query. Checks come from :mod:`quality.engines.checks`, the code the Spark engine runs,
rendered as DuckDB SQL; ``where`` clauses and CustomSql are Spark SQL translated by sqlglot, each translation
kept for later runs (:mod:`quality.engines.translations`). Reference datasets are views under their aliases.
The connection runs in UTC, as Spark sessions do.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Collection, Mapping
from typing import TYPE_CHECKING, Any

from quality.dqdl import Ruleset
from quality.engines import checks
from quality.engines.passes import PassBackend, one_value, spread_keys
from quality.engines.plan import Check, Metric, Reference, Request, RuleError
from quality.engines.scan import Scan, arrow_scan
from quality.engines.sqlexpr import Expr, SqlFunctions, quote
from quality.engines.translations import Translations

if TYPE_CHECKING:
    import duckdb
    import pyarrow as pa

    from sluice.context import SluiceContext

PRIMARY = "primary"
_SIMPLE_TYPES = {
    "BOOLEAN": "boolean",
    "TINYINT": "tinyint",
    "SMALLINT": "smallint",
    "INTEGER": "int",
    "BIGINT": "bigint",
    "HUGEINT": "decimal(38,0)",
    "UTINYINT": "smallint",
    "USMALLINT": "int",
    "UINTEGER": "bigint",
    "UBIGINT": "decimal(20,0)",
    "FLOAT": "float",
    "DOUBLE": "double",
    "VARCHAR": "string",
    "BLOB": "binary",
    "DATE": "date",
    "TIMESTAMP WITH TIME ZONE": "timestamp",
    "TIMESTAMP": "timestamp_ntz",
    "TIMESTAMP_S": "timestamp_ntz",
    "TIMESTAMP_MS": "timestamp_ntz",
    "TIMESTAMP_NS": "timestamp_ntz",
}


def spark_type(duckdb_type: str) -> str:
    """The Spark simple type name of a DuckDB column type (``DECIMAL(10,2)`` -> ``decimal(10,2)``)."""
    if duckdb_type in _SIMPLE_TYPES:
        return _SIMPLE_TYPES[duckdb_type]
    if duckdb_type.startswith("DECIMAL"):
        return duckdb_type.lower().replace(" ", "")
    if duckdb_type.endswith("[]"):
        return f"array<{spark_type(duckdb_type[:-2])}>"
    return duckdb_type.lower()


def as_scan(data: Any) -> Scan:
    """``data`` (a :class:`Scan`, an Arrow table or dataset, a pandas frame) as a Scan."""
    return data if isinstance(data, Scan) else arrow_scan(data)


class DuckDBBackend(PassBackend):
    """Measures plan requests with DuckDB over ``primary`` (a Scan, Arrow data or a pandas frame) and its references."""

    name = "duckdb"

    def __init__(
        self, data: Any, references: Mapping[str, Any] | None = None, *, ctx: SluiceContext | None = None
    ) -> None:
        import duckdb

        self.ctx = ctx
        self.F = SqlFunctions(Translations.for_context(ctx).translate)
        self.db: duckdb.DuckDBPyConnection = duckdb.connect()
        self.db.execute("SET TimeZone = 'UTC'")
        self.references = dict(references or {})
        self._keep: list[object] = []  # temporary folders the views read
        self._view(PRIMARY, as_scan(data))
        for alias, frame in self.references.items():
            self._view(alias, as_scan(frame))
        self._schema = self._describe(PRIMARY)

    def _view(self, name: str, scan: Scan) -> None:
        """``scan`` as the view ``name`` (its in-memory tables registered first)."""
        for table, data in scan.tables.items():
            self.db.register(table, data)
        select = scan.select(
            lambda reader: [(r[0], r[1]) for r in self.db.execute(f"DESCRIBE SELECT * FROM {reader}").fetchall()]
        )
        self.db.execute(f"CREATE VIEW {quote(name)} AS {select}")
        self._keep.append(scan.keep)

    def _one(self, sql: str) -> object:
        """The single value of a one-row query (fetched in full: DuckDB refuses new work over an open result)."""
        return self.db.execute(sql).fetchall()[0][0]

    def _describe(self, name: str) -> dict[str, str]:
        rows = self.db.execute(f"DESCRIBE {quote(name)}").fetchall()
        return {row[0]: spark_type(row[1]) for row in rows}

    # --- metrics ----------------------------------------------------------------------------------

    def bad_wheres(self, wheres: Collection[str]) -> dict[str | None, RuleError]:
        bad: dict[str | None, RuleError] = {}
        for where in wheres:
            try:
                self.db.execute(f"EXPLAIN SELECT 1 FROM {quote(PRIMARY)} WHERE {self.F.expr(where).sql}").fetchall()
            except RuleError as exc:
                bad[where] = exc
            except Exception as exc:
                bad[where] = RuleError(f"where clause {where!r} is invalid: {checks.first_line(exc)}")
        return bad

    def aggregate(self, metrics: list[Metric], now: dt.datetime, out: dict[Request, object]) -> None:
        exprs: list[Expr | None] = []
        for index, metric in enumerate(metrics):
            try:
                exprs.append(checks.metric_expression(self.F, metric, self._schema, now).alias(f"m{index}"))
            except RuleError as exc:
                out[metric] = exc
                exprs.append(None)
        live = [e.sql for e in exprs if e is not None]
        if not live:
            return
        try:
            [row] = self.db.execute(f"SELECT {', '.join(live)} FROM {quote(PRIMARY)}").fetchall()
        except Exception as exc:
            error = RuleError(f"the aggregate pass failed: {checks.first_line(exc)}")
            out.update({m: error for m, e in zip(metrics, exprs, strict=True) if e is not None})
            return
        values = iter(row)
        for metric, expr in zip(metrics, exprs, strict=True):
            if expr is not None:
                out[metric] = checks.number(next(values))

    def frequencies(self, metrics: list[Metric], out: dict[Request, object]) -> None:
        """One query for all keys: per key, ``GROUP BY key`` counts aggregated into rows, distinct, unique and
        the sum of n·ln(n) (for entropy)."""
        keys = list(dict.fromkeys((m.columns, m.where) for m in metrics))
        if not keys:
            return
        parts = []
        for index, (columns, where) in enumerate(keys):
            filters = [checks.any_of([self.F.col(c).isNotNull() for c in columns]).sql]
            if where:
                filters.append(self.F.expr(where).sql)
            group = ", ".join(quote(c) for c in columns)
            parts.append(
                f"SELECT {index} AS key, sum(n) AS groups, count(*) AS distinct_keys, "
                f"count(*) FILTER (WHERE n = 1) AS unique_keys, sum(n * ln(n)) AS nlogn FROM "
                f"(SELECT count(*) AS n FROM {quote(PRIMARY)} WHERE {' AND '.join(filters)} GROUP BY {group})"
            )
        try:
            rows = {row[0]: row for row in self.db.execute(" UNION ALL ".join(parts)).fetchall()}
        except Exception as exc:
            error = RuleError(f"the grouped pass failed: {checks.first_line(exc)}")
            out.update(dict.fromkeys(metrics, error))
            return
        out.update(spread_keys(metrics, keys, {k: r[1:] for k, r in rows.items()}))

    def check(self, check: Check, now: dt.datetime) -> Expr:
        """A never-null boolean expression: does the row pass ``check``?"""
        return checks.check_expression(self.F, check, self._schema, now)

    # --- SQL and references -----------------------------------------------------------------------

    def _query(self, statement: str) -> duckdb.DuckDBPyRelation:
        sql = self.F.translate(statement, "CustomSql")
        try:
            return self.db.sql(sql)
        except Exception as exc:
            raise RuleError(f"SQL failed: {checks.first_line(exc)}") from None

    def sql_value(self, statement: str) -> float | None:
        relation = self._query(statement)
        rows = relation.limit(2).fetchall()
        return one_value(statement, rows)

    def sql_matches(self, statement: str) -> tuple[str, list[str]]:
        """A row-level CustomSql statement as DuckDB SQL, and the primary columns it returns."""
        relation = self._query(statement)
        names = list(relation.columns)
        self.sql_columns(statement, names)
        return self.F.translate(statement, "CustomSql"), names

    def sql_rows(self, statement: str) -> float:
        sql, names = self.sql_matches(statement)
        return float(self._one(f"SELECT count(*) FROM {quote(PRIMARY)} AS r WHERE {_exists(sql, names, 'r')}"))  # type: ignore[arg-type]

    def reference(self, request: Reference) -> object:
        self.reference_data(request.alias)
        view = quote(request.alias)
        if request.kind == "rows":
            return float(self._one(f"SELECT count(*) FROM {view}"))  # type: ignore[arg-type]
        if request.kind == "schema":
            return self._describe(request.alias)
        if request.kind == "aggregate":
            fn, column = request.args
            return checks.number(
                self._one(f"SELECT {'sum' if fn == 'sum' else 'avg'}({quote(str(column))}) FROM {view}")
            )
        total = float(self._one(f"SELECT count(*) FROM {quote(PRIMARY)}"))  # type: ignore[arg-type]
        if not total:
            raise RuleError("the dataset has no rows")
        pairs = request.column_pairs()
        columns = self._describe(request.alias)
        missing = [b for _, b, _ in pairs if b not in columns]
        if missing:
            raise RuleError(f"reference column(s) {', '.join(missing)} not found")
        on = " AND ".join(
            f"p.{quote(a)} {'IS NOT DISTINCT FROM' if null_safe else '='} ref.{quote(b)}" for a, b, null_safe in pairs
        )
        hits = self._one(
            f"SELECT count(*) FROM {quote(PRIMARY)} AS p WHERE EXISTS (SELECT 1 FROM {view} AS ref WHERE {on})"
        )
        return float(hits) / total  # type: ignore[arg-type]

    # --- row-level outcomes -----------------------------------------------------------------------

    def row_outcomes(self, ruleset: Ruleset, now: dt.datetime) -> pa.Table:
        """The primary rows with Glue's four row-level outcome columns added, as an Arrow table."""
        hooks = _DuckDBRows(self)
        outcomes = [(rule.text, checks.rule_outcome(self.F, rule, self._schema, now, hooks)) for rule in ruleset.rules]

        def texts(state: bool | None) -> str:
            items = ", ".join(e.sql for e in checks.rule_texts(self.F, outcomes, state))
            return f"list_filter(CAST([{items}] AS VARCHAR[]), lambda t: t IS NOT NULL)"

        failed = f"CASE WHEN len({quote(checks.ROW_COLUMNS[1])}) > 0 THEN 'Failed' ELSE 'Passed' END"
        return self.db.sql(
            f"SELECT *, {failed} AS {quote(checks.ROW_COLUMNS[3])} FROM (SELECT r.*, "
            f"{texts(True)} AS {quote(checks.ROW_COLUMNS[0])}, {texts(False)} AS {quote(checks.ROW_COLUMNS[1])}, "
            f"{texts(None)} AS {quote(checks.ROW_COLUMNS[2])} FROM {quote(PRIMARY)} AS r)"
        ).to_arrow_table()


class _DuckDBRows(checks.RowHooks):
    """Row-level hooks in SQL: a window count per key; CustomSql matches as a correlated EXISTS."""

    def __init__(self, backend: DuckDBBackend) -> None:
        self.backend = backend

    def key_count(self, columns: list[str], mask: Expr) -> Expr:
        keys = ", ".join(quote(c) for c in columns)
        return Expr(f"sum(CASE WHEN {mask.sql} THEN 1 ELSE 0 END) OVER (PARTITION BY {keys})")

    def sql_hit(self, statement: str) -> Expr:
        sql, names = self.backend.sql_matches(statement)
        return Expr(_exists(sql, names, "r"))


def _exists(sql: str, names: list[str], outer: str) -> str:
    """Is the ``outer`` row among the rows of ``sql`` (null-safe on ``names``)?"""
    on = " AND ".join(f"m.{quote(n)} IS NOT DISTINCT FROM {outer}.{quote(n)}" for n in names)
    return f"EXISTS (SELECT 1 FROM ({sql}) AS m WHERE {on})"
