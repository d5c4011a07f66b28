"""``EvaluateDataQuality``: a DQDL ruleset evaluated on a DynamicFrame inside a Glue job script.

``EvaluateDataQuality.apply(frame=…, ruleset=…, publishing_options=…)`` returns the rule outcomes (one row
per rule: ``Rule``, ``Outcome``, ``FailureReason``, ``EvaluatedMetrics``); ``EvaluateDataQuality().
process_rows(…)`` returns a DynamicFrameCollection of those (``ruleOutcomes``) and of the frame's rows with
Glue's row-level columns (``rowLevelOutcomes``: ``DataQualityRulesPass``, ``DataQualityRulesFail``,
``DataQualityRulesSkip``, ``DataQualityEvaluationResult``). Sluice's DQDL engine evaluates on Spark; with
``enableDataQualityResultsPublishing`` (the default) the result is stored with its job, run and
``dataQualityEvaluationContext``, where GetDataQualityResult and ListDataQualityResults (``Filter.JobName``)
find it, and dynamic rules compare with the earlier runs of the same job and context.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import Any

from awsglue.dynamicframe import DynamicFrame, DynamicFrameCollection
from awsglue.transforms import GlueTransform
from quality.dqdl import Ruleset, parse
from quality.engines import evaluate, row_outcomes
from quality.store import history, save_result
from sluice.context import SluiceContext
from sluice.errors import InvalidInputException

__all__ = ["EvaluateDataQuality"]

log = logging.getLogger(__name__)

DEFAULT_CONTEXT = "default_context"
"""``dataQualityEvaluationContext`` when the script names none (Glue's default)."""
OUTCOMES = {"PASS": "Passed", "FAIL": "Failed", "ERROR": "Failed"}
"""A rule result's ``Outcome``: a rule that could not be evaluated fails, with its error as the reason."""
RULE_OUTCOMES = "Rule string, Outcome string, FailureReason string, EvaluatedMetrics map<string, double>"


class EvaluateDataQuality(GlueTransform):
    """Glue Data Quality's transform (``awsgluedq.transforms.EvaluateDataQuality``)."""

    def __call__(
        self,
        frame: DynamicFrame,
        ruleset: str,
        publishing_options: Mapping[str, Any] | None = None,
        additional_options: Mapping[str, Any] | None = None,
        additional_data_sources: Mapping[str, DynamicFrame] | None = None,
        transformation_ctx: str = "",
        **_kwargs: Any,
    ) -> DynamicFrame:
        """The rule outcomes of ``ruleset`` on ``frame`` (``EvaluateDataQuality.apply``)."""
        return self._outcomes(_Evaluation(frame, ruleset, publishing_options, additional_data_sources))

    def process_rows(
        self,
        frame: DynamicFrame,
        ruleset: str,
        publishing_options: Mapping[str, Any] | None = None,
        additional_options: Mapping[str, Any] | None = None,
        additional_data_sources: Mapping[str, DynamicFrame] | None = None,
        transformation_ctx: str = "",
        **_kwargs: Any,
    ) -> DynamicFrameCollection:
        """``ruleOutcomes`` and ``rowLevelOutcomes`` of ``ruleset`` on ``frame``."""
        evaluation = _Evaluation(frame, ruleset, publishing_options, additional_data_sources)
        rows = row_outcomes(evaluation.df, evaluation.ruleset, references=evaluation.references)
        frames = {
            "ruleOutcomes": self._outcomes(evaluation),
            "rowLevelOutcomes": DynamicFrame(rows, frame.glue_ctx, "rowLevelOutcomes"),
        }
        return DynamicFrameCollection(frames, frame.glue_ctx)

    @staticmethod
    def _outcomes(evaluation: _Evaluation) -> DynamicFrame:
        rows = [
            (
                rule["Description"],
                OUTCOMES[rule["Result"]],
                None if rule["Result"] == "PASS" else rule.get("EvaluationMessage"),
                {name: float(value) for name, value in rule["EvaluatedMetrics"].items()},
            )
            for rule in evaluation.result["RuleResults"]
        ]
        df = evaluation.df.sparkSession.createDataFrame(rows, RULE_OUTCOMES)
        return DynamicFrame(df, evaluation.frame.glue_ctx, "ruleOutcomes")


class _Evaluation:
    """One evaluation of a ruleset on a frame: its Glue result document, stored when publishing is on."""

    def __init__(
        self,
        frame: DynamicFrame,
        ruleset: str,
        publishing: Mapping[str, Any] | None,
        sources: Mapping[str, DynamicFrame] | None,
    ) -> None:
        if not isinstance(frame, DynamicFrame):
            raise InvalidInputException(f"EvaluateDataQuality: frame is a {type(frame).__name__}, not a DynamicFrame.")
        if not isinstance(ruleset, str):
            raise InvalidInputException(f"EvaluateDataQuality: ruleset is a {type(ruleset).__name__}, not DQDL text.")
        options = dict(publishing or {})
        context = str(options.get("dataQualityEvaluationContext") or DEFAULT_CONTEXT)
        self.ruleset: Ruleset = parse(ruleset, source=f"ruleset of {context}")  # errors name its line and rule
        self.frame, self.df = frame, frame.toDF()
        self.references = {alias: source.toDF() for alias, source in (sources or {}).items()}
        glue = frame.glue_ctx
        ctx = SluiceContext.resolve(glue.ctx if glue is not None else None)
        run = glue._job if glue is not None else None
        job_name = run.job_name if run is not None else self.df.sparkSession.sparkContext.appName
        dataset = f"{job_name}:{context}"  # dynamic rules compare with this job's earlier runs of this context
        self.result = evaluate(
            self.ruleset,
            self.df,
            references=self.references,
            history=history(dataset, ctx=ctx),
            evaluation_context=context,
            ctx=ctx,
        )
        if options.get("resultsS3Prefix"):
            log.warning("resultsS3Prefix: Sluice stores the result as %s instead", self.result["ResultId"])
        if str(options.get("enableDataQualityResultsPublishing", True)).lower() != "false":
            save_result(
                self.result,
                dataset=dataset,
                engine="spark",
                ruleset=ruleset,
                job_run_id=run.run_id if run is not None else None,
                job_name=job_name,
                ctx=ctx,
            )
        rules = self.result["RuleResults"]
        passed = sum(rule["Result"] == "PASS" for rule in rules)
        log.info(
            "Data quality %s of %s: %d of %d rules passed (%s)",
            context,
            job_name,
            passed,
            len(rules),
            self.result["ResultId"],
        )
