"""The pandas engine: the Spark engine's semantics for small data and fast tests.

Row checks run :meth:`Condition.holds` itself on each distinct value (vectorised for plain numeric ranges);
``where`` clauses and CustomSql run in an in-memory SQLite copy of the frame, with ``primary`` as its name.
"""

from __future__ import annotations

import datetime as dt
import math
import re
import sqlite3
from collections.abc import Mapping, Sequence
from decimal import Decimal
from typing import TYPE_CHECKING

from quality.dqdl import Condition
from quality.engines.files import file_facts
from quality.engines.plan import DATA_TYPES, Check, Files, Reference, Request, RuleError, Sql

if TYPE_CHECKING:
    import numpy as np
    import pandas as pd

    from sluice.context import SluiceContext

PRIMARY = "primary"
_RANGE_OPS = (">", ">=", "<", "<=", "between", "not between")
_INTEGER = re.compile(r"\s*[+-]?\d+\s*")


def pandas_schema(frame: pd.DataFrame) -> dict[str, str]:
    """``{column: Spark simple type}`` for a pandas frame (object columns typed by their values)."""
    import pandas as pd

    out = {}
    for name, dtype in frame.dtypes.items():
        kind = dtype.kind
        if kind == "b":
            out[str(name)] = "boolean"
        elif kind in "iu":
            out[str(name)] = "int" if dtype.itemsize <= 4 else "bigint"
        elif kind == "f":
            out[str(name)] = "float" if dtype.itemsize == 4 else "double"
        elif kind == "M":
            out[str(name)] = "timestamp"
        else:
            values = frame[name].dropna()
            sample = values.iloc[0] if len(values) else ""
            if isinstance(sample, pd.Timestamp | dt.datetime):
                out[str(name)] = "timestamp"
            elif isinstance(sample, dt.date):
                out[str(name)] = "date"
            elif isinstance(sample, Decimal):
                out[str(name)] = "decimal(38,18)"
            elif isinstance(sample, bool):
                out[str(name)] = "boolean"
            else:
                out[str(name)] = "string"
    return out


def _plain(value: object) -> object:
    """A pandas/numpy scalar as the Python value :meth:`Condition.holds` expects (None for missing)."""
    import pandas as pd

    if value is None or value is pd.NaT or (isinstance(value, float) and math.isnan(value)):
        return None
    if isinstance(value, pd.Timestamp):
        return value.to_pydatetime()
    if hasattr(value, "item"):
        return value.item()  # type: ignore[union-attr]
    return value


class PandasBackend:
    """Measures plan requests on a pandas DataFrame and its reference frames."""

    name = "pandas"

    def __init__(
        self,
        frame: pd.DataFrame,
        references: Mapping[str, pd.DataFrame] | None = None,
        *,
        ctx: SluiceContext | None = None,
    ) -> None:
        self.ctx = ctx
        self.frame = frame.reset_index(drop=True)
        self.references = dict(references or {})
        self._schema = pandas_schema(self.frame)
        self._db: sqlite3.Connection | None = None
        self._masks: dict[str, np.ndarray] = {}

    def schema(self) -> dict[str, str]:
        """The primary frame's schema."""
        return dict(self._schema)

    def measure(self, requests: Sequence[Request], now: dt.datetime) -> dict[Request, object]:
        """Measure each request (pandas has no jobs to save: requests are computed one by one)."""
        out: dict[Request, object] = {}
        for request in requests:
            try:
                out[request] = self._measure(request, now)
            except RuleError as exc:
                out[request] = exc
            except Exception as exc:
                out[request] = RuleError(f"{type(exc).__name__}: {exc}")
        return out

    def _measure(self, request: Request, now: dt.datetime) -> object:
        if isinstance(request, Sql):
            rows = self._sql(request.statement).fetchmany(2)
            if len(rows) != 1 or len(rows[0]) != 1:
                raise RuleError(f"CustomSql must return one value; {request.statement!r} returned {len(rows)} row(s)")
            return _number(rows[0][0])
        if isinstance(request, Reference):
            return self._reference(request)
        if isinstance(request, Files):
            return file_facts(request, self.ctx)
        mask = self.mask(request.where)
        frame = self.frame[mask]
        if request.fn == "count":
            return float(len(frame))
        if request.fn == "passing":
            assert request.check is not None
            return float(self.check(request.check, now)[mask].sum())
        if request.grouped:
            return self._frequencies(frame, request.columns)[request.fn]
        series = frame[request.columns[0]]
        if request.fn == "nonnull":
            return float(series.notna().sum())
        values = series.dropna()
        if request.fn in ("minlen", "maxlen"):
            lengths = values.astype(str).str.len()
            return _number(lengths.min() if request.fn == "minlen" else lengths.max()) if len(lengths) else None
        if request.fn == "corr":
            pair = frame[list(request.columns)].dropna().astype(float)
            return _number(pair.iloc[:, 0].corr(pair.iloc[:, 1])) if len(pair) > 1 else None
        if not len(values):
            return None
        numbers = values.astype(float) if request.fn not in ("min", "max") else values
        stat = {
            "sum": lambda: numbers.sum(),
            "mean": lambda: numbers.mean(),
            "stddev": lambda: numbers.std(ddof=0),
            "variance": lambda: numbers.var(ddof=0),
            "min": lambda: numbers.min(),
            "max": lambda: numbers.max(),
        }[request.fn]()
        return _number(stat)

    @staticmethod
    def _frequencies(frame: pd.DataFrame, columns: tuple[str, ...]) -> dict[str, float]:
        keyed = frame[list(columns)]
        keyed = keyed[keyed.notna().any(axis=1)]
        counts = keyed.groupby(list(columns), dropna=False, sort=False).size()
        rows = float(counts.sum())
        nlogn = float((counts * counts.map(math.log)).sum())
        return {
            "groups": rows,
            "distinct": float(len(counts)),
            "unique": float((counts == 1).sum()),
            "entropy": math.log(rows) - nlogn / rows if rows else 0.0,
        }

    # --- masks and checks -------------------------------------------------------------------------

    def mask(self, where: str | None) -> np.ndarray:
        """Rows selected by a (Spark SQL) ``where`` clause, evaluated by SQLite."""
        import numpy as np

        if not where:
            return np.ones(len(self.frame), dtype=bool)
        if where not in self._masks:
            try:
                rows = self._sql(f'SELECT CASE WHEN ({where}) THEN 1 ELSE 0 END FROM "{PRIMARY}" ORDER BY rowid')
            except RuleError as exc:
                raise RuleError(f"where clause {where!r} is invalid: {exc}") from None
            self._masks[where] = np.array([r[0] == 1 for r in rows], dtype=bool)
        return self._masks[where]

    def check(self, check: Check, now: dt.datetime) -> np.ndarray:
        """Per row: does it pass ``check``?"""
        import numpy as np
        import pandas as pd

        if check.kind == "sqlrows":
            return self._sql_matches(check.statement or "")
        condition = check.condition
        assert condition is not None
        series = self.frame[check.column]
        if check.kind == "length":
            series = series.map(lambda v: None if _plain(v) is None else len(str(v)))
        elif check.kind == "type":
            names = [str(v).upper() for v in condition.plain_operands(now=now) if isinstance(v, str)]
            hit = series.map(lambda v: _plain(v) is not None and any(_parses(str(v), n) for n in names))
            if condition.op in ("=", "in"):
                return hit.to_numpy(dtype=bool)
            return (series.notna() & ~hit).to_numpy(dtype=bool)
        elif condition.kind == "number" and series.dtype.kind not in "biuf":
            series = pd.to_numeric(series, errors="coerce")
        elif condition.kind in ("date", "duration"):
            series = pd.to_datetime(series, errors="coerce", utc=True).dt.tz_localize(None)
        if condition.kind == "number" and condition.op in _RANGE_OPS and not condition.is_dynamic:
            return _numeric_range(series.to_numpy(dtype=float, na_value=np.nan), condition)
        return _holds_each(series, condition, now)

    # --- SQL --------------------------------------------------------------------------------------

    def _connection(self) -> sqlite3.Connection:
        if self._db is None:
            self._db = sqlite3.connect(":memory:")
            self.frame.to_sql(PRIMARY, self._db, index=False)
            for alias, frame in self.references.items():
                frame.to_sql(alias, self._db, index=False)
        return self._db

    def _sql(self, statement: str) -> sqlite3.Cursor:
        quoted = re.sub(r'(?<!["\w])primary(?!["\w])', f'"{PRIMARY}"', statement, flags=re.IGNORECASE)
        try:
            return self._connection().execute(quoted)
        except sqlite3.Error as exc:
            raise RuleError(f"SQL failed: {exc}") from None

    def _sql_matches(self, statement: str) -> np.ndarray:
        cursor = self._sql(statement)
        names = [d[0] for d in cursor.description or ()]
        unknown = [n for n in names if n not in self._schema]
        if unknown or not names:
            raise RuleError(
                f"row-level CustomSql must select columns of primary; "
                f"{statement!r} returns {', '.join(unknown) or 'none'}"
            )
        import numpy as np

        returned = {tuple(_key(v) for v in row) for row in cursor.fetchall()}
        rows = zip(*([_key(_plain(v)) for v in self.frame[n]] for n in names), strict=True)
        return np.array([row in returned for row in rows], dtype=bool)

    # --- references -------------------------------------------------------------------------------

    def _reference(self, request: Reference) -> object:
        frame = self.references.get(request.alias)
        if frame is None:
            known = ", ".join(self.references) or "none"
            raise RuleError(f"reference dataset {request.alias!r} is not available (known aliases: {known})")
        if request.kind == "rows":
            return float(len(frame))
        if request.kind == "schema":
            return pandas_schema(frame)
        if request.kind == "aggregate":
            fn, column = request.args
            values = frame[str(column)].dropna().astype(float)
            return _number(values.sum() if fn == "sum" else values.mean()) if len(values) else None
        if not len(self.frame):
            raise RuleError("the dataset has no rows")
        pairs = request.column_pairs()
        missing = [b for _, b, _ in pairs if b not in frame.columns]
        if missing:
            raise RuleError(f"reference column(s) {', '.join(missing)} not found")
        present = {
            tuple(_key(_plain(v)) for v in row) for row in frame[[b for _, b, _ in pairs]].itertuples(index=False)
        }
        hits = 0
        for row in self.frame[[a for a, _, _ in pairs]].itertuples(index=False):
            values = [_plain(v) for v in row]
            if any(v is None for v, (_, _, null_safe) in zip(values, pairs, strict=True) if not null_safe):
                continue
            hits += tuple(_key(v) for v in values) in present
        return hits / len(self.frame)


def _key(value: object) -> object:
    """A hashable, type-tolerant key: SQLite and pandas disagree on int/float and datetime forms."""
    if isinstance(value, float) and value == int(value):
        return int(value)
    if isinstance(value, dt.datetime | dt.date):
        return value.isoformat(sep=" ") if isinstance(value, dt.datetime) else value.isoformat()
    return value


def _number(value: object) -> float | None:
    value = _plain(value)
    return None if value is None else float(value)  # type: ignore[arg-type]


def _parses(text: str, name: str) -> bool:
    if name == "STRING":
        return True
    family = DATA_TYPES[name]
    if "int" in family or "bigint" in family:
        return _INTEGER.fullmatch(text) is not None
    if name == "BOOLEAN":
        return text.strip().lower() in ("true", "false")
    try:
        if name == "DATE":
            dt.date.fromisoformat(text.strip())
        elif name == "TIMESTAMP":
            dt.datetime.fromisoformat(text.strip())
        else:
            float(text)
    except ValueError:
        return False
    return True


def _numeric_range(values: np.ndarray, condition: Condition) -> np.ndarray:
    import numpy as np

    bounds = condition.operand_values()
    if any(b is None for b in bounds):
        return np.zeros(len(values), dtype=bool)
    with np.errstate(invalid="ignore"):
        first = bounds[0]
        result = {
            ">": lambda: values > first,
            ">=": lambda: values >= first,
            "<": lambda: values < first,
            "<=": lambda: values <= first,
            "between": lambda: (values > first) & (values < bounds[1]),
            "not between": lambda: (values <= first) | (values >= bounds[1]),
        }[condition.op]()
    return result & ~np.isnan(values)


def _holds_each(series: pd.Series, condition: Condition, now: dt.datetime) -> np.ndarray:
    """``condition.holds`` on each distinct value, broadcast back to the rows."""
    codes, uniques = series.factorize(use_na_sentinel=True)
    import numpy as np

    verdicts = [condition.holds(_plain(u), now=now) for u in uniques]
    verdicts.append(condition.holds(None, now=now))  # code -1: missing values
    return np.array(verdicts, dtype=bool)[codes]
