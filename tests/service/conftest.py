"""Service-layer fixtures: an explicit context of its own, and ``glue(op, request)``, which calls an operation
through ``service.invoke`` and checks its response against botocore's output shape of that operation."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from botocore.validate import ParamValidator

from service import invoke
from service.model import operation_model
from sluice.context import SluiceContext
from sluice.settings import Settings

#: Members Sluice adds to Glue's shapes (shape name -> members); any other unknown member fails the check.
SLUICE_EXTRAS: dict[str, set[str]] = {
    "CrawlerHistory": {"CrawlerName", "Status", "Metrics", "Errors", "Log"},
    "JobRun": {"Metrics"},
    "DataQualityResultDescription": {
        "Score",
        "RulesetName",
        "RulesetEvaluationRunId",
        "CompletedOn",
        "RulesPassed",
        "RulesTotal",
        "Dataset",
    },
    "GetDataQualityResultResponse": {"Dataset"},
}


class OutputValidator(ParamValidator):
    """botocore's validator, run on a response: Sluice's documented extras are allowed, nothing else."""

    def _validate_structure(self, params: Any, shape: Any, errors: Any, name: str) -> None:
        extras = SLUICE_EXTRAS.get(shape.name, set())
        if isinstance(params, dict) and extras:
            params = {k: v for k, v in params.items() if k not in extras}
        super()._validate_structure(params, shape, errors, name)


def check_response(operation: str, response: dict[str, Any]) -> None:
    """Fail when ``response`` does not fit the operation's output shape (types, required members, names)."""
    report = OutputValidator().validate(response, operation_model(operation).output_shape)
    assert not report.has_errors(), f"{operation} response: {report.generate_report()}"


@pytest.fixture
def ctx(tmp_path: Path) -> SluiceContext:
    """A context of its own home, not the test's SLUICE_HOME: nothing may fall back to the environment."""
    return SluiceContext(Settings(home=tmp_path / "explicit"))


Glue = Callable[[str, dict[str, Any]], dict[str, Any]]


@pytest.fixture
def glue(ctx: SluiceContext) -> Glue:
    def call(operation: str, request: dict[str, Any]) -> dict[str, Any]:
        response = invoke(ctx, operation, request)
        check_response(operation, response)
        return response

    return call
