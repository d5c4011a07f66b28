"""Glue's data-quality operations: rulesets and their evaluation runs (``quality.rulesets``), and results
(``quality.store``).

A ruleset is DQDL text, parsed when it is created or updated. StartDataQualityRulesetEvaluationRun records
the run STARTING and hands it to the context's launcher; :func:`run_evaluation` (not an operation) does the
work wherever the launcher runs it: each ruleset evaluated on the table by ``quality.gate.run_gate`` with
engine ``auto`` (in process below the size limits, Spark above), its result stored and linked to the run.
A run whose rules fail still SUCCEEDED, as in Glue.
``NumberOfWorkers``, ``Timeout``, ``Role`` and ``AdditionalRunOptions`` are stored and shown, not acted on.

A listed result carries Sluice's ``Score``, ``RulesetName``, ``RulesetEvaluationRunId``, ``CompletedOn`` and
rule counts besides Glue's members; a result of lake files (not a table) names them in ``Dataset``.
"""

from __future__ import annotations

import logging
from typing import Any

from catalog.store import Catalog
from quality import rulesets, store
from service.launching import launch
from sluice.context import SluiceContext
from sluice.errors import EntityNotFoundException, InvalidInputException, SluiceError
from sluice.launch import Work

__all__ = [
    "batch_get_data_quality_result",
    "cancel_data_quality_ruleset_evaluation_run",
    "create_data_quality_ruleset",
    "delete_data_quality_ruleset",
    "get_data_quality_result",
    "get_data_quality_ruleset",
    "get_data_quality_ruleset_evaluation_run",
    "list_data_quality_results",
    "list_data_quality_ruleset_evaluation_runs",
    "list_data_quality_rulesets",
    "start_data_quality_ruleset_evaluation_run",
    "update_data_quality_ruleset",
]

log = logging.getLogger("sluice.dq")

_PREDICATES = ("pushDownPredicate", "catalogPartitionPredicate")
"""GlueTable.AdditionalOptions Sluice applies: both prune the table's partitions in the catalog."""


def get_data_quality_result(ctx: SluiceContext | None, *, ResultId: str) -> dict[str, Any]:
    """Glue GetDataQualityResult: the score and every rule's outcome."""
    return store.get_result(ResultId, ctx=ctx)


def batch_get_data_quality_result(ctx: SluiceContext | None, *, ResultIds: list[str]) -> dict[str, Any]:
    """Glue BatchGetDataQualityResult: the results found, and the ids of those that are not (if any)."""
    found, missing = [], []
    for result_id in ResultIds:
        try:
            found.append(store.get_result(result_id, ctx=ctx))
        except EntityNotFoundException:
            missing.append(result_id)
    return {"Results": found, **({"ResultsNotFound": missing} if missing else {})}  # Glue's list is never empty


def list_data_quality_results(
    ctx: SluiceContext | None,
    *,
    Filter: dict[str, Any] | None = None,
    MaxResults: int = 50,
    dataset: str | None = None,
) -> dict[str, Any]:
    """Glue ListDataQualityResults, newest first; ``Filter`` (Glue's DataQualityResultFilterCriteria) may name a
    ``DataSource.GlueTable``, a ``JobName``, a ``JobRunId`` and ``StartedAfter``/``StartedBefore`` bounds.

    ``dataset`` (Sluice's, not a Glue member) selects the results of a ``database.table`` or of lake files
    by the name the results carry, which a Filter cannot express for files.
    """
    criteria = Filter or {}
    if "DataSource" in criteria:
        table = criteria["DataSource"].get("GlueTable")
        if not table or dataset:
            raise InvalidInputException("Filter.DataSource: Sluice filters results by a GlueTable only.")
        dataset = f"{table['DatabaseName']}.{table['TableName']}"
    after, before = (criteria.get(k) for k in ("StartedAfter", "StartedBefore"))
    results = store.list_results(
        dataset,
        MaxResults,
        job_name=criteria.get("JobName"),
        job_run_id=criteria.get("JobRunId"),
        started_after=None if after is None else rulesets.moment(after, "Filter.StartedAfter"),
        started_before=None if before is None else rulesets.moment(before, "Filter.StartedBefore"),
        ctx=ctx,
    )
    return {"Results": results}


# rulesets ---------------------------------------------------------------------------------------


def create_data_quality_ruleset(
    ctx: SluiceContext | None,
    *,
    Name: str,
    Ruleset: str,
    Description: str | None = None,
    Tags: dict[str, str] | None = None,
    TargetTable: dict[str, str] | None = None,
    DataQualitySecurityConfiguration: str | None = None,
    ClientToken: str | None = None,
) -> dict[str, Any]:
    """Glue CreateDataQualityRuleset: the DQDL is parsed first (InvalidInputException naming the line, column
    and rule); AlreadyExistsException for a taken name, unless retried with the same ``ClientToken``."""
    rulesets.create_ruleset(
        Name,
        Ruleset,
        description=Description,
        target_table=TargetTable,
        tags=Tags,
        security_configuration=DataQualitySecurityConfiguration,
        client_token=ClientToken,
        ctx=ctx,
    )
    return {"Name": Name}


def get_data_quality_ruleset(ctx: SluiceContext | None, *, Name: str) -> dict[str, Any]:
    """Glue GetDataQualityRuleset."""
    return rulesets.get_ruleset(Name, ctx=ctx)


def update_data_quality_ruleset(
    ctx: SluiceContext | None, *, Name: str, Description: str | None = None, Ruleset: str | None = None
) -> dict[str, Any]:
    """Glue UpdateDataQualityRuleset: the members given replace the stored ones (a new Ruleset is parsed)."""
    updated = rulesets.update_ruleset(Name, description=Description, text=Ruleset, ctx=ctx)
    return {k: updated[k] for k in ("Name", "Description", "Ruleset") if k in updated}


def delete_data_quality_ruleset(ctx: SluiceContext | None, *, Name: str) -> dict[str, Any]:
    """Glue DeleteDataQualityRuleset: EntityNotFoundException when there is none. Its results stay."""
    rulesets.delete_ruleset(Name, ctx=ctx)
    return {}


def list_data_quality_rulesets(
    ctx: SluiceContext | None,
    *,
    NextToken: str | None = None,
    MaxResults: int = 100,
    Filter: dict[str, Any] | None = None,
    Tags: dict[str, str] | None = None,
) -> dict[str, Any]:
    """Glue ListDataQualityRulesets, by name, one page of ``MaxResults``; ``NextToken`` is the name the page
    ends at. ``Filter``'s Name and Description match exactly; ``Tags`` selects rulesets carrying them all."""
    page, token = rulesets.list_rulesets(Filter, Tags, limit=MaxResults, after=NextToken, ctx=ctx)
    return {"Rulesets": page, **({"NextToken": token} if token else {})}


# evaluation runs --------------------------------------------------------------------------------


def _glue_table(member: str, source: dict[str, Any], *, options: bool) -> tuple[dict[str, Any], str | None]:
    """The catalog table of a DataSource (GlueTable, or DataQualityGlueTable without a PreProcessingQuery) and
    its partition predicate from AdditionalOptions (refused unless ``options``); InvalidInputException naming
    the member Sluice cannot honour."""
    kinds = [k for k in ("GlueTable", "DataQualityGlueTable") if source.get(k)]
    if len(kinds) != 1:
        raise InvalidInputException(f"{member}: give one GlueTable (Sluice evaluates catalog tables).")
    table = source[kinds[0]]
    where = f"{member}.{kinds[0]}"
    for name in ("ConnectionName", "PreProcessingQuery"):
        if table.get(name):
            raise InvalidInputException(f"{where}.{name}: Sluice does not support it.")
    extra = table.get("AdditionalOptions") or {}
    unknown = sorted(set(extra) - set(_PREDICATES)) if options else sorted(extra)
    if unknown:
        supported = f"it applies {' and '.join(_PREDICATES)}" if options else "it takes none here"
        raise InvalidInputException(
            f"{where}.AdditionalOptions: Sluice does not support {', '.join(unknown)}; {supported}."
        )
    predicates = [f"({extra[k]})" for k in _PREDICATES if extra.get(k)]
    return table, " AND ".join(predicates) or None


def start_data_quality_ruleset_evaluation_run(
    ctx: SluiceContext | None,
    *,
    DataSource: dict[str, Any],
    Role: str,
    RulesetNames: list[str],
    NumberOfWorkers: int | None = None,
    Timeout: int | None = None,
    ClientToken: str | None = None,
    AdditionalRunOptions: dict[str, Any] | None = None,
    AdditionalDataSources: dict[str, dict[str, Any]] | None = None,
) -> dict[str, Any]:
    """Glue StartDataQualityRulesetEvaluationRun: checks the rulesets and tables exist, records the run
    STARTING and hands it to the launcher; returns at once (the same run again for a repeated ``ClientToken``).

    ``AdditionalDataSources`` name the tables of reference rules by alias; ``NumberOfWorkers`` defaults to 5
    and ``Timeout`` to 2880 minutes, as in Glue. A launcher that cannot start the run ends it FAILED.
    """
    ctx = SluiceContext.resolve(ctx)
    table, _ = _glue_table("DataSource", DataSource, options=True)
    references = {
        alias: _glue_table(f"AdditionalDataSources.{alias}", source, options=False)[0]
        for alias, source in (AdditionalDataSources or {}).items()
    }
    rulesets.ruleset_texts(RulesetNames, ctx=ctx)
    catalog = Catalog(ctx)
    for each in (table, *references.values()):
        catalog.get_table(each["DatabaseName"], each["TableName"])
    run_id, new = rulesets.record_run(
        dataset=f"{table['DatabaseName']}.{table['TableName']}",
        data_source=DataSource,
        role=Role,
        ruleset_names=RulesetNames,
        number_of_workers=5 if NumberOfWorkers is None else NumberOfWorkers,
        timeout=2880 if Timeout is None else Timeout,
        additional_run_options=AdditionalRunOptions,
        additional_data_sources=AdditionalDataSources,
        client_token=ClientToken,
        ctx=ctx,
    )
    if not new:  # a repeated ClientToken: that run is launched already
        return {"RunId": run_id}

    def failed(message: str) -> None:
        rulesets.move_run(run_id, ("STARTING",), "FAILED", error_string=message, ctx=ctx)

    launch(ctx, Work("quality", run_id, ",".join(RulesetNames), ctx.caller), failed)
    return {"RunId": run_id}


def run_evaluation(ctx: SluiceContext | None, run_id: str) -> str:
    """Carry out a recorded evaluation run; returns its final Status.

    The run is taken STARTING → RUNNING (a run cancelled meanwhile is left alone), then each ruleset is
    evaluated on the data source and its result stored with the ruleset's name and this run's id. The run
    ends SUCCEEDED whatever the rules' outcomes, FAILED with the error when an evaluation raises, or STOPPED
    when it was cancelled while running. The run is this process's lease while it runs: a run whose process
    is killed is reported FAILED (``quality.rulesets``).
    """
    ctx = SluiceContext.resolve(ctx)
    owner = rulesets.take_run(run_id, ctx=ctx)
    if owner is None:
        return str(rulesets.get_run(run_id, ctx=ctx)["Status"])
    with rulesets.renewer(run_id, owner, ctx=ctx):
        return _evaluate(ctx, run_id)


def _evaluate(ctx: SluiceContext, run_id: str) -> str:
    """Evaluate each ruleset of a run this process holds, and end it."""
    from quality.gate import run_gate

    run = rulesets.get_run(run_id, ctx=ctx)
    result_ids: list[str] = []
    try:
        table, predicate = _glue_table("DataSource", run["DataSource"], options=True)
        references = {
            alias: "{DatabaseName}.{TableName}".format(**_glue_table(alias, source, options=False)[0])
            for alias, source in run.get("AdditionalDataSources", {}).items()
        }
        texts = rulesets.ruleset_texts(run["RulesetNames"], ctx=ctx)
        for name in run["RulesetNames"]:
            if rulesets.get_run(run_id, ctx=ctx)["Status"] != "RUNNING":  # cancelled: STOPPING
                break
            result = run_gate(
                ruleset=texts[name],
                database=table["DatabaseName"],
                table=table["TableName"],
                engine="auto",
                action="warn",
                push_down_predicate=predicate,
                references=references,
                ctx=ctx,
            )
            store.link_result(result["ResultId"], ruleset_name=name, evaluation_run_id=run_id, ctx=ctx)
            result_ids.append(result["ResultId"])
    except Exception as exc:
        log.exception("Data quality ruleset evaluation run %s failed", run_id)
        error = exc.message if isinstance(exc, SluiceError) else f"{type(exc).__name__}: {exc}"
        return rulesets.finish_run(run_id, "FAILED", result_ids, error, ctx=ctx)
    return rulesets.finish_run(run_id, "SUCCEEDED", result_ids, ctx=ctx)


def get_data_quality_ruleset_evaluation_run(ctx: SluiceContext | None, *, RunId: str) -> dict[str, Any]:
    """Glue GetDataQualityRulesetEvaluationRun."""
    return rulesets.get_run(RunId, ctx=ctx)


def list_data_quality_ruleset_evaluation_runs(
    ctx: SluiceContext | None,
    *,
    Filter: dict[str, Any] | None = None,
    NextToken: str | None = None,
    MaxResults: int = 100,
) -> dict[str, Any]:
    """Glue ListDataQualityRulesetEvaluationRuns, newest first, one page of ``MaxResults``; ``NextToken`` is
    the id of the run the page ends at. ``Filter`` selects the runs of its DataSource table."""
    dataset = None
    if Filter:
        table, _ = _glue_table("Filter.DataSource", Filter["DataSource"], options=True)
        dataset = f"{table['DatabaseName']}.{table['TableName']}"
    page, token = rulesets.list_runs(Filter, dataset=dataset, limit=MaxResults, after=NextToken, ctx=ctx)
    return {"Runs": page, **({"NextToken": token} if token else {})}


def cancel_data_quality_ruleset_evaluation_run(ctx: SluiceContext | None, *, RunId: str) -> dict[str, Any]:
    """Glue CancelDataQualityRulesetEvaluationRun: a run not yet running is STOPPED at once; a running one is
    STOPPING until the ruleset it evaluates is done, then STOPPED. InvalidInputException for a run that ended."""
    rulesets.cancel_run(RunId, ctx=ctx)
    return {}
