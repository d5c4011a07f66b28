"""Data-quality gates for operators and jobs: evaluate, store, then fail the run, warn, or quarantine.

    result = run_gate(database="curated", table="flights", ruleset="flights.dqdl", action="quarantine")
    result, good = check_dataframe(df, ruleset, dataset="curated.flights", action="quarantine")

Quarantine writes the rows failing any row-level rule to ``<lake>/_quarantine/dq/<dataset>/<result_id>/``
(Parquet, with Glue's row-level outcome columns) and lets the passing rows continue. Whatever the action,
a score below ``min_score`` raises :class:`DataQualityFailed`.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

from quality.dqdl import Ruleset
from quality.engines import evaluate, load_ruleset, row_outcomes
from quality.engines.plan import reference_aliases
from quality.results import failed_rules, glue_table
from quality.store import history, save_result
from sluice.context import SluiceContext
from sluice.errors import InvalidInputException, SluiceError
from sluice.lake.paths import join, resolve, to_spark_uri

if TYPE_CHECKING:
    from pyspark.sql import DataFrame, SparkSession

ACTIONS = ("fail", "warn", "quarantine")
log = logging.getLogger("sluice.dq")


class DataQualityFailed(SluiceError):
    """A gate stopped the run: a rule failed under action ``fail``, or the score is below ``min_score``."""


def _describe(ruleset: str | Path | Ruleset) -> tuple[str | None, str]:
    if isinstance(ruleset, Ruleset):
        return None, str(ruleset)
    text = str(ruleset)
    path = Path(text).expanduser()
    if "\n" not in text and "[" not in text and path.is_file():
        return path.stem, path.read_text(encoding="utf-8")
    return None, text


def read_table(
    spark: SparkSession,
    database: str,
    table: str,
    push_down_predicate: str | None = None,
    *,
    ctx: SluiceContext | None = None,
) -> DataFrame:
    """A catalog table as a DataFrame (partitions pruned in the catalog), without the corrupt-record column."""
    from sparkio.read import CORRUPT, catalog_files, read_files

    source = catalog_files(database, table, push_down_predicate, ctx=ctx)
    df = read_files(spark, source, source.files, ctx=ctx)
    return df.drop(CORRUPT) if CORRUPT in df.columns else df


def reference_frames(
    spark: SparkSession,
    ruleset: Ruleset,
    database: str,
    references: Mapping[str, str] | None = None,
    *,
    ctx: SluiceContext | None = None,
) -> dict[str, DataFrame]:
    """DataFrames for the ruleset's reference aliases: ``db.table`` aliases name a table, bare ones a table of
    ``database``; ``references`` maps aliases to ``db.table`` explicitly."""
    explicit = dict(references or {})
    frames = {}
    for alias in reference_aliases(ruleset) | set(explicit):
        target = explicit.get(alias, alias)
        db, _, table = target.rpartition(".")
        frames[alias] = read_table(spark, db or database, table, ctx=ctx)
    return frames


def check_dataframe(
    df: DataFrame,
    ruleset: str | Path | Ruleset,
    *,
    dataset: str,
    engine: str = "spark",
    action: str = "fail",
    min_score: float | None = None,
    references: Mapping[str, DataFrame] | None = None,
    data_source: dict[str, Any] | None = None,
    job_run_id: str | None = None,
    ctx: SluiceContext | None = None,
) -> tuple[dict[str, Any], DataFrame]:
    """Evaluate ``df``, store the result under ``dataset``, apply ``action``; returns the result and the rows
    that continue (all rows, or the passing ones after a quarantine)."""
    ctx = SluiceContext.resolve(ctx)
    if action not in ACTIONS:
        raise InvalidInputException(f"action must be one of {', '.join(ACTIONS)}, got {action!r}.")
    name, text = _describe(ruleset)
    parsed = load_ruleset(ruleset)
    result = evaluate(
        parsed,
        df,
        engine=engine,
        references=references,
        history=history(dataset, ctx=ctx),
        ruleset_name=name,
        data_source=data_source,
        ctx=ctx,
    )
    save_result(result, dataset=dataset, engine=engine, ruleset=text, job_run_id=job_run_id, ctx=ctx)
    passing = df
    if action == "quarantine" and failed_rules(result):
        passing = quarantine(df, parsed, result, dataset, references, ctx=ctx)
    enforce(result, action, min_score)
    return result, passing


def quarantine(
    df: DataFrame,
    ruleset: Ruleset,
    result: dict[str, Any],
    dataset: str,
    references: Mapping[str, DataFrame] | None = None,
    *,
    ctx: SluiceContext | None = None,
) -> DataFrame:
    """Write the rows failing a row-level rule under the quarantine prefix; returns the passing rows."""
    from pyspark.sql import functions as F

    from quality.engines.spark import ROW_COLUMNS

    outcomes = row_outcomes(df, ruleset, references=references).cache()
    failed = outcomes.where(F.col(ROW_COLUMNS[3]) == "Failed")
    lake_root = SluiceContext.resolve(ctx).settings.lake
    target = join(lake_root, "_quarantine", "dq", *dataset.split("."), result["ResultId"])
    count = failed.count()
    if count:
        failed.write.mode("overwrite").parquet(to_spark_uri(target))
        result["Quarantine"] = {"Path": target, "Rows": count}
        log.warning("Quarantined %d row(s) of %s to %s", count, dataset, target)
    return outcomes.where(F.col(ROW_COLUMNS[3]) == "Passed").drop(*ROW_COLUMNS)


def enforce(result: dict[str, Any], action: str, min_score: float | None) -> None:
    """Raise :class:`DataQualityFailed` when the gate must stop the run; log a warning otherwise."""
    failed = failed_rules(result)
    names = "; ".join(f"{r['Name']} {r['Description']} → {r['Result']}" for r in failed)
    if min_score is not None and result["Score"] < min_score:
        raise DataQualityFailed(
            f"Data quality score {result['Score']:.3f} is below min_score {min_score} ({names}).",
            hint=f"Inspect it with `sluice dq get-result --result-id {result['ResultId']}`.",
        )
    if failed and action == "fail":
        raise DataQualityFailed(
            f"{len(failed)} data quality rule(s) did not pass: {names}.",
            hint=f"Inspect it with `sluice dq get-result --result-id {result['ResultId']}`.",
        )
    if failed:
        log.warning("Data quality: %d rule(s) did not pass (%s): %s", len(failed), action, names)


def read_path(spark: SparkSession, path: str, fmt: str, *, ctx: SluiceContext | None = None) -> DataFrame:
    """Files under ``path`` (relative paths are under the lake root); CSV has a header and inferred types."""
    from sparkio.read import CORRUPT, path_files, read_files

    options = {"header": "true", "inferSchema": "true"} if fmt == "csv" else {}
    source = path_files(fmt, [resolve(path, ctx=ctx)], None, options, ctx=ctx)
    if not source.files:
        raise InvalidInputException(f"No data files under {path!r}.", hint="Check the path and --format.")
    df = read_files(spark, source, source.files, ctx=ctx)
    return df.drop(CORRUPT) if CORRUPT in df.columns else df


def run_gate(
    *,
    ruleset: str,
    database: str | None = None,
    table: str | None = None,
    path: str | None = None,
    format: str | None = None,
    engine: str = "spark",
    action: str = "fail",
    min_score: float | None = None,
    push_down_predicate: str | None = None,
    references: Mapping[str, str] | None = None,
    ctx: SluiceContext | None = None,
) -> dict[str, Any]:
    """Evaluate ``ruleset`` (a DQDL file or inline text) on a catalog table, or on files under ``path`` in
    ``format``, store the result and apply ``action``.

    Returns the Glue result; raises :class:`DataQualityFailed` when ``action`` is ``fail`` and a rule did not
    pass, or when the score is below ``min_score`` whatever the action.
    """
    from sparkio.session import get_spark

    ctx = SluiceContext.resolve(ctx)
    by_table = database is not None or table is not None
    if by_table == (path is not None) or (by_table and not (database and table)):
        raise InvalidInputException(
            "Give either a catalog table (database and table) or a path and a format.",
            hint="e.g. --database-name curated --table-name flights, or --path curated/flights --format parquet.",
        )
    spark = get_spark("sluice-dq", ctx=ctx)
    if path is not None:
        df, dataset, source = read_path(spark, path, format or "parquet", ctx=ctx), path, None
    else:
        assert database is not None and table is not None
        df, dataset = read_table(spark, database, table, push_down_predicate, ctx=ctx), f"{database}.{table}"
        source = glue_table(database, table)
    frames = reference_frames(spark, load_ruleset(ruleset), database or "default", references, ctx=ctx)
    result, _ = check_dataframe(
        df,
        ruleset,
        dataset=dataset,
        engine=engine,
        action=action,
        min_score=min_score,
        references=frames,
        data_source=source,
        ctx=ctx,
    )
    return result
