"""``sluice stepfunctions …``: validate and run Amazon States Language definitions in process, as the
``aws stepfunctions`` verbs of the same names do (no Airflow: for tests and laptops).

``--definition`` and ``--input`` take JSON text or a file (``file://`` as the AWS CLI takes it, or a bare
path). Task resources run through :class:`stepfunctions.integrations.Integrations`: Glue through Sluice's
service layer on the environment's context, Lambda functions through ``--lambda-registry``, nested
executions of the ``--state-machine NAME=FILE`` definitions.
"""

from __future__ import annotations

import json
import math
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from sluice.console import console, err_console, friendly_errors, print_json, print_table

if TYPE_CHECKING:
    from stepfunctions.integrations import Integrations

app = typer.Typer(
    help="Validate and run Amazon States Language state machines in process (mirrors `aws stepfunctions`).",
    no_args_is_help=True,
)

DefinitionOpt = Annotated[
    str, typer.Option("--definition", help="The state machine's ASL: JSON text, a file, or file://FILE.")
]
JsonOpt = Annotated[bool, typer.Option("--json", help="Print Step Functions' JSON response shape.")]


def _text(option: str, value: str) -> tuple[str, Path | None]:
    """The JSON text an option gives, and the file it came from (None for inline JSON)."""
    from sluice.errors import InvalidInputException

    stripped = value.strip()
    if stripped.startswith(("{", "[", '"')) or stripped in ("null", "true", "false") or _is_number(stripped):
        return value, None
    path = Path(value.removeprefix("file://")).expanduser()
    try:
        return path.read_text(), path
    except OSError as exc:
        raise InvalidInputException(f"{option}: {value!r} is neither JSON nor a readable file ({exc}).") from None


def _is_number(text: str) -> bool:
    try:
        float(text)
    except ValueError:
        return False
    return True


def _machine_name(path: Path | None) -> str:
    """A state machine's name: its file's name up to the first dot (``flow.asl.json`` → ``flow``)."""
    return path.name.split(".", 1)[0] if path is not None else "StateMachine"


def _integrations(lambda_registry: Path | None, state_machines: list[str], clock: Any = None) -> Integrations:
    """The task runner on the environment's context: the registry's functions, the named definitions, and
    ``clock`` (the system's when None) for nested executions; ``.sync`` jobs poll in real time."""
    from sluice.context import SluiceContext
    from sluice.errors import InvalidInputException
    from stepfunctions.integrations import Integrations, load_registry
    from stepfunctions.runtime import SystemClock

    machines: dict[str, str] = {}
    for entry in state_machines:
        name, sep, file = entry.partition("=")
        if not sep or not name or not file:
            raise InvalidInputException(f"--state-machine: {entry!r} is not NAME=FILE.")
        machines[name] = _text("--state-machine", file)[0]
    functions = load_registry(lambda_registry) if lambda_registry is not None else {}
    return Integrations(
        SluiceContext.from_env(),
        clock=clock or SystemClock(),
        functions=functions,
        state_machines=machines,
        poll_clock=SystemClock(),
    )


@app.command("validate-state-machine-definition")
@friendly_errors
def validate_state_machine_definition(definition: DefinitionOpt, json_: JsonOpt = False) -> None:
    """Validate a definition as ValidateStateMachineDefinition does (its Task resources included); exit 0
    when the result is OK, 1 when it is FAIL."""
    from stepfunctions.definition import validate

    text, _ = _text("--definition", definition)
    response = validate(text, check_resource=_integrations(None, []).check_resource)
    if json_:
        print_json(response)
    elif response["diagnostics"]:
        rows = [(d["severity"], d["code"], d.get("location", ""), d["message"]) for d in response["diagnostics"]]
        print_table(f"Definition: {response['result']}", ["Severity", "Code", "Location", "Message"], rows)
    else:
        console.print(f"[bold green]{response['result']}[/]: the definition is valid.")
    if response["result"] != "OK":
        raise typer.Exit(1)


@app.command("start-sync-execution")
@friendly_errors
def start_sync_execution(
    definition: DefinitionOpt,
    input_: Annotated[str, typer.Option("--input", help="The execution input: JSON text or a file.")] = "{}",
    name: Annotated[str | None, typer.Option("--name", help="The execution's name (default: a UUID).")] = None,
    lambda_registry: Annotated[
        Path | None,
        typer.Option("--lambda-registry", help="YAML or JSON: Lambda function name -> python.module:callable."),
    ] = None,
    state_machine: Annotated[
        list[str] | None,
        typer.Option("--state-machine", help="NAME=FILE: a definition states:startExecution may start (repeat)."),
    ] = None,
    no_wait: Annotated[
        bool, typer.Option("--no-wait", help="Wait states and Retry intervals take no time (a fake clock).")
    ] = False,
    json_: JsonOpt = False,
) -> None:
    """Run a definition to its end in process, as StartSyncExecution runs an Express state machine; exit 0
    only when it SUCCEEDED."""
    from sluice.errors import InvalidInputException
    from stepfunctions.definition import InvalidDefinition, load
    from stepfunctions.runtime import FakeClock, SystemClock
    from stepfunctions.sync import run_sync

    text, path = _text("--definition", definition)
    input_text, _ = _text("--input", input_)
    try:
        json.loads(input_text)
    except ValueError as exc:
        raise InvalidInputException(f"--input: not JSON ({exc}).") from None
    clock = FakeClock(datetime.now(UTC)) if no_wait else SystemClock()
    tasks = _integrations(lambda_registry, state_machine or [], clock)
    try:
        parsed = load(text, check_resource=tasks.check_resource)
    except InvalidDefinition as exc:
        raise InvalidInputException(f"--definition: {exc}") from None
    response = run_sync(parsed, input_text, name=name, tasks=tasks, clock=clock, state_machine_name=_machine_name(path))
    shown = cli_shape(response)
    if json_:
        print_json(shown)
    else:
        _summary(shown)
    if response["status"] != "SUCCEEDED":
        raise typer.Exit(1)


def cli_shape(response: dict[str, Any]) -> dict[str, Any]:
    """StartSyncExecution's response as the AWS CLI prints it: null members left out, timestamps in ISO 8601
    in the local zone at the millisecond Step Functions keeps, with ``billingDetails`` (an Express
    execution's: 64 MB, its duration in 100 ms steps)."""
    start, stop = _millis(response["startDate"]), _millis(response["stopDate"])
    billed = max(100, math.ceil((stop - start).total_seconds() * 10) * 100)
    shown = {k: v for k, v in response.items() if v is not None and k != "history"}
    shown |= {"startDate": start.astimezone().isoformat(), "stopDate": stop.astimezone().isoformat()}
    shown["billingDetails"] = {"billedMemoryUsedInMB": 64, "billedDurationInMilliseconds": billed}
    return shown


def _millis(moment: datetime) -> datetime:
    return moment.replace(microsecond=moment.microsecond // 1000 * 1000)


def _summary(shown: dict[str, Any]) -> None:
    style = "green" if shown["status"] == "SUCCEEDED" else "red"
    console.print(f"[bold {style}]{shown['status']}[/] {shown['executionArn']}", highlight=False)
    rows = [(key, shown[key]) for key in ("name", "startDate", "stopDate", "input", "output") if key in shown]
    print_table("Execution", ["Field", "Value"], rows)
    if "error" in shown or "cause" in shown:
        err_console.print(f"[bold red]{shown.get('error', '')}[/]: {shown.get('cause', '')}", highlight=False)
