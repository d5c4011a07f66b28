"""The Great Expectations engine: each plan request becomes a GX 1.x expectation, run by GX on Spark.

All expectations of a ruleset go into one suite and one checkpoint run, whose ``UpdateDataDocsAction`` writes
GX Data Docs HTML under ``$SLUICE_HOME/dq/docs/``. Values are read back from the expectation results
(``observed_value``, ``element_count - missing_count - unexpected_count``...), so the shared planner judges them
exactly as it judges the Spark engine's. Requests GX cannot express (entropy, correlation, scalar CustomSql,
reference datasets, type inference on strings) become a :class:`RuleError` naming the reason, so their rules
report ``ERROR``.
"""

from __future__ import annotations

import datetime as dt
import math
import warnings
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from quality.dqdl import Keyword
from quality.engines.files import file_facts
from quality.engines.plan import Check, Files, Reference, Request, RuleError, Sql
from quality.engines.spark import spark_schema
from sluice.context import SluiceContext

if TYPE_CHECKING:
    from pyspark.sql import DataFrame

# Reads a value from one expectation's ``result`` dict.
Reader = Callable[[dict[str, Any]], object]


@dataclass(frozen=True)
class Spec:
    """One GX expectation: its class name in ``great_expectations.expectations`` and keyword arguments."""

    kind: str
    args: tuple[tuple[str, object], ...] = ()
    where: str | None = None


def _spec(kind: str, where: str | None = None, **args: object) -> Spec:
    frozen = tuple((k, tuple(v) if isinstance(v, list) else v) for k, v in sorted(args.items()))
    return Spec(kind, frozen, where)


def observed(result: dict[str, Any]) -> object:
    """The aggregate an expectation observed (row count, sum, mean...)."""
    return result.get("observed_value")


def present(result: dict[str, Any]) -> float:
    """Non-null values seen by a column map expectation."""
    return float(result["element_count"] - (result.get("missing_count") or 0))


def non_null(result: dict[str, Any]) -> float:
    """Rows that met ``ExpectColumnValuesToNotBeNull`` (nulls are its unexpected values, not missing ones)."""
    return float(result["element_count"] - result["unexpected_count"])


def expected(result: dict[str, Any]) -> float:
    """Non-null values that met a column map expectation."""
    return present(result) - float(result["unexpected_count"])


def unsupported(what: str) -> RuleError:
    """The error for a request GX cannot express."""
    return RuleError(f"Great Expectations cannot express {what}")


@dataclass(frozen=True)
class Translation:
    """A request as expectations, and how to combine their results into the request's value."""

    specs: tuple[Spec, ...]
    combine: Callable[[list[dict[str, Any]]], object]


def _one(spec: Spec, read: Reader) -> Translation:
    return Translation((spec,), lambda results: read(results[0]))


def _pop(results: list[dict[str, Any]], power: int) -> float | None:
    """Population standard deviation (or variance) from GX's sample standard deviation and the value count."""
    sample, count = results[0].get("observed_value"), non_null(results[1])
    if count == 1:
        return 0.0
    if sample is None or count == 0 or math.isnan(float(sample)):
        return None
    value = float(sample) * math.sqrt((count - 1) / count)
    return value**power


_AGGREGATES = {
    "sum": "ExpectColumnSumToBeBetween",
    "mean": "ExpectColumnMeanToBeBetween",
    "min": "ExpectColumnMinToBeBetween",
    "max": "ExpectColumnMaxToBeBetween",
}


def translate(request: Request, now: dt.datetime) -> Translation:
    """The expectations measuring ``request``; raises :class:`RuleError` when GX has none."""
    if isinstance(request, Sql):
        raise unsupported("a CustomSql statement returning a value (only row-level CustomSql)")
    if isinstance(request, Reference):
        raise unsupported(f"a comparison with the reference dataset {request.alias!r} on Spark data")
    where, columns = request.where, request.columns
    if request.fn == "count":
        return _one(_spec("ExpectTableRowCountToBeBetween", where), observed)
    if request.fn == "passing":
        assert request.check is not None
        return _passing(request.check, where, now)
    if request.fn in ("entropy", "corr", "minlen", "maxlen"):
        raise unsupported({"corr": "ColumnCorrelation", "entropy": "Entropy"}.get(request.fn, "length statistics"))
    column = columns[0]
    not_null = _spec("ExpectColumnValuesToNotBeNull", where, column=column)
    if request.fn == "nonnull":
        return _one(not_null, non_null)
    if request.fn in _AGGREGATES:
        return _one(_spec(_AGGREGATES[request.fn], where, column=column), observed)
    if request.fn in ("stddev", "variance"):
        stdev = _spec("ExpectColumnStdevToBeBetween", where, column=column)
        power = 1 if request.fn == "stddev" else 2
        return Translation((stdev, not_null), lambda results: _pop(results, power))
    if request.fn == "distinct":
        if len(columns) > 1:
            raise unsupported("a distinct count over several columns")
        return _one(_spec("ExpectColumnUniqueValueCountToBeBetween", where, column=column), observed)
    unique = (
        _spec("ExpectColumnValuesToBeUnique", where, column=column)
        if len(columns) == 1
        else _spec("ExpectCompoundColumnsToBeUnique", where, column_list=list(columns))
    )
    return _one(unique, expected if request.fn == "unique" else present)


def _passing(check: Check, where: str | None, now: dt.datetime) -> Translation:
    """Rows passing a row check, with the planner's null semantics (nulls fail but for ``!=``/``not in``)."""
    if check.kind == "sqlrows":
        query = _batch_sql(check.statement or "")
        return _one(_spec("UnexpectedRowsExpectation", unexpected_rows_query=query), observed)
    if check.kind == "type":
        raise unsupported("ColumnDataType on a string column (GX does not infer types from values)")
    condition = check.condition
    assert condition is not None
    column, op = check.column, condition.op
    operands = condition.plain_operands(now=now)
    if check.kind == "fresh":
        return _fresh(column, op, operands, now, where)
    keywords = [o for o in operands if isinstance(o, Keyword)]
    values = [o for o in operands if not isinstance(o, Keyword)]
    if check.kind == "length":
        if keywords:
            raise unsupported("a keyword in a ColumnLength condition")
        return _lengths(column, op, values, where)
    if any(k.name == "WHITESPACES_ONLY" for k in keywords):
        raise unsupported("the WHITESPACES_ONLY keyword")
    has_null = any(k.name == "NULL" for k in keywords)
    values += ["" for k in keywords if k.name == "EMPTY"]
    if op in ("=", "in"):
        spec = _spec("ExpectColumnValuesToBeInSet", where, column=column, value_set=values)
        return _one(spec, lambda r: expected(r) + (r.get("missing_count") or 0) * has_null)
    if op in ("!=", "not in"):
        spec = _spec("ExpectColumnValuesToNotBeInSet", where, column=column, value_set=values)
        return _one(spec, lambda r: float(r["element_count"] - r["unexpected_count"]) - _null_failures(r, has_null))
    if keywords:
        return Translation((), lambda _results: 0.0)
    if op.endswith("matches"):
        kind = "ExpectColumnValuesToMatchRegex" if op == "matches" else "ExpectColumnValuesToNotMatchRegex"
        return _one(_spec(kind, where, column=column, regex=f"^(?:{values[0]})$"), expected)
    return _between(column, op, values, where)


def _null_failures(result: dict[str, Any], has_null: bool) -> float:
    """Missing values to count as failures of ``!=``/``not in`` when the list names ``NULL``."""
    return float(result.get("missing_count") or 0) if has_null else 0.0


def _between(column: str, op: str, values: list[object], where: str | None) -> Translation:
    kind = "ExpectColumnValuesToBeBetween"
    if op in ("between", "not between"):
        spec = _spec(
            kind, where, column=column, min_value=values[0], max_value=values[1], strict_min=True, strict_max=True
        )
        return _one(spec, expected if op == "between" else lambda r: float(r["unexpected_count"]))
    bound = "min_value" if op.startswith(">") else "max_value"
    strict = {"strict_min" if bound == "min_value" else "strict_max": len(op) == 1}
    return _one(_spec(kind, where, column=column, **{bound: values[0]}, **strict), expected)


def _lengths(column: str, op: str, values: list[object], where: str | None) -> Translation:
    numbers = [float(v) for v in values]  # type: ignore[arg-type]
    if op == "=":
        return _one(_spec("ExpectColumnValueLengthsToEqual", where, column=column, value=int(numbers[0])), expected)
    bounds: dict[str, object] = {}
    if op in (">", ">="):
        bounds["min_value"] = math.floor(numbers[0]) + 1 if op == ">" else math.ceil(numbers[0])
    elif op in ("<", "<="):
        bounds["max_value"] = math.ceil(numbers[0]) - 1 if op == "<" else math.floor(numbers[0])
    elif op == "between":
        bounds = {"min_value": math.floor(numbers[0]) + 1, "max_value": math.ceil(numbers[1]) - 1}
    else:
        raise unsupported(f"ColumnLength {op} (GX length expectations take one inclusive range)")
    return _one(_spec("ExpectColumnValueLengthsToBeBetween", where, column=column, **bounds), expected)


def _fresh(column: str, op: str, operands: list[object], now: dt.datetime, where: str | None) -> Translation:
    """An age condition as a timestamp range: ``age <= d`` is ``value >= now - d``."""
    ages = [o for o in operands if isinstance(o, dt.timedelta)]
    if len(ages) != len(operands) or op not in (">", ">=", "<", "<=", "between"):
        raise unsupported(f"DataFreshness {op}")
    flipped = {">": "<", ">=": "<=", "<": ">", "<=": ">="}
    if op == "between":
        return _between(column, op, [now - ages[1], now - ages[0]], where)
    return _between(column, flipped[op], [now - ages[0]], where)


def _batch_sql(statement: str) -> str:
    import re

    return re.sub(r"(?<![\w.])primary(?![\w])", "{batch}", statement, flags=re.IGNORECASE)


def docs_dir(ctx: SluiceContext | None = None) -> Path:
    """Where GX Data Docs are written: ``$SLUICE_HOME/dq/docs``."""
    return SluiceContext.resolve(ctx).settings.home / "dq" / "docs"


class GXBackend:
    """Measures plan requests by running Great Expectations 1.x on a Spark DataFrame."""

    name = "gx"

    def __init__(
        self,
        df: DataFrame,
        references: Mapping[str, DataFrame] | None = None,
        suite_name: str | None = None,
        *,
        ctx: SluiceContext | None = None,
    ) -> None:
        self.ctx = ctx
        self.docs = docs_dir(ctx)
        self.df = df
        self.references = dict(references or {})
        self.suite_name = suite_name or "sluice"
        self.docs_index: Path | None = None

    def schema(self) -> dict[str, str]:
        """The dataset's schema."""
        return spark_schema(self.df)

    def measure(self, requests: Sequence[Request], now: dt.datetime) -> dict[Request, object]:
        """Translate every request, run all expectations in one checkpoint, then read the values back."""
        out: dict[Request, object] = {}
        plans: dict[Request, Translation] = {}
        for request in requests:
            try:
                if isinstance(request, Files):  # file facts are no data: listed as every engine lists them
                    out[request] = file_facts(request, self.ctx)
                else:
                    plans[request] = translate(request, now)
            except RuleError as exc:
                out[request] = exc
        specs = list(dict.fromkeys(s for t in plans.values() for s in t.specs))
        results = self._run(specs) if specs else {}
        for request, plan in plans.items():
            got = [results[s] for s in plan.specs]
            failed = next((r for r in got if isinstance(r, RuleError)), None)
            if failed is not None:
                out[request] = failed
                continue
            try:
                value = plan.combine(got)  # type: ignore[arg-type]
            except (KeyError, TypeError) as exc:
                value = RuleError(f"Great Expectations returned no {exc} for {request}")
            out[request] = None if isinstance(value, float) and math.isnan(value) else value
        return out

    def _run(self, specs: list[Spec]) -> dict[Spec, dict[str, Any] | RuleError]:
        import great_expectations as gx
        import great_expectations.expectations as gxe
        from great_expectations.data_context.types.base import ProgressBarsConfig

        context = gx.get_context(mode="ephemeral")
        context.variables.progress_bars = ProgressBarsConfig(globally=False)
        site = {
            "class_name": "SiteBuilder",
            "store_backend": {"class_name": "TupleFilesystemStoreBackend", "base_directory": str(self.docs)},
            "site_index_builder": {"class_name": "DefaultSiteIndexBuilder"},
        }
        context.add_data_docs_site(site_name="sluice", site_config=site)
        batch = context.data_sources.add_spark(name="sluice").add_dataframe_asset(name="primary")
        suite = context.suites.add(gx.ExpectationSuite(name=self.suite_name))
        with warnings.catch_warnings():  # string row conditions are deprecated but still GX's Spark SQL filter
            warnings.simplefilter("ignore", DeprecationWarning)
            for index, spec in enumerate(specs):
                extra = {"row_condition": spec.where, "condition_parser": "spark"} if spec.where else {}
                args = {k: list(v) if isinstance(v, tuple) else v for k, v in spec.args}
                suite.add_expectation(getattr(gxe, spec.kind)(**args, **extra, meta={"sluice": index}))
        definition = context.validation_definitions.add(
            gx.ValidationDefinition(
                name=self.suite_name, data=batch.add_batch_definition_whole_dataframe("all"), suite=suite
            )
        )
        checkpoint = context.checkpoints.add(
            gx.Checkpoint(
                name=self.suite_name,
                validation_definitions=[definition],
                actions=[gx.checkpoint.UpdateDataDocsAction(name="data_docs", site_names=["sluice"])],
                result_format={"result_format": "BASIC"},
            )
        )
        run = checkpoint.run(batch_parameters={"dataframe": self.df})
        self.docs_index = self.docs / "index.html"
        out: dict[Spec, dict[str, Any] | RuleError] = {}
        for validation in run.run_results.values():
            for item in validation.results:
                spec = specs[item.expectation_config.meta["sluice"]]
                message = _exception(item.exception_info or {})
                if message is not None:
                    out[spec] = RuleError(f"Great Expectations failed on {spec.kind}: {message}")
                else:
                    out[spec] = dict(item.result)
        return out


def _exception(info: dict[str, Any]) -> str | None:
    """The first exception message in a GX ``exception_info`` (flat, or keyed by metric)."""
    entries = [info] if "raised_exception" in info else [v for v in info.values() if isinstance(v, dict)]
    for entry in entries:
        if entry.get("raised_exception"):
            text = str(entry.get("exception_message") or "an exception").strip().splitlines()
            return text[0] if text else "an exception"
    return None
