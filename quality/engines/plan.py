"""Pure planning: compile a DQDL ruleset into metric requests, then judge each rule from measured values.

    plan = compile_plan(ruleset, schema)          # schema: {column: Spark simple type}
    values = engine.measure(plan.requests)        # {request: value | Exception}
    outcomes = plan.judge(values, history=..., now=...)

Nothing here touches data: engines measure, this module decides. Every engine therefore shares one set of
semantics (Glue's, via Deequ): nulls fail row checks except ``!=``/``not in``; uniqueness counts values that
occur once among rows where at least one key column is non-null; ratios over zero rows are errors.
"""

from __future__ import annotations

import datetime as dt
import math
import re
import statistics
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field, replace

from quality.dqdl import (
    Analyzer,
    CompositeRule,
    Condition,
    DQDLEvaluationError,
    Keyword,
    Number,
    Parameter,
    Rule,
    Ruleset,
)
from sluice.clock import utcnow

NUMERIC_TYPES = ("tinyint", "smallint", "int", "bigint", "float", "double", "decimal")
TEMPORAL_TYPES = ("date", "timestamp", "timestamp_ntz")
# Row-check kinds: a per-row predicate engines compile (values/length/fresh/type) or a SQL semi-join (sqlrows).
CHECK_KINDS = ("values", "length", "fresh", "type", "sqlrows")
AGGREGATE_FNS = (
    "count",
    "nonnull",
    "sum",
    "mean",
    "stddev",
    "variance",
    "min",
    "max",
    "minlen",
    "maxlen",
    "corr",
    "passing",
)
GROUPED_FNS = ("groups", "distinct", "unique", "entropy")
# Glue's ColumnDataType names → the Spark type families that satisfy them.
DATA_TYPES = {
    "BOOLEAN": ("boolean",),
    "DATE": ("date",),
    "TIMESTAMP": ("timestamp", "timestamp_ntz"),
    "INTEGER": ("tinyint", "smallint", "int"),
    "INT": ("tinyint", "smallint", "int"),
    "LONG": ("tinyint", "smallint", "int", "bigint"),
    "BIGINT": ("tinyint", "smallint", "int", "bigint"),
    "FLOAT": ("float",),
    "DOUBLE": ("float", "double"),
    "DECIMAL": ("decimal",),
    "STRING": ("string",),
}
ANOMALY_MIN_HISTORY = 3
ANOMALY_SIGMAS = 3.0


# --- requests -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Check:
    """A per-row predicate: ``values``/``length``/``fresh``/``type`` test ``column`` against ``condition``."""

    kind: str
    column: str
    condition: Condition | None = None
    statement: str | None = None


@dataclass(frozen=True)
class Metric:
    """One number over the rows selected by ``where``.

    Aggregate functions (:data:`AGGREGATE_FNS`) share one scan; grouped ones (:data:`GROUPED_FNS`) need a
    ``groupBy(columns)`` pass: ``groups`` counts rows with a non-null key, ``distinct``/``unique`` count keys
    seen at least once / exactly once, ``entropy`` is the natural-log entropy of the key distribution.
    ``passing`` counts rows satisfying ``check``.
    """

    fn: str
    columns: tuple[str, ...] = ()
    where: str | None = None
    check: Check | None = None

    @property
    def grouped(self) -> bool:
        """True for metrics that need a grouped pass."""
        return self.fn in GROUPED_FNS


@dataclass(frozen=True)
class Sql:
    """A CustomSql statement over the view ``primary`` that returns one value."""

    statement: str


@dataclass(frozen=True)
class Reference:
    """A measurement involving a reference dataset ``alias``.

    ``kind`` is ``rows`` (its row count), ``schema`` (its ``{column: type}``), ``integrity`` (fraction of
    primary rows whose ``args[0]`` columns appear as ``args[1]`` columns in the reference), ``match``
    (fraction of primary rows with a reference row equal on the ``args[0]`` key mapping and ``args[1]``
    column mapping) or ``aggregate`` (``args[0]`` of column ``args[1]`` in the reference).
    """

    kind: str
    alias: str
    args: tuple[object, ...] = ()

    def column_pairs(self) -> list[tuple[str, str, bool]]:
        """For ``integrity`` and ``match``: (primary column, reference column, compare null-safely) triples."""
        if self.kind == "integrity":
            left, right = self.args
            return [(a, b, False) for a, b in zip(left, right, strict=True)]  # type: ignore[call-overload]
        keys, columns = self.args
        return [(a, b, False) for a, b in keys] + [(a, b, True) for a, b in columns]  # type: ignore[union-attr]


@dataclass(frozen=True)
class Files:
    """The files under a lake ``path``, with their digests under ``algorithm`` when it is set."""

    path: str
    algorithm: str | None = None


Request = Metric | Sql | Reference | Files
Values = Mapping[Request, object]


class RuleError(Exception):
    """A rule cannot be evaluated; the message says why (an unknown column, an engine limit...)."""


# --- outcomes -------------------------------------------------------------------------------------


@dataclass
class Measurement:
    """What a rule measured: ``value`` meets the condition; ``primary`` names the history series."""

    value: object = None
    metrics: dict[str, float] = field(default_factory=dict)
    primary: str | None = None
    passed: bool | None = None
    note: str | None = None
    anomaly: bool = False


@dataclass
class Outcome:
    """One rule's result, in Glue terms."""

    result: str
    message: str | None
    metrics: dict[str, float]
    evaluated_rule: str


@dataclass
class RulePlan:
    """A leaf rule's requests and how to turn their values into a :class:`Measurement`."""

    rule: Rule
    requests: tuple[Request, ...] = ()
    measure: Callable[[Values], Measurement] | None = None
    error: str | None = None


History = Callable[[str], Sequence[float]]


@dataclass
class Plan:
    """The compiled ruleset: rule plans per leaf, analyzer plans, and the deduplicated requests."""

    ruleset: Ruleset
    leaves: dict[int, RulePlan]
    analyzers: list[tuple[Analyzer, list[RulePlan]]]

    @property
    def requests(self) -> list[Request]:
        """Every request, each once, in first-use order."""
        plans = [*self.leaves.values(), *(p for _, plans in self.analyzers for p in plans)]
        return list(dict.fromkeys(r for plan in plans for r in plan.requests))

    def judge(self, values: Values, *, history: History | None = None, now: dt.datetime | None = None) -> list[Outcome]:
        """One outcome per top-level rule; composites combine their children as Glue's COLUMN method."""
        now = now or utcnow()
        lookup = history or (lambda _metric: ())
        return [self._judge(rule, values, lookup, now) for rule in self.ruleset.rules]

    def analyze(self, values: Values) -> list[tuple[Analyzer, dict[str, float], str | None]]:
        """Per analyzer: its metrics and an error message, if any part could not be measured."""
        out = []
        for analyzer, plans in self.analyzers:
            metrics: dict[str, float] = {}
            errors = []
            for plan in plans:
                try:
                    metrics.update(_measure(plan, values).metrics)
                except RuleError as exc:
                    errors.append(str(exc))
            out.append((analyzer, metrics, "; ".join(errors) or None))
        return out

    def _judge(self, rule: Rule | CompositeRule, values: Values, history: History, now: dt.datetime) -> Outcome:
        if isinstance(rule, Rule):
            return judge(self.leaves[id(rule)], values, history=history, now=now)
        children = [self._judge(child, values, history, now) for child in rule.rules]
        results = [c.result for c in children]
        if rule.op == "and":
            result = "ERROR" if "ERROR" in results else "PASS" if set(results) == {"PASS"} else "FAIL"
        else:
            result = "PASS" if "PASS" in results else "ERROR" if "ERROR" in results else "FAIL"
        metrics = {k: v for c in children for k, v in c.metrics.items()}
        messages = [c.message for c in children if c.message and c.result != "PASS"]
        text = f" {rule.op} ".join(f"({c.evaluated_rule})" for c in children)
        return Outcome(result, "; ".join(messages) if result != "PASS" else None, metrics, text)


# --- judging --------------------------------------------------------------------------------------


def _measure(plan: RulePlan, values: Values) -> Measurement:
    if plan.error is not None:
        raise RuleError(plan.error)
    assert plan.measure is not None
    return plan.measure(values)


def judge(plan: RulePlan, values: Values, *, history: History, now: dt.datetime) -> Outcome:
    """Decide one leaf rule: PASS, FAIL or ERROR, with Glue's message and evaluated metrics."""
    rule = plan.rule
    try:
        m = _measure(plan, values)
    except RuleError as exc:
        return Outcome("ERROR", str(exc), {}, bare(rule))
    dynamic = m.anomaly or (rule.condition is not None and rule.condition.is_dynamic)
    past = list(history(m.primary)) if m.primary and dynamic else []  # only last() and anomalies read it
    try:
        if m.anomaly:
            return _anomaly(rule, m, past)
        if m.passed is not None:
            ok = m.passed
        else:
            assert rule.condition is not None
            ok = rule.condition.holds(m.value, now=now, history=past)
        evaluated = _evaluated_rule(rule, past)
    except DQDLEvaluationError as exc:
        return Outcome("ERROR", exc.message, m.metrics, bare(rule))
    if ok:
        return Outcome("PASS", None, m.metrics, evaluated)
    message = m.note or f"Value: {fmt(m.value)} does not meet the constraint requirement!"
    return Outcome("FAIL", message, m.metrics, evaluated)


def bare(rule: Rule) -> str:
    """The rule's text without its labels (Glue's EvaluatedRule)."""
    return str(replace(rule, rule_labels={}))


def _evaluated_rule(rule: Rule, history: list[float]) -> str:
    if rule.condition is None or not rule.condition.is_dynamic:
        return bare(rule)
    numbers = tuple(Number(fmt(v)) for v in rule.condition.operand_values(history=history))
    return bare(replace(rule, condition=replace(rule.condition, operands=numbers)))


def _anomaly(rule: Rule, m: Measurement, past: list[float]) -> Outcome:
    """Flag a value outside mean ± 3σ of the metric's history (needs a few past runs first)."""
    value = float(m.value)  # type: ignore[arg-type]
    if len(past) < ANOMALY_MIN_HISTORY:
        note = f"Not enough history for {m.primary} ({len(past)} of {ANOMALY_MIN_HISTORY} runs); value {fmt(value)}."
        return Outcome("PASS", note, m.metrics, bare(rule))
    mean = statistics.fmean(past)
    band = ANOMALY_SIGMAS * statistics.pstdev(past) or abs(mean) * 1e-9
    lower, upper = mean - band, mean + band
    if lower <= value <= upper:
        return Outcome("PASS", None, m.metrics, bare(rule))
    message = (
        f"Value: {fmt(value)} is an anomaly: expected between {fmt(lower)} and {fmt(upper)} from {len(past)} runs."
    )
    return Outcome("FAIL", message, m.metrics, bare(rule))


def fmt(value: object) -> str:
    """A metric as Glue prints it: integers bare, floats with up to 4 decimals, NULL for None."""
    if value is None:
        return "NULL"
    if isinstance(value, float):
        if math.isfinite(value) and value == int(value):
            return str(int(value))
        return f"{value:.4f}".rstrip("0")
    return str(value)


# --- compilation ----------------------------------------------------------------------------------


def compile_plan(ruleset: Ruleset, schema: Mapping[str, str]) -> Plan:
    """Compile every leaf rule and analyzer of ``ruleset`` against the dataset ``schema``."""
    leaves = {id(rule): compile_rule(rule, schema) for rule in ruleset.leaf_rules()}
    analyzers = [(a, [compile_rule(r, schema) for r in _analyzer_rules(a, schema)]) for a in ruleset.analyzers]
    return Plan(ruleset, leaves, analyzers)


def _analyzer_rules(analyzer: Analyzer, schema: Mapping[str, str]) -> list[Rule]:
    if analyzer.analyzer_type == "CustomSql":  # measure the statement's value, whatever it is
        return [Rule("CustomSql", analyzer.parameters, Condition("!=", (Keyword("NULL"),), "number"))]
    if analyzer.analyzer_type != "AllStatistics":
        return [Rule(analyzer.analyzer_type, analyzer.parameters)]
    column = analyzer.arguments[0]
    columns = list(schema) if column == "AllColumns" else [column]
    rules = [Rule("RowCount")]
    for name in columns:
        param = (Parameter(name),)
        rules += [Rule("Completeness", param), Rule("Uniqueness", param)]
        if _family(schema.get(name, "")) in NUMERIC_TYPES:
            rules += [Rule(t, param) for t in ("Mean", "Sum", "StandardDeviation", "ColumnValues")]
        elif schema.get(name) == "string":
            rules.append(Rule("ColumnLength", param))
    return rules


def _family(spark_type: str) -> str:
    return spark_type.split("(", 1)[0]


def column_key(columns: Sequence[str]) -> str:
    """``Column.c`` for one column, ``Multicolumn.a,b`` for several (Glue's metric prefixes)."""
    return f"Column.{columns[0]}" if len(columns) == 1 else f"Multicolumn.{','.join(columns)}"


def need(values: Values, request: Request) -> object:
    """The measured value of ``request``; an engine failure or a missing result becomes a :class:`RuleError`."""
    if request not in values:
        raise RuleError(f"no value was measured for {request}")
    value = values[request]
    if isinstance(value, BaseException):
        raise RuleError(str(value))
    return value


def ratio(part: object, whole: object, what: str) -> float:
    """``part / whole``; zero rows is an error (Glue reports no metric for an empty dataset)."""
    if not whole:
        raise RuleError(f"{what} is undefined: the dataset has no rows (after the where clause)")
    return float(part) / float(whole)  # type: ignore[arg-type]


Compiler = Callable[[Rule, Mapping[str, str]], RulePlan]
_COMPILERS: dict[str, Compiler] = {}


def _compiles(*names: str) -> Callable[[Compiler], Compiler]:
    def register(func: Compiler) -> Compiler:
        for name in names:
            _COMPILERS[name] = func
        return func

    return register


def rule_columns(rule: Rule) -> list[str]:
    """The primary-dataset columns a rule reads (empty for dataset-level and reference-only rules)."""
    args = rule.arguments
    if rule.rule_type in ("ColumnExists", "CustomSql", "DetectAnomalies", "ColumnNamesMatchPattern"):
        return []
    if rule.rule_type in ("RowCount", "ColumnCount", "RowCountMatch", "SchemaMatch", "AggregateMatch"):
        return []
    if rule.rule_type == "ReferentialIntegrity":
        return _split(args[0])
    if rule.rule_type == "DatasetMatch":
        return [left for left, _ in _mapping(args[1])] + [
            left for left, _ in _mapping(args[2] if len(args) > 2 else "")
        ]
    if rule.rule_type.startswith("File"):
        return []
    return list(args)


def compile_rule(rule: Rule, schema: Mapping[str, str]) -> RulePlan:
    """Compile one leaf rule; an unknown column or rule type yields a plan that reports ERROR."""
    missing = [c for c in rule_columns(rule) if c not in schema]
    if missing:
        columns = ", ".join(schema) or "none"
        noun = "Column" if len(missing) == 1 else "Columns"
        names = ", ".join(repr(c) for c in missing)
        return RulePlan(rule, error=f"{noun} {names} not found in the dataset (columns: {columns})")
    compiler = _COMPILERS.get(rule.rule_type)
    if compiler is None:
        return RulePlan(rule, error=f"{rule.rule_type} rules are not supported by Sluice's engines")
    try:
        return compiler(rule, schema)
    except RuleError as exc:
        return RulePlan(rule, error=str(exc))


def _split(columns: str) -> list[str]:
    return [c.strip() for c in columns.strip("{}").split(",") if c.strip()]


def _mapping(text: str) -> list[tuple[str, str]]:
    """``"a->x,b"`` → ``[("a", "x"), ("b", "b")]``."""
    pairs = []
    for item in _split(text):
        left, _, right = item.partition("->")
        pairs.append((left.strip(), (right or left).strip()))
    return pairs


def _plan(rule: Rule, requests: Sequence[Request], measure: Callable[[Values], Measurement]) -> RulePlan:
    return RulePlan(rule, tuple(requests), measure)


@_compiles("RowCount")
def _row_count(rule: Rule, schema: Mapping[str, str]) -> RulePlan:
    count = Metric("count", where=rule.where)
    name = "Dataset.*.RowCount"

    def measure(values: Values) -> Measurement:
        rows = float(need(values, count))  # type: ignore[arg-type]
        return Measurement(rows, {name: rows}, name)

    return _plan(rule, [count], measure)


@_compiles("ColumnCount")
def _column_count(rule: Rule, schema: Mapping[str, str]) -> RulePlan:
    name = "Dataset.*.ColumnCount"
    return _plan(rule, [], lambda _v: Measurement(float(len(schema)), {name: float(len(schema))}, name))


@_compiles("ColumnExists")
def _column_exists(rule: Rule, schema: Mapping[str, str]) -> RulePlan:
    column = rule.arguments[0]
    ok = column in schema
    note = None if ok else f"Column {column!r} does not exist (columns: {', '.join(schema) or 'none'})."
    return _plan(rule, [], lambda _v: Measurement(passed=ok, note=note))


@_compiles("ColumnNamesMatchPattern")
def _column_names(rule: Rule, schema: Mapping[str, str]) -> RulePlan:
    pattern = re.compile(rule.arguments[0])
    misses = [c for c in schema if not pattern.fullmatch(c)]
    share = 1 - len(misses) / len(schema) if schema else 1.0
    note = f"Columns not matching the pattern: {', '.join(misses)}." if misses else None
    name = "Dataset.*.ColumnNamesPatternMatchRatio"
    return _plan(rule, [], lambda _v: Measurement(share, {name: share}, name, passed=not misses, note=note))


@_compiles("Completeness", "IsComplete")
def _completeness(rule: Rule, schema: Mapping[str, str]) -> RulePlan:
    column = rule.arguments[0]
    count, nonnull = Metric("count", where=rule.where), Metric("nonnull", (column,), rule.where)
    name = f"Column.{column}.Completeness"

    def measure(values: Values) -> Measurement:
        value = ratio(need(values, nonnull), need(values, count), name)
        if rule.rule_type == "Completeness":
            return Measurement(value, {name: value}, name)
        return Measurement(value, {name: value}, name, passed=value == 1.0)

    return _plan(rule, [count, nonnull], measure)


@_compiles("ColumnCorrelation")
def _correlation(rule: Rule, schema: Mapping[str, str]) -> RulePlan:
    columns = tuple(rule.arguments)
    _numeric(rule, schema, columns)
    corr = Metric("corr", columns, rule.where)
    name = f"Multicolumn.{','.join(columns)}.ColumnCorrelation"

    def measure(values: Values) -> Measurement:
        value = need(values, corr)
        if value is None:
            raise RuleError(f"{name} is undefined: fewer than two non-null pairs or a constant column")
        return Measurement(float(value), {name: float(value)}, name)  # type: ignore[arg-type]

    return _plan(rule, [corr], measure)


def _numeric(rule: Rule, schema: Mapping[str, str], columns: Sequence[str]) -> None:
    for column in columns:
        if _family(schema[column]) not in NUMERIC_TYPES:
            raise RuleError(f"{rule.rule_type} needs a numeric column; {column!r} is {schema[column]}")


STAT_FNS = {"Mean": "mean", "Sum": "sum", "StandardDeviation": "stddev", "Variance": "variance"}


@_compiles(*STAT_FNS, "Range")
def _statistic(rule: Rule, schema: Mapping[str, str]) -> RulePlan:
    column = rule.arguments[0]
    _numeric(rule, schema, [column])
    fns = ("min", "max") if rule.rule_type == "Range" else (STAT_FNS[rule.rule_type],)
    metrics = [Metric(fn, (column,), rule.where) for fn in fns]
    name = f"Column.{column}.{rule.rule_type}"

    def measure(values: Values) -> Measurement:
        got = [need(values, m) for m in metrics]
        if any(v is None for v in got):
            raise RuleError(f"{name} is undefined: the column has no non-null values (after the where clause)")
        value = float(got[-1]) - float(got[0]) if len(got) == 2 else float(got[0])  # type: ignore[arg-type]
        return Measurement(value, {name: value}, name)

    return _plan(rule, metrics, measure)


GROUPED_RULES = {"Uniqueness": "unique", "IsUnique": "unique", "DistinctValuesCount": "distinct"}


@_compiles("Uniqueness", "IsUnique", "DistinctValuesCount", "UniqueValueRatio", "Entropy")
def _grouped(rule: Rule, schema: Mapping[str, str]) -> RulePlan:
    columns = tuple(rule.arguments)
    fn = GROUPED_RULES.get(rule.rule_type, "unique" if rule.rule_type == "UniqueValueRatio" else "entropy")
    top = Metric(fn, columns, rule.where)
    base = Metric("distinct" if rule.rule_type == "UniqueValueRatio" else "groups", columns, rule.where)
    kind = "Uniqueness" if rule.rule_type == "IsUnique" else rule.rule_type
    name = f"{column_key(columns)}.{kind}"

    def measure(values: Values) -> Measurement:
        value = need(values, top)
        if rule.rule_type in ("Uniqueness", "IsUnique", "UniqueValueRatio"):
            value = ratio(value, need(values, base), name)
        value = float(value)  # type: ignore[arg-type]
        return Measurement(value, {name: value}, name, passed=value == 1.0 if rule.rule_type == "IsUnique" else None)

    requests = [top] if rule.rule_type in ("DistinctValuesCount", "Entropy") else [top, base]
    return _plan(rule, requests, measure)


@_compiles("IsPrimaryKey")
def _primary_key(rule: Rule, schema: Mapping[str, str]) -> RulePlan:
    columns = tuple(rule.arguments)
    unique = _grouped(replace(rule, rule_type="Uniqueness"), schema)
    complete = [
        _completeness(replace(rule, rule_type="IsComplete", parameters=(Parameter(c),)), schema) for c in columns
    ]

    def measure(values: Values) -> Measurement:
        parts = [p.measure(values) for p in (*complete, unique)]  # type: ignore[misc]
        metrics = {k: v for m in parts for k, v in m.metrics.items()}
        bad = [name for name, value in metrics.items() if value != 1.0]
        note = f"Not a primary key: {', '.join(f'{n} = {fmt(metrics[n])}' for n in bad)}." if bad else None
        return Measurement(passed=not bad, metrics=metrics, note=note)

    requests = [r for p in (*complete, unique) for r in p.requests]
    return _plan(rule, requests, measure)


def _compliance(rule: Rule, check: Check, label: str, extra: Sequence[Metric] = ()) -> RulePlan:
    """Row-check rules: the share of rows passing ``check``; all must pass unless a threshold is given."""
    count, passing = Metric("count", where=rule.where), Metric("passing", where=rule.where, check=check)
    name = f"Column.{check.column}.{label}.Compliance" if check.column else f"Dataset.*.{label}.Compliance"

    def measure(values: Values) -> Measurement:
        # informational minimum/maximum metrics: an engine that cannot measure them leaves them out
        metrics = {f"Column.{check.column}.{_EXTRA_NAMES[m.fn]}": _float(values.get(m)) for m in extra}
        metrics = {k: v for k, v in metrics.items() if v is not None}
        if check.condition is None and check.kind != "sqlrows":  # an analyzer: extra metrics only
            return Measurement(metrics=metrics)
        rows, good = need(values, count), need(values, passing)
        value = ratio(good, rows, name)
        failed = int(rows) - int(good)  # type: ignore[call-overload]
        if rule.threshold is not None:
            metrics[name] = value
            ok = rule.threshold.holds(value)
            note = (
                f"Value: {fmt(value)} does not meet the constraint requirement! ({failed} of {int(rows)} rows failed)"  # type: ignore[call-overload]
            )
        else:
            ok = failed == 0
            note = f"{failed} of {int(rows)} rows did not meet the constraint requirement!"  # type: ignore[call-overload]
        return Measurement(value, metrics, passed=ok, note=note)

    requests: list[Request] = [*extra]
    if check.condition is not None or check.kind == "sqlrows":
        requests += [count, passing]
    return _plan(rule, requests, measure)


_EXTRA_NAMES = {"min": "Minimum", "max": "Maximum", "minlen": "MinimumLength", "maxlen": "MaximumLength"}


def _float(value: object) -> float | None:
    if value is None or isinstance(value, dt.date | str | BaseException):
        return None
    return float(value)  # type: ignore[arg-type]


@_compiles("ColumnValues")
def _column_values(rule: Rule, schema: Mapping[str, str]) -> RulePlan:
    column = rule.arguments[0]
    numeric = _family(schema[column]) in NUMERIC_TYPES
    extra = [Metric(fn, (column,), rule.where) for fn in ("min", "max")] if numeric else []
    return _compliance(rule, Check("values", column, rule.condition), "ColumnValues", extra)


@_compiles("ColumnLength")
def _column_length(rule: Rule, schema: Mapping[str, str]) -> RulePlan:
    column = rule.arguments[0]
    if schema[column] != "string":
        raise RuleError(f"ColumnLength needs a string column; {column!r} is {schema[column]}")
    extra = [Metric(fn, (column,), rule.where) for fn in ("minlen", "maxlen")]
    return _compliance(rule, Check("length", column, rule.condition), "ColumnLength", extra)


@_compiles("DataFreshness")
def _freshness(rule: Rule, schema: Mapping[str, str]) -> RulePlan:
    column = rule.arguments[0]
    if _family(schema[column]) not in (*TEMPORAL_TYPES, "string"):
        raise RuleError(f"DataFreshness needs a date or timestamp column; {column!r} is {schema[column]}")
    return _compliance(rule, Check("fresh", column, rule.condition), "DataFreshness")


@_compiles("ColumnDataType")
def _data_type(rule: Rule, schema: Mapping[str, str]) -> RulePlan:
    column = rule.arguments[0]
    assert rule.condition is not None
    names = [str(v).upper() for v in rule.condition.plain_operands() if isinstance(v, str)]
    unknown = [n for n in names if n not in DATA_TYPES]
    if unknown:
        raise RuleError(f"ColumnDataType: unknown type {unknown[0]!r}; use one of {', '.join(DATA_TYPES)}")
    if schema[column] != "string":  # a typed column conforms (or not) as a whole
        family = _family(schema[column])
        hit = any(family in DATA_TYPES[n] for n in names)
        ok = hit if rule.condition.op in ("=", "in") else not hit
        name = f"Column.{column}.ColumnDataType.Compliance"
        value = 1.0 if ok else 0.0
        passed = rule.threshold.holds(value) if rule.threshold is not None else ok
        note = f"Column {column!r} is {schema[column]}."
        return _plan(rule, [], lambda _v: Measurement(value, {name: value}, passed=passed, note=note))
    return _compliance(rule, Check("type", column, rule.condition), "ColumnDataType")


@_compiles("CustomSql")
def _custom_sql(rule: Rule, schema: Mapping[str, str]) -> RulePlan:
    statement = rule.arguments[0]
    if rule.condition is None:
        return _compliance(rule, Check("sqlrows", "", None, statement), "CustomSQL")
    sql = Sql(statement)
    name = "Dataset.*.CustomSQL"

    def measure(values: Values) -> Measurement:
        value = need(values, sql)
        if value is None:
            raise RuleError("CustomSql returned NULL; the statement must return one numeric value")
        return Measurement(float(value), {name: float(value)}, name)  # type: ignore[arg-type]

    return _plan(rule, [sql], measure)


@_compiles("RowCountMatch")
def _row_count_match(rule: Rule, schema: Mapping[str, str]) -> RulePlan:
    alias = rule.arguments[0]
    count, reference = Metric("count"), Reference("rows", alias)
    name = f"Dataset.{alias}.RowCountMatch"

    def measure(values: Values) -> Measurement:
        value = ratio(need(values, count), need(values, reference), name)
        return Measurement(value, {name: value}, name)

    return _plan(rule, [count, reference], measure)


@_compiles("SchemaMatch")
def _schema_match(rule: Rule, schema: Mapping[str, str]) -> RulePlan:
    alias = rule.arguments[0]
    reference = Reference("schema", alias)
    name = f"Dataset.{alias}.SchemaMatch"

    def measure(values: Values) -> Measurement:
        other: Mapping[str, str] = need(values, reference)  # type: ignore[assignment]
        names = set(schema) | set(other)
        same = [c for c in names if c in schema and schema[c] == other.get(c)]
        value = len(same) / len(names) if names else 1.0
        return Measurement(value, {name: value}, name)

    return _plan(rule, [reference], measure)


@_compiles("ReferentialIntegrity")
def _referential_integrity(rule: Rule, schema: Mapping[str, str]) -> RulePlan:
    primary = _split(rule.arguments[0])
    target = rule.arguments[1]
    if target.endswith("}"):
        alias, _, cols = target[:-1].partition(".{")
    else:
        alias, _, cols = target.rpartition(".")
    reference = Reference("integrity", alias, (tuple(primary), tuple(_split(cols))))
    name = f"{column_key(primary)}.ReferentialIntegrity"

    def measure(values: Values) -> Measurement:
        value = float(need(values, reference))  # type: ignore[arg-type]
        return Measurement(value, {name: value}, name)

    return _plan(rule, [reference], measure)


@_compiles("DatasetMatch")
def _dataset_match(rule: Rule, schema: Mapping[str, str]) -> RulePlan:
    alias, keys = rule.arguments[0], tuple(_mapping(rule.arguments[1]))
    key_names = {left for left, _ in keys}
    columns = (
        tuple(_mapping(rule.arguments[2]))
        if len(rule.arguments) > 2
        else tuple((c, c) for c in schema if c not in key_names)
    )
    reference = Reference("match", alias, (keys, columns))
    name = f"Dataset.{alias}.DatasetMatch"

    def measure(values: Values) -> Measurement:
        value = float(need(values, reference))  # type: ignore[arg-type]
        return Measurement(value, {name: value}, name)

    return _plan(rule, [reference], measure)


_AGGREGATE = re.compile(r"\s*(sum|avg)\s*\(\s*(.+?)\s*\)\s*", re.IGNORECASE)


@_compiles("AggregateMatch")
def _aggregate_match(rule: Rule, schema: Mapping[str, str]) -> RulePlan:
    sides: list[tuple[Request, str]] = []
    for text in rule.arguments:
        match = _AGGREGATE.fullmatch(text)
        assert match is not None  # the parser checked the form
        fn = {"sum": "sum", "avg": "mean"}[match.group(1).lower()]
        target = match.group(2)
        if target in schema:
            sides.append((Metric(fn, (target,)), target))
            continue
        alias, _, column = target.rpartition(".")
        if not alias:
            raise RuleError(f"AggregateMatch: column {target!r} not found in the dataset")
        sides.append((Reference("aggregate", alias, (fn, column)), column))
    names = list(dict.fromkeys(column for _, column in sides))
    name = f"Column.{','.join(names)}.AggregateMatch"

    def measure(values: Values) -> Measurement:
        first, second = (need(values, request) for request, _ in sides)
        if first is None or second is None:
            raise RuleError("AggregateMatch: an aggregate is NULL (no non-null values)")
        low, high = sorted((abs(float(first)), abs(float(second))))  # type: ignore[arg-type]
        value = 1.0 if high == 0 else low / high
        return Measurement(value, {name: value}, name)

    return _plan(rule, [request for request, _ in sides], measure)


def _file_share(rule: Rule, facts: list, passes: Callable[[object], bool], label: str) -> Measurement:
    """The share of files passing ``passes``; all must pass unless the rule has a threshold."""
    good = sum(passes(f) for f in facts)
    value = good / len(facts)
    name = f"Dataset.*.{label}"
    ok = rule.threshold.holds(value) if rule.threshold is not None else good == len(facts)
    note = f"{len(facts) - good} of {len(facts)} files did not meet the constraint requirement!"
    return Measurement(value, {name: value}, passed=ok, note=note)


@_compiles("FileSize", "FileFreshness", "FileUniqueness", "FileMatch")
def _files(rule: Rule, schema: Mapping[str, str]) -> RulePlan:
    args = rule.arguments
    if not args:
        raise RuleError(f"{rule.rule_type} needs a DataPath here: Sluice checks files at a path, not the dataset's")
    hashed = rule.rule_type in ("FileUniqueness", "FileMatch")
    algorithm = rule.tag_values.get("hashAlgorithm", "MD5") if hashed else None
    sides = [Files(path, algorithm) for path in args]

    def measure(values: Values) -> Measurement:
        facts = [need(values, side) for side in sides]
        first: list = facts[0]  # type: ignore[assignment]
        assert rule.condition is not None or rule.rule_type == "FileMatch"
        if rule.rule_type == "FileSize":
            return _file_share(rule, first, lambda f: rule.condition.holds(f.size), "FileSize")  # type: ignore[union-attr]
        if rule.rule_type == "FileFreshness":
            return _file_share(rule, first, lambda f: rule.condition.holds(f.modified), "FileFreshness")  # type: ignore[union-attr]
        if rule.rule_type == "FileUniqueness":
            value = len({f.digest for f in first}) / len(first)
            return Measurement(value, {"Dataset.*.FileUniqueness": value}, "Dataset.*.FileUniqueness")
        if len(facts) == 2:
            other = {f.digest for f in facts[1]}  # type: ignore[attr-defined]
            return _file_share(rule, first, lambda f: f.digest in other, "FileMatch")
        return _file_share(rule, first, lambda f: rule.condition.holds(f.digest), "FileMatch")  # type: ignore[union-attr]

    return _plan(rule, sides, measure)


@_compiles("DetectAnomalies")
def _detect_anomalies(rule: Rule, schema: Mapping[str, str]) -> RulePlan:
    metric, *params = rule.arguments
    metric = "CustomSql" if metric == "CustomSQL" else metric
    inner = compile_rule(Rule(metric, tuple(Parameter(p) for p in params)), schema)
    if inner.error is not None:
        raise RuleError(inner.error)

    def measure(values: Values) -> Measurement:
        m = _measure(inner, values)
        if m.primary is None or m.value is None:
            raise RuleError(f"DetectAnomalies: {metric} produced no metric to watch")
        return replace(m, anomaly=True, passed=None)

    return _plan(rule, inner.requests, measure)


def reference_aliases(ruleset: Ruleset) -> set[str]:
    """Aliases of the reference datasets a ruleset reads (DataSources and rule parameters)."""
    aliases = set(ruleset.data_sources.get("AdditionalDataSources", []))
    for rule in ruleset.leaf_rules():
        args = rule.arguments
        if rule.rule_type in ("RowCountMatch", "SchemaMatch", "DatasetMatch"):
            aliases.add(args[0])
        elif rule.rule_type == "ReferentialIntegrity":
            target = args[1]
            aliases.add(target[:-1].partition(".{")[0] if target.endswith("}") else target.rpartition(".")[0])
        elif rule.rule_type == "AggregateMatch":
            for text in args:
                match = _AGGREGATE.fullmatch(text)
                if match and "." in match.group(2):
                    aliases.add(match.group(2).rpartition(".")[0])
    return aliases
