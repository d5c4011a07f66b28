"""Declarative workflows (the Glue Workflows / Step Functions analog): YAML schema, loading and validation.

Pure: PyYAML and pydantic only, so the DAG factory and ``sluice workflow validate`` share one validator and
report the same ``FILE:LINE: where: problem`` lines. A workflow file looks like::

    name: nycflights13_weather
    schedule: "@daily"                 # cron, a preset, null, or {assets: [raw.weather], logical: AND|ANY}
    default_retry: {max_attempts: 2, interval: 30s, backoff_rate: 2}
    steps:
      crawl: {type: crawler, paths: [raw/weather], database: raw}
      check:
        type: dq
        depends_on: [crawl]
        map: {items: [EWR, JFK, LGA]}  # or {partitions: {database, table}} or {items_from: STEP}
        database: curated
        table: weather
        ruleset: weather.dqdl          # relative to the YAML file
        push_down_predicate: "origin = '{{ item }}'"
        catch: [notify]                # runs notify when check fails
      notify: {type: python, callable: sluice_airflow.workflows.notify, kwargs: {message: failed}}
"""

from __future__ import annotations

import operator
import re
from collections.abc import Iterable, Iterator, Mapping
from datetime import date
from graphlib import CycleError, TopologicalSorter
from pathlib import Path
from typing import Annotated, Any, Literal, NamedTuple

import yaml
from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Discriminator,
    Field,
    PrivateAttr,
    Tag,
    ValidationError,
    field_validator,
    model_validator,
)

from sluice.errors import InvalidInputException

Loc = tuple[str | int, ...]

PRESETS = {"@once", "@continuous", "@hourly", "@daily", "@weekly", "@monthly", "@quarterly", "@yearly", "@annually"}
TRIGGER_RULES = Literal[
    "all_success",
    "all_failed",
    "all_done",
    "all_skipped",
    "one_success",
    "one_failed",
    "one_done",
    "none_failed",
    "none_failed_min_one_success",
    "none_skipped",
    "always",
]
ITEM = re.compile(r"\{\{\s*item((?:\.\w+|\[\d+\])*)\s*\}\}")
JSON_PATH = re.compile(r"\$((?:\.\w+|\[\d+\])+)")
COMPARATORS = ("equals", "not_equals", "gt", "gte", "lt", "lte", "is_present")
FALSE_WORDS = {"", "false", "0", "no", "none", "off"}
_UNITS = {"": 1, "s": 1, "m": 60, "h": 3600, "d": 86400}


class Problem(NamedTuple):
    """One thing wrong with a workflow file, at a line."""

    path: str
    line: int
    where: str
    message: str

    def __str__(self) -> str:
        where = f" {self.where}:" if self.where else ""
        return f"{self.path}:{self.line}:{where} {self.message}"


class WorkflowError(InvalidInputException):
    """One or more workflow files are invalid; each problem names its file and line."""

    def __init__(self, problems: list[Problem]) -> None:
        self.problems = problems
        super().__init__(
            "Invalid workflow:\n" + "\n".join(str(p) for p in problems),
            hint="Check a file with `sluice workflow validate FILE`.",
        )


# field types -------------------------------------------------------------------------------------


def _seconds(value: Any) -> Any:
    """``90``, ``"90s"``, ``"5m"``, ``"2h"``, ``"1d"`` → seconds; anything else is left to fail validation."""
    if isinstance(value, str):
        match = re.fullmatch(r"\s*(\d+(?:\.\d+)?)\s*([smhd]?)\s*", value)
        if not match:
            raise ValueError("a duration is a number of seconds, or a number with a unit: 30s, 5m, 2h, 1d")
        return float(match[1]) * _UNITS[match[2]]
    return value


def _matching(pattern: str, explanation: str) -> AfterValidator:
    """A string check whose error explains the rule instead of printing the regex."""

    def check(value: str) -> str:
        if not re.fullmatch(pattern, value):
            raise ValueError(f"{value!r}: {explanation}")
        return value

    return AfterValidator(check)


def parse_table_ref(value: Any) -> Any:
    """``sluice://db/table`` or ``db.table`` → ``(db, table)``."""
    if not isinstance(value, str):
        return value
    if value.startswith("sluice://"):
        database, _, table = value[len("sluice://") :].partition("/")
    else:
        database, _, table = value.partition(".")
    if not database or not table or "/" in table:
        raise ValueError(f"{value!r} is not a catalog table: write sluice://DATABASE/TABLE or DATABASE.TABLE")
    return database, table


def _listify(value: Any) -> Any:
    return [value] if isinstance(value, str) else value


Duration = Annotated[float, BeforeValidator(_seconds), Field(ge=0)]
PositiveDuration = Annotated[float, BeforeValidator(_seconds), Field(gt=0)]
StepName = Annotated[
    str, _matching(r"[A-Za-z](?:_?[A-Za-z0-9-])*_?", "step names start with a letter, then letters, digits, - and _")
]
DagId = Annotated[str, _matching(r"[A-Za-z0-9_.-]{1,200}", "a workflow name (the DAG id) holds letters, digits, _ . -")]
DottedPath = Annotated[str, _matching(r"[A-Za-z_][\w.]*[.:][A-Za-z_]\w*", "write it as package.module.function")]
JsonPath = Annotated[str, _matching(JSON_PATH.pattern, "write a JSON path like $.step.key or $.step[0].key")]
StepNames = Annotated[list[str], BeforeValidator(_listify)]
TableRef = Annotated[tuple[str, str], BeforeValidator(parse_table_ref)]


class Strict(BaseModel):
    """Unknown keys are errors, so a typo is reported at its line instead of being ignored."""

    model_config = ConfigDict(extra="forbid")


class Retry(Strict):
    """Step Functions' Retrier: MaxAttempts, IntervalSeconds, BackoffRate, MaxDelaySeconds (same defaults)."""

    max_attempts: int = Field(3, ge=0, le=99)
    interval: Duration = 1.0
    backoff_rate: float = Field(2.0, ge=1.0)
    max_delay: PositiveDuration | None = None


class AssetSchedule(Strict):
    """Run when catalog tables change (Glue's conditional trigger): all of them (AND) or any (ANY)."""

    assets: list[TableRef] = Field(min_length=1)
    logical: Literal["AND", "ANY"] = "AND"


def _cron(value: str) -> str:
    if value in PRESETS:
        return value
    from croniter import croniter

    if not croniter.is_valid(value):
        raise ValueError(f"{value!r} is neither a cron expression (5 fields) nor one of {', '.join(sorted(PRESETS))}")
    return value


Cron = Annotated[str, AfterValidator(_cron)]
Schedule = Annotated[
    Annotated[Cron, Tag("cron-expression")] | Annotated[AssetSchedule, Tag("asset-schedule")],
    Discriminator(lambda v: "cron-expression" if isinstance(v, str) else "asset-schedule"),
]


class PartitionSource(Strict):
    """Fan out over a catalog table's partitions: new ones (since the last successful run) by default."""

    database: str
    table: str
    expression: str | None = None
    new_only: bool = True


class MapSpec(Strict):
    """Fan a step out (Step Functions Map, Airflow dynamic task mapping): one task per item.

    Parameters say where each item goes with ``{{ item }}`` (``{{ item.key }}``, ``{{ item[0] }}``).
    """

    items: list[Any] | None = None
    items_from: str | None = None
    partitions: PartitionSource | None = None
    max_concurrency: int | None = Field(None, ge=1)

    @model_validator(mode="after")
    def _one_source(self) -> MapSpec:
        given = [k for k in ("items", "items_from", "partitions") if getattr(self, k) is not None]
        if len(given) != 1:
            raise ValueError("map needs exactly one of items, items_from or partitions")
        return self


# steps -------------------------------------------------------------------------------------------


class StepBase(Strict):
    """What every step has: dependencies, retries, a timeout, failure handlers and fan-out."""

    description: str | None = None
    depends_on: StepNames = []
    retry: Retry | None = None
    timeout: PositiveDuration | None = None
    catch: StepNames = []
    map: MapSpec | None = None
    trigger_rule: TRIGGER_RULES | None = None

    def params(self) -> dict[str, Any]:
        """The type's own parameters (what the operator receives)."""
        return self.model_dump(exclude=set(StepBase.model_fields) | {"type"})


class CrawlerStep(StepBase):
    type: Literal["crawler"]
    paths: StepNames = Field(min_length=1)
    database: str
    crawler_name: str | None = None
    options: dict[str, Any] = {}


class JobStep(StepBase):
    type: Literal["job"]
    script: str
    job_name: str
    job_args: dict[str, Any] = {}
    bookmark: Literal["enable", "disable", "pause"] = "enable"


class DQStep(StepBase):
    type: Literal["dq"]
    database: str
    table: str
    ruleset: str = Field(description="DQDL text, or a .dqdl file relative to the workflow file")
    engine: str = "spark"
    on_failure: Literal["fail", "warn", "quarantine"] = "fail"
    min_score: float | None = Field(None, ge=0, le=1)
    push_down_predicate: str | None = None


class LoadStep(StepBase):
    type: Literal["load"]
    database: str
    table: str
    target: str
    mode: Literal["append", "overwrite", "merge"] = "append"
    merge_keys: list[str] = []
    partition_expression: str | None = None

    @model_validator(mode="after")
    def _keys_with_merge(self) -> LoadStep:
        if (self.mode == "merge") != bool(self.merge_keys):
            raise ValueError("mode merge needs merge_keys, and merge_keys are only used by mode merge")
        return self


class LifecycleStep(StepBase):
    type: Literal["lifecycle"]
    config: str = Field(description="a lifecycle JSON file relative to the workflow file")
    uri: str
    dry_run: bool = True


class PythonStep(StepBase):
    type: Literal["python"]
    callable: DottedPath
    kwargs: dict[str, Any] = {}


class ChoiceRule(Strict):
    """One branch of a choice: a Jinja condition (``when``) or a JSON path test on upstream results."""

    next: str
    when: str | None = None
    variable: JsonPath | None = None
    equals: Any = None
    not_equals: Any = None
    gt: float | None = None
    gte: float | None = None
    lt: float | None = None
    lte: float | None = None
    is_present: bool | None = None

    @model_validator(mode="after")
    def _one_test(self) -> ChoiceRule:
        tests = [c for c in COMPARATORS if c in self.model_fields_set]
        if (self.when is None) == (self.variable is None):
            raise ValueError("a choice needs either when (a Jinja condition) or variable (a JSON path like $.step.key)")
        if self.variable is not None and len(tests) != 1:
            raise ValueError(f"variable needs exactly one of {', '.join(COMPARATORS)}")
        if self.when is not None and tests:
            raise ValueError("when takes no comparison: write the whole condition in Jinja")
        return self


class ChoiceStep(StepBase):
    type: Literal["choice"]
    choices: list[ChoiceRule] = Field(min_length=1)
    default: str | None = None


class WaitStep(StepBase):
    type: Literal["wait"]
    seconds: Duration | None = None
    until: str | None = None

    @model_validator(mode="after")
    def _one_of(self) -> WaitStep:
        if (self.seconds is None) == (self.until is None):
            raise ValueError("wait needs exactly one of seconds or until (a timestamp, Jinja allowed)")
        return self


Step = Annotated[
    CrawlerStep | JobStep | DQStep | LoadStep | LifecycleStep | PythonStep | ChoiceStep | WaitStep,
    Field(discriminator="type"),
]
STEP_TYPES = ("crawler", "job", "dq", "load", "lifecycle", "python", "choice", "wait")
_TAGS = {*STEP_TYPES, "cron-expression", "asset-schedule", "[key]"}  # pydantic location parts no node has


class Workflow(Strict):
    """A workflow file: a header and its steps."""

    name: DagId
    description: str | None = None
    schedule: Schedule | None = None
    start_date: date = date(2024, 1, 1)
    tags: list[str] = []
    params: dict[str, Any] = {}
    max_active_runs: int = Field(1, ge=1)
    default_retry: Retry | None = None
    steps: dict[StepName, Step] = Field(min_length=1)
    _path: Path = PrivateAttr(default=Path("<string>"))

    @field_validator("steps", mode="before")
    @classmethod
    def _steps_mapping(cls, value: Any) -> Any:
        if isinstance(value, list):
            raise ValueError("steps is a mapping of step name to step (like Step Functions' States), not a list")
        return value

    @property
    def path(self) -> Path:
        """The file the workflow came from."""
        return self._path

    def handlers(self) -> dict[str, list[str]]:
        """Catch handler → the steps whose failure runs it."""
        out: dict[str, list[str]] = {}
        for name, step in self.steps.items():
            for handler in step.catch:
                out.setdefault(handler, []).append(name)
        return out

    def upstream(self, name: str) -> list[str]:
        """Every step ``name`` runs after: depends_on, the steps it catches for, choices that branch to it."""
        step = self.steps[name]
        out = list(step.depends_on) + self.handlers().get(name, [])
        for other, candidate in self.steps.items():
            if isinstance(candidate, ChoiceStep) and name in branch_targets(candidate):
                out.append(other)
        return list(dict.fromkeys(out))


def branch_targets(step: ChoiceStep) -> list[str]:
    """The steps a choice may branch to, in order, without repeats."""
    targets = [rule.next for rule in step.choices] + ([step.default] if step.default else [])
    return list(dict.fromkeys(targets))


# map items and choices (pure; run inside Airflow tasks) --------------------------------------------


def _lookup(value: Any, accessors: str) -> Any:
    for key, index in re.findall(r"\.(\w+)|\[(\d+)\]", accessors):
        value = value[int(index)] if index else value[key]
    return value


def uses_item(value: Any) -> bool:
    """Whether a parameter value mentions ``{{ item }}`` anywhere."""
    if isinstance(value, str):
        return ITEM.search(value) is not None
    if isinstance(value, dict):
        return any(uses_item(v) for v in value.values())
    if isinstance(value, list | tuple):
        return any(uses_item(v) for v in value)
    return False


def render_item(value: Any, item: Any) -> Any:
    """Put one map item into a parameter value: a string that is only ``{{ item… }}`` takes the item's type."""
    if isinstance(value, str):
        whole = ITEM.fullmatch(value.strip())
        if whole:
            return _lookup(item, whole[1])
        return ITEM.sub(lambda m: str(_lookup(item, m[1])), value)
    if isinstance(value, dict):
        return {k: render_item(v, item) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [render_item(v, item) for v in value]
    return value


_MISSING = object()
_OPERATORS = {
    "equals": operator.eq,
    "not_equals": operator.ne,
    "gt": operator.gt,
    "gte": operator.ge,
    "lt": operator.lt,
    "lte": operator.le,
}


def json_path(document: Any, path: str) -> Any:
    """``$.step.key[0]`` in ``document``; a missing key or index gives ``_MISSING``."""
    match = JSON_PATH.fullmatch(path)
    if not match:
        raise ValueError(f"{path!r} is not a JSON path like $.step.key[0]")
    try:
        return _lookup(document, match[1])
    except (KeyError, IndexError, TypeError):
        return _MISSING


def _holds(rule: ChoiceRule, document: dict[str, Any], rendered: str | None) -> bool:
    if rule.when is not None:
        return str(rendered).strip().lower() not in FALSE_WORDS
    value = json_path(document, rule.variable or "$")
    test = next(c for c in COMPARATORS if c in rule.model_fields_set)
    if test == "is_present":
        return (value is not _MISSING) == rule.is_present
    if value is _MISSING:
        return False
    compare = _OPERATORS[test]
    expected = getattr(rule, test)
    return compare(value, expected) if test in ("equals", "not_equals") else compare(float(value), expected)


def choose(step: ChoiceStep, results: dict[str, Any], rendered: list[str | None]) -> str | None:
    """The first choice whose test holds (``rendered`` are the Jinja conditions, rendered), else the default."""
    for rule, text in zip(step.choices, rendered, strict=True):
        if _holds(rule, results, text):
            return rule.next
    return step.default


# loading -----------------------------------------------------------------------------------------


class _Yaml(NamedTuple):
    data: Any
    lines: dict[Loc, int]
    duplicates: list[tuple[Loc, int]]


def _walk(node: yaml.Node, loc: Loc, yml: _Yaml) -> None:
    yml.lines.setdefault(loc, node.start_mark.line + 1)
    if isinstance(node, yaml.MappingNode):
        seen: set[str] = set()
        for key, value in node.value:
            name = str(key.value)
            if name in seen:
                yml.duplicates.append(((*loc, name), key.start_mark.line + 1))
            seen.add(name)
            yml.lines[(*loc, name)] = key.start_mark.line + 1
            _walk(value, (*loc, name), yml)
    elif isinstance(node, yaml.SequenceNode):
        for index, item in enumerate(node.value):
            _walk(item, (*loc, index), yml)


def _read_yaml(text: str, path: str) -> _Yaml:
    """Parse YAML keeping each node's line, so a pydantic error location maps back to a line."""
    loader = yaml.SafeLoader(text)
    try:
        node = loader.get_single_node()
        data = loader.construct_document(node) if node is not None else None
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        problem = " ".join(str(p) for p in (exc.context, exc.problem) if p)
        raise WorkflowError([Problem(path, mark.line + 1 if mark else 1, "", f"invalid YAML: {problem}")]) from None
    finally:
        loader.dispose()
    yml = _Yaml(data, {}, [])
    if node is not None:
        _walk(node, (), yml)
    return yml


def _where(loc: Iterable[str | int]) -> str:
    out = ""
    for part in loc:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out


def _locate(loc: Loc, lines: dict[Loc, int]) -> tuple[int, Loc]:
    """The line of the deepest node on ``loc``, and ``loc`` as the user wrote it (union tags dropped).

    A trailing name no node has (a missing field) is kept in the location, on its parent's line.
    """
    known: Loc = ()
    matched_last = False
    for part in loc:
        matched_last = False
        for candidate in (part, str(part)):
            if (*known, candidate) in lines:
                known += (candidate,)
                matched_last = True
                break
    shown = known if matched_last or not loc or loc[-1] in _TAGS else (*known, loc[-1])
    return lines.get(known, 1), shown


def _problem(path: str, lines: dict[Loc, int], loc: Loc, message: str) -> Problem:
    line, shown = _locate(loc, lines)
    return Problem(path, line, _where(shown), message)


def _pydantic_message(error: Mapping[str, Any]) -> str:
    message = error["msg"].removeprefix("Value error, ")
    if error["type"] == "union_tag_invalid":
        return f"unknown step type {error['input'].get('type')!r}: use one of {', '.join(STEP_TYPES)}"
    if error["type"] == "union_tag_not_found":
        return f"a step needs a type: one of {', '.join(STEP_TYPES)}"
    return message


def _error_loc(error: Mapping[str, Any]) -> Loc:
    """Where a pydantic error points; an unknown step type points at the step's ``type`` line."""
    loc = tuple(error["loc"])
    return (*loc, "type") if error["type"] == "union_tag_invalid" else loc


def _file_problems(workflow: Workflow) -> Iterator[tuple[Loc, str]]:
    """Make relative file references absolute (next to the workflow file) and check that they exist."""
    folder = workflow.path.parent
    for name, step in workflow.steps.items():
        field = "ruleset" if isinstance(step, DQStep) else "config" if isinstance(step, LifecycleStep) else None
        if field is None:
            continue
        value: str = getattr(step, field)
        if isinstance(step, DQStep) and ("\n" in value or not value.endswith(".dqdl")):
            continue  # inline DQDL
        if "{{" in value:
            continue
        resolved = folder / value
        setattr(step, field, str(resolved))
        if not resolved.is_file():
            yield ("steps", name, field), f"file {value!r} not found (looked in {folder})"


def _reference_problems(workflow: Workflow) -> Iterator[tuple[Loc, str]]:
    """Every step a step names must exist, and each name must mean something there."""
    steps = workflow.steps
    handlers = workflow.handlers()
    for name, step in steps.items():
        refs: list[tuple[Loc, str]] = [(("depends_on", i), n) for i, n in enumerate(step.depends_on)]
        refs += [(("catch", i), n) for i, n in enumerate(step.catch)]
        if isinstance(step, ChoiceStep):
            refs += [(("choices", i, "next"), r.next) for i, r in enumerate(step.choices)]
            refs += [(("default",), step.default)] if step.default else []
        for loc, target in refs:
            if target not in steps:
                yield ("steps", name, *loc), f"unknown step {target!r}; steps are {', '.join(steps)}"
            elif target == name:
                yield ("steps", name, *loc), "a step cannot name itself"
        if name in handlers and step.depends_on:
            yield (
                ("steps", name, "depends_on"),
                (
                    f"{name} is a catch handler of {', '.join(handlers[name])}: it runs when one of them fails, "
                    "so it cannot also have depends_on"
                ),
            )
        if name in handlers and step.trigger_rule:
            yield ("steps", name, "trigger_rule"), f"{name} is a catch handler: its trigger rule is one_failed"
        if isinstance(step, ChoiceStep):
            for i, rule in enumerate(step.choices):
                root = re.match(r"\$\.(\w+)", rule.variable) if rule.variable else None
                if root and root[1] not in step.depends_on:
                    yield (
                        ("steps", name, "choices", i, "variable"),
                        (f"{rule.variable} reads the result of {root[1]!r}, which must be in depends_on"),
                    )
        if step.map is None:
            continue
        if isinstance(step, ChoiceStep | WaitStep):
            yield ("steps", name, "map"), f"a {step.type} step cannot be mapped"
        elif not uses_item(step.params()):
            yield (
                ("steps", name, "map"),
                (
                    "no parameter uses {{ item }}: say where each item goes, "
                    "e.g. push_down_predicate: \"origin = '{{ item }}'\""
                ),
            )
        if step.map.items_from is not None and step.map.items_from not in step.depends_on:
            yield ("steps", name, "map", "items_from"), f"items_from {step.map.items_from!r} must be in depends_on"


def _cycle_problems(workflow: Workflow) -> Iterator[tuple[Loc, str]]:
    """The first cycle of steps waiting on each other (unknown steps and self-waits are reported elsewhere)."""
    order = list(workflow.steps)
    graph = {
        name: [up for up in workflow.upstream(name) if up in workflow.steps and up != name] for name in workflow.steps
    }
    try:
        TopologicalSorter(graph).prepare()
    except CycleError as exc:
        # CycleError lists each step before the steps waiting on it, closing on its first; read it the other way,
        # starting from the step that comes first in the file.
        steps = list(reversed(exc.args[1]))[:-1]
        start = min(range(len(steps)), key=lambda i: order.index(steps[i]))
        cycle = [*steps[start:], *steps[:start], steps[start]]
        yield ("steps", cycle[0]), "steps wait on each other in a cycle: " + " waits on ".join(cycle)


def parse_workflow(text: str, path: str | Path = "<string>") -> Workflow:
    """Validate one workflow document; raises ``WorkflowError`` listing every problem with its line."""
    shown = str(path)
    yml = _read_yaml(text, shown)
    problems = [
        Problem(shown, line, _where(loc), "duplicate key: the later one would win") for loc, line in yml.duplicates
    ]
    if not isinstance(yml.data, dict):
        raise WorkflowError([*problems, Problem(shown, 1, "", "a workflow file is a mapping with name and steps")])
    try:
        workflow = Workflow.model_validate(yml.data)
    except ValidationError as exc:
        problems += [_problem(shown, yml.lines, _error_loc(e), _pydantic_message(e)) for e in exc.errors()]
        raise WorkflowError(sorted(problems, key=lambda p: p.line)) from None
    workflow._path = Path(path)
    checks = (_file_problems, _reference_problems, _cycle_problems)
    problems += [_problem(shown, yml.lines, loc, msg) for check in checks for loc, msg in check(workflow)]
    if problems:
        raise WorkflowError(sorted(problems, key=lambda p: p.line))
    return workflow


def load_workflow(path: str | Path) -> Workflow:
    """Read and validate one workflow file."""
    path = Path(path)
    try:
        text = path.read_text()
    except OSError as exc:
        raise WorkflowError([Problem(str(path), 1, "", f"cannot read the file: {exc.strerror}")]) from None
    return parse_workflow(text, path)


def load_workflows(folder: str | Path) -> list[Workflow]:
    """Every ``*.yaml``/``*.yml`` workflow in ``folder``; raises one ``WorkflowError`` for all invalid files."""
    workflows: list[Workflow] = []
    problems: list[Problem] = []
    names: dict[str, Path] = {}
    for path in sorted(p for p in Path(folder).glob("*.y*ml") if p.suffix in (".yaml", ".yml")):
        try:
            workflow = load_workflow(path)
        except WorkflowError as exc:
            problems += exc.problems
            continue
        if workflow.name in names:
            problems.append(
                Problem(str(path), 1, "name", f"{workflow.name!r} is also the name of {names[workflow.name]}")
            )
            continue
        names[workflow.name] = path
        workflows.append(workflow)
    if problems:
        raise WorkflowError(problems)
    return workflows
