"""The measuring order of the column engines (Spark, DuckDB): invalid ``where`` clauses first, then one
aggregate pass and one grouped pass, then row-level CustomSql counts, scalar SQL, references and files.
Each engine supplies the passes; what they measure and how errors are reported is here once."""

from __future__ import annotations

import datetime as dt
from collections.abc import Collection, Iterator, Mapping, Sequence
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any

from quality.engines.checks import entropy, guard, is_sql_check, number
from quality.engines.files import file_facts
from quality.engines.plan import Files, Metric, Reference, Request, RuleError, Sql

if TYPE_CHECKING:
    from sluice.context import SluiceContext


class PassBackend:
    """A backend measuring plan requests in passes over ``primary``; subclasses implement the passes."""

    ctx: SluiceContext | None
    references: Mapping[str, Any]
    _schema: dict[str, str]

    def schema(self) -> dict[str, str]:
        """The primary dataset's schema, in Spark's type names."""
        return dict(self._schema)

    def measure(self, requests: Sequence[Request], now: dt.datetime) -> dict[Request, object]:
        """Measure every request: one aggregate pass, one grouped pass for every key, then SQL and references."""
        out: dict[Request, object] = {}
        metrics = [r for r in requests if isinstance(r, Metric)]
        bad = self.bad_wheres({m.where for m in metrics if m.where})
        out.update({m: bad[m.where] for m in metrics if m.where in bad})
        live = [m for m in metrics if m not in out]
        with self.passes():
            self.aggregate([m for m in live if not m.grouped and not is_sql_check(m)], now, out)
            self.frequencies([m for m in live if m.grouped], out)
        for m in live:
            if is_sql_check(m):
                out[m] = guard(lambda m=m: self.sql_rows(m.check.statement))  # type: ignore[union-attr]
        for r in requests:
            if isinstance(r, Sql):
                out[r] = guard(lambda r=r: self.sql_value(r.statement))
            elif isinstance(r, Reference):
                out[r] = guard(lambda r=r: self.reference(r))
            elif isinstance(r, Files):
                out[r] = guard(lambda r=r: file_facts(r, self.ctx))
        return out

    @contextmanager
    def passes(self) -> Iterator[None]:
        """Around the aggregate and grouped passes (Spark turns adaptive execution off)."""
        yield

    def bad_wheres(self, wheres: Collection[str]) -> dict[str | None, RuleError]:
        """The ``where`` clauses that do not compile, with the error saying why."""
        raise NotImplementedError

    def aggregate(self, metrics: list[Metric], now: dt.datetime, out: dict[Request, object]) -> None:
        """Every ungrouped metric in one pass."""
        raise NotImplementedError

    def frequencies(self, metrics: list[Metric], out: dict[Request, object]) -> None:
        """Every grouped metric in one pass for all keys."""
        raise NotImplementedError

    def sql_rows(self, statement: str) -> float:
        """How many primary rows a row-level CustomSql statement returns."""
        raise NotImplementedError

    def sql_value(self, statement: str) -> float | None:
        """The one value a CustomSql statement returns."""
        raise NotImplementedError

    def reference(self, request: Reference) -> object:
        """A measurement of a reference dataset."""
        raise NotImplementedError

    def reference_data(self, alias: str) -> Any:
        """The reference dataset ``alias``; RuleError naming the known aliases when there is none."""
        data = self.references.get(alias)
        if data is None:
            known = ", ".join(self.references) or "none"
            raise RuleError(f"reference dataset {alias!r} is not available (known aliases: {known})")
        return data

    def sql_columns(self, statement: str, names: Sequence[str]) -> None:
        """Refuse a row-level CustomSql statement whose columns are not all columns of ``primary``."""
        unknown = [c for c in names if c not in self._schema]
        if unknown or not names:
            raise RuleError(
                f"row-level CustomSql must select columns of primary; "
                f"{statement!r} returns {', '.join(unknown) or 'none'}"
            )


def spread_keys(
    metrics: list[Metric], keys: list[tuple[tuple[str, ...], str | None]], rows: Mapping[int, Sequence[Any]]
) -> dict[Request, object]:
    """Grouped metric values from one row per key index: (groups, distinct, unique, sum of n·ln(n))."""
    out: dict[Request, object] = {}
    for index, key in enumerate(keys):
        groups, distinct, unique, nlogn = rows[index]
        total = float(groups or 0)
        stats = {
            "groups": total,
            "distinct": float(distinct),
            "unique": float(unique),
            "entropy": entropy(total, float(nlogn or 0.0)),
        }
        out.update({m: stats[m.fn] for m in metrics if (m.columns, m.where) == key})
    return out


def one_value(statement: str, rows: Sequence[Sequence[object]]) -> float | None:
    """The value of a CustomSql statement from (up to two of) its rows: it must return one row of one value."""
    if len(rows) != 1 or len(rows[0]) != 1:
        raise RuleError(f"CustomSql must return one value; {statement!r} returned {len(rows)} row(s)")
    return number(rows[0][0])
