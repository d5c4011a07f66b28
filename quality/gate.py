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

    from quality.engines.auto import Choice
    from sparkio.read import SourceFiles

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
    from sparkio.read import catalog_files

    return spark_frame(spark, catalog_files(database, table, push_down_predicate, ctx=ctx), ctx=ctx)


def spark_frame(spark: SparkSession, source: SourceFiles, *, ctx: SluiceContext | None = None) -> DataFrame:
    """``source``'s files read by Spark, without the corrupt-record column."""
    from sparkio.read import CORRUPT, read_files

    df = read_files(spark, source, source.files, ctx=ctx)
    return df.drop(CORRUPT) if CORRUPT in df.columns else df


def reference_sources(
    ruleset: Ruleset,
    database: str,
    references: Mapping[str, str] | None = None,
    *,
    ctx: SluiceContext | None = None,
) -> dict[str, SourceFiles]:
    """The files of the ruleset's reference aliases: ``db.table`` aliases name a table, bare ones a table of
    ``database``; ``references`` maps aliases to ``db.table`` explicitly."""
    from sparkio.read import catalog_files

    explicit = dict(references or {})
    sources = {}
    for alias in reference_aliases(ruleset) | set(explicit):
        db, _, table = explicit.get(alias, alias).rpartition(".")
        sources[alias] = catalog_files(db or database, table, ctx=ctx)
    return sources


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
    engine_choice: dict[str, object] | None = None,
) -> tuple[dict[str, Any], DataFrame]:
    """Evaluate ``df``, store the result under ``dataset``, apply ``action``; returns the result and the rows
    that continue (all rows, or the passing ones after a quarantine). ``engine_choice`` becomes the result's
    ``Engine`` member."""
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
    if engine_choice is not None:
        result["Engine"] = engine_choice
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


def path_source(path: str, fmt: str, *, ctx: SluiceContext | None = None) -> SourceFiles:
    """Files under ``path`` (relative paths are under the lake root); CSV has a header and inferred types."""
    from sparkio.read import path_files

    options = {"header": "true", "inferSchema": "true"} if fmt == "csv" else {}
    source = path_files(fmt, [resolve(path, ctx=ctx)], None, options, ctx=ctx)
    if not source.files:
        raise InvalidInputException(f"No data files under {path!r}.", hint="Check the path and --format.")
    return source


def pick_engine(
    engine: str,
    sources: list[SourceFiles],
    parameters: Mapping[str, str] | None,
    *,
    whole_table: bool,
    action: str,
    max_rows: int | None = None,
    max_bytes: int | None = None,
    ctx: SluiceContext,
) -> Choice:
    """The engine for ``engine`` (``auto`` decides by size: :mod:`quality.engines.auto`) and why."""
    from quality.engines.auto import Choice, choose, combine, source_size

    if engine == "duckdb" and action == "quarantine":
        raise InvalidInputException(
            "Quarantine writes the failing rows with Spark; the duckdb engine cannot.", hint="Use engine spark or auto."
        )
    if engine != "auto":
        return Choice(engine, f"engine {engine} was asked for")
    if action == "quarantine":
        return Choice("spark", "quarantine writes the failing rows with Spark")
    sizes = [source_size(sources[0], parameters, whole_table=whole_table, ctx=ctx)]
    sizes += [source_size(s, ctx=ctx) for s in sources[1:]]
    settings = ctx.settings
    return choose(
        combine(sizes),
        max_rows=settings.dq_inprocess_max_rows if max_rows is None else max_rows,
        max_bytes=settings.dq_inprocess_max_bytes if max_bytes is None else max_bytes,
    )


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
    max_rows: int | None = None,
    max_bytes: int | None = None,
    ctx: SluiceContext | None = None,
) -> dict[str, Any]:
    """Evaluate ``ruleset`` (a DQDL file or inline text) on a catalog table, or on files under ``path`` in
    ``format``, store the result and apply ``action``.

    ``engine="auto"`` reads in process (DuckDB, no JVM) up to ``max_rows``/``max_bytes`` (the settings
    ``dq_inprocess_max_rows``/``dq_inprocess_max_bytes`` by default) and with Spark above. The result's
    ``Engine`` member (Sluice's) names the engine and why it was picked.

    Returns the Glue result; raises :class:`DataQualityFailed` when ``action`` is ``fail`` and a rule did not
    pass, or when the score is below ``min_score`` whatever the action.
    """
    from sparkio.read import catalog_files

    ctx = SluiceContext.resolve(ctx)
    by_table = database is not None or table is not None
    if by_table == (path is not None) or (by_table and not (database and table)):
        raise InvalidInputException(
            "Give either a catalog table (database and table) or a path and a format.",
            hint="e.g. --database-name curated --table-name flights, or --path curated/flights --format parquet.",
        )
    parsed = load_ruleset(ruleset)
    parameters = None
    if path is not None:
        primary, dataset, source = path_source(path, format or "parquet", ctx=ctx), path, None
    else:
        assert database is not None and table is not None
        primary, dataset = catalog_files(database, table, push_down_predicate, ctx=ctx), f"{database}.{table}"
        source = glue_table(database, table)
        if engine == "auto":
            from catalog import Catalog

            parameters = Catalog(ctx).get_table(database, table).get("Parameters", {})
    others = reference_sources(parsed, database or "default", references, ctx=ctx)
    choice = pick_engine(
        engine,
        [primary, *others.values()],
        parameters,
        whole_table=not push_down_predicate,
        action=action,
        max_rows=max_rows,
        max_bytes=max_bytes,
        ctx=ctx,
    )
    if choice.engine == "duckdb":
        from quality.engines.scan import scan_files

        data: Any = scan_files(primary, ctx=ctx)
        frames: dict[str, Any] = {alias: scan_files(s, ctx=ctx) for alias, s in others.items()}
    else:
        from sparkio.session import get_spark

        spark = get_spark("sluice-dq", ctx=ctx)
        data = spark_frame(spark, primary, ctx=ctx)
        frames = {alias: spark_frame(spark, s, ctx=ctx) for alias, s in others.items()}
    log.info("Data quality on %s with %s: %s", dataset, choice.engine, choice.reason)
    result, _ = check_dataframe(
        data,
        ruleset,
        dataset=dataset,
        engine=choice.engine,
        action=action,
        min_score=min_score,
        references=frames,
        data_source=source,
        ctx=ctx,
        engine_choice=choice.describe(),
    )
    return result
