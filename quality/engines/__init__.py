"""Evaluation engines behind one result model: ``spark`` (default), ``duckdb`` (in process), ``pandas`` and ``gx``.

    result = evaluate(ruleset, df, engine="spark")        # Glue's GetDataQualityResult shape
    rows = row_outcomes(df, ruleset)                       # df + DataQualityRulesPass/Fail/Skip/EvaluationResult

Each engine only measures the requests :func:`quality.engines.plan.compile_plan` derives from the ruleset;
judging is shared, so the engines differ in speed, never in outcomes.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from pathlib import Path
from typing import Any, Protocol

from quality.dqdl import Ruleset, parse, parse_file
from quality.engines.plan import History, Request, compile_plan
from quality.results import build_result
from sluice.clock import utcnow
from sluice.context import SluiceContext
from sluice.errors import InvalidInputException

ENGINES = ("spark", "duckdb", "pandas", "gx")


class Backend(Protocol):
    """What an engine provides: the dataset's schema and the measurement of plan requests."""

    name: str

    def schema(self) -> dict[str, str]: ...

    def measure(self, requests: list[Request], now: dt.datetime) -> dict[Request, object]: ...


def load_ruleset(source: str | Path | Ruleset) -> Ruleset:
    """A parsed ruleset from a DQDL file path or inline DQDL text."""
    if isinstance(source, Ruleset):
        return source
    text = str(source)
    if "\n" not in text and "[" not in text and Path(text).expanduser().is_file():
        return parse_file(Path(text).expanduser())
    if "Rules" in text or "Analyzers" in text:
        return parse(text)
    raise InvalidInputException(
        f"Ruleset {text!r} is neither a readable file nor DQDL text.",
        hint="Pass a .dqdl file path or text such as 'Rules = [ RowCount > 0 ]'.",
    )


def make_backend(
    engine: str,
    data: Any,
    references: Mapping[str, Any] | None = None,
    name: str | None = None,
    *,
    ctx: SluiceContext | None = None,
) -> Backend:
    """The backend of ``engine`` over ``data`` (a Spark DataFrame; a pandas frame for ``pandas``; a
    :class:`~quality.engines.scan.Scan`, Arrow data or a pandas frame for ``duckdb``); ``name`` titles GX's
    suite and Data Docs (written under the context's home)."""
    if engine == "duckdb":
        from quality.engines.duckdb import DuckDBBackend

        if hasattr(data, "toArrow"):  # a Spark DataFrame: Arrow keeps its types (pandas would not)
            data = data.toArrow()
            references = {k: v.toArrow() for k, v in (references or {}).items()}
        return DuckDBBackend(data, references, ctx=ctx)
    if engine == "spark":
        from quality.engines.spark import SparkBackend

        return SparkBackend(data, references, ctx=ctx)
    if engine == "pandas":
        from quality.engines.pandas import PandasBackend

        if hasattr(data, "toPandas"):
            data = data.toPandas()
            references = {k: v.toPandas() for k, v in (references or {}).items()}
        return PandasBackend(data, references, ctx=ctx)
    if engine == "gx":
        from quality.engines.gx import GXBackend

        return GXBackend(data, references, suite_name=name, ctx=ctx)
    raise InvalidInputException(f"Unknown engine {engine!r}.", hint=f"Use one of: {', '.join(ENGINES)}.")


def evaluate(
    ruleset: str | Path | Ruleset,
    data: Any,
    *,
    engine: str = "spark",
    references: Mapping[str, Any] | None = None,
    history: History | None = None,
    now: dt.datetime | None = None,
    ruleset_name: str | None = None,
    data_source: dict[str, Any] | None = None,
    evaluation_context: str | None = None,
    ctx: SluiceContext | None = None,
) -> dict[str, Any]:
    """Evaluate a ruleset on ``data``; returns the Glue result document (nothing is stored).

    ``history(metric)`` returns a metric's past values, oldest first, for dynamic rules and DetectAnomalies.
    """
    parsed = load_ruleset(ruleset)
    started = dt.datetime.now(dt.UTC)
    now = now or utcnow()
    backend = make_backend(engine, data, references, ruleset_name, ctx=ctx)
    plan = compile_plan(parsed, backend.schema())
    values = backend.measure(plan.requests, now)
    return build_result(
        parsed,
        plan.judge(values, history=history, now=now),
        plan.analyze(values),
        started=started,
        completed=dt.datetime.now(dt.UTC),
        ruleset_name=ruleset_name,
        data_source=data_source,
        evaluation_context=evaluation_context,
    )


def row_outcomes(
    data: Any,
    ruleset: str | Path | Ruleset,
    *,
    references: Mapping[str, Any] | None = None,
    now: dt.datetime | None = None,
    engine: str = "spark",
) -> Any:
    """``data`` with Glue's row-level columns: ``DataQualityRulesPass``, ``DataQualityRulesFail``,
    ``DataQualityRulesSkip`` (arrays of rule texts) and ``DataQualityEvaluationResult`` (Passed/Failed).

    Row-level rules (IsComplete, Completeness, ColumnValues, ColumnLength, DataFreshness, ColumnDataType,
    IsUnique, Uniqueness, IsPrimaryKey, row-level CustomSql) pass or fail each row; rows outside a rule's
    ``where`` and dataset-level rules (RowCount, Mean...) are skipped. ``spark`` returns a DataFrame,
    ``duckdb`` an Arrow table.
    """
    if engine not in ("spark", "duckdb"):
        raise InvalidInputException(f"Row-level outcomes come from the spark or duckdb engine, not {engine!r}.")
    backend = make_backend(engine, data, references)
    return backend.row_outcomes(load_ruleset(ruleset), now or utcnow())  # type: ignore[attr-defined]
