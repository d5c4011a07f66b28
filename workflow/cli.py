"""``sluice workflow validate FILE``: check workflow YAML files with the validator the DAG factory uses."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from sluice.console import console, err_console, print_json

if TYPE_CHECKING:
    from workflow.language import Problem, Workflow

app = typer.Typer(help="Declarative workflows (dags/workflows/*.yaml).", no_args_is_help=True)


@app.callback()
def workflow() -> None:
    """Declarative workflows: YAML files the workflow_factory DAG file turns into DAGs."""


@app.command("validate")
def validate(
    files: Annotated[list[Path], typer.Argument(help="Workflow YAML files, or folders of them.")],
    json_: Annotated[bool, typer.Option("--json", help="Print {Workflows, Problems} as JSON.")] = False,
) -> None:
    """Validate workflow files: each problem prints as FILE:LINE: where: problem, and the exit code is 2."""
    from workflow.language import WorkflowError, load_workflow, load_workflows

    valid: list[Workflow] = []
    problems: list[Problem] = []
    for path in files:
        try:
            valid += load_workflows(path) if path.is_dir() else [load_workflow(path)]
        except WorkflowError as exc:
            problems += exc.problems
    if json_:
        print_json(
            {
                "Workflows": [{"Name": w.name, "Path": str(w.path), "Steps": list(w.steps)} for w in valid],
                "Problems": [
                    {"Path": p.path, "Line": p.line, "Where": p.where, "Message": p.message} for p in problems
                ],
            }
        )
    else:
        for item in valid:
            console.print(
                f"{item.path}: workflow [bold]{item.name}[/] is valid ({len(item.steps)} steps)", soft_wrap=True
            )
        for problem in problems:
            err_console.print(str(problem), style="red", soft_wrap=True, markup=False, highlight=False)
    if problems:
        raise typer.Exit(2)
