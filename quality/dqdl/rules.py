"""The DQDL rule-type catalogue and per-type validation of parameters and conditions.

The catalogue mirrors ``configuration/dqdl/rules-config.json`` of awslabs/dqdl: a type may have
several overloads that differ in parameter count (``FileMatch`` with two paths takes no condition,
with one or none it takes ``in [checksums]``).
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Sequence
from dataclasses import dataclass

from quality.dqdl.ast import Condition, Parameter

COLUMN = ("TargetColumn",)
PATH = ("DataPath",)

# Condition kinds each return type accepts; SIZE also accepts plain numbers (bytes).
KINDS_BY_RETURN = {
    "NUMBER": ("number",),
    "STRING": ("string",),
    "DATE": ("date",),
    "DURATION": ("duration",),
    "SIZE": ("size", "number"),
    "BOOLEAN": (),
}
EXAMPLES = {
    "number": "> 0.9",
    "string": '= "value"',
    "date": "> (now() - 1 days)",
    "duration": "<= 24 hours",
    "size": "< 10 MB",
}
# Metrics DetectAnomalies can watch, as documented by AWS.
ANOMALY_METRICS = (
    "RowCount",
    "Completeness",
    "Uniqueness",
    "Mean",
    "Sum",
    "StandardDeviation",
    "Entropy",
    "DistinctValuesCount",
    "UniqueValueRatio",
    "ColumnLength",
    "ColumnValues",
    "ColumnCorrelation",
    "CustomSql",
    "ColumnCount",
)
_AGGREGATE_EXPRESSION = re.compile(r"\s*(sum|avg)\s*\(.+\)\s*", re.IGNORECASE)


@dataclass(frozen=True)
class RuleSpec:
    """One overload of a rule type: parameter names, accepted return types and options."""

    name: str
    parameters: tuple[str, ...]
    returns: tuple[str, ...]
    var_arg: bool = False
    threshold: bool = False
    where: bool = False
    analyzer_only: bool = False

    def accepts(self, count: int) -> bool:
        """Whether ``count`` parameters fit this overload."""
        return count >= len(self.parameters) if self.var_arg else count == len(self.parameters)

    @property
    def condition_kinds(self) -> tuple[str, ...]:
        """Condition kinds allowed, in preference order; empty when no condition is allowed."""
        return tuple(kind for ret in self.returns for kind in KINDS_BY_RETURN[ret])

    @property
    def condition_optional(self) -> bool:
        """True when the rule may also be written without a condition (boolean result)."""
        return "BOOLEAN" in self.returns

    def parameter_map(self, values: Sequence[str]) -> dict[str, str]:
        """Parameter values keyed by name; var-args are numbered (``TargetColumn1``, ...)."""
        if not self.var_arg:
            return dict(zip(self.parameters, values, strict=True))
        fixed = len(self.parameters) - 1
        named = dict(zip(self.parameters[:fixed], values[:fixed], strict=True))
        named.update({f"{self.parameters[-1]}{i + 1}": v for i, v in enumerate(values) if i >= fixed})
        return named


def _column_metric(name: str) -> RuleSpec:
    return RuleSpec(name, COLUMN, ("NUMBER",), where=True)


SPECS: tuple[RuleSpec, ...] = (
    RuleSpec("RowCount", (), ("NUMBER",), where=True),
    RuleSpec("RowCountMatch", ("ReferenceDatasetAlias",), ("NUMBER",)),
    RuleSpec("ColumnCount", (), ("NUMBER",)),
    _column_metric("Completeness"),
    RuleSpec("IsComplete", COLUMN, ("BOOLEAN",), where=True),
    RuleSpec("ColumnDataType", COLUMN, ("STRING",), threshold=True, where=True),
    RuleSpec("ColumnNamesMatchPattern", ("PatternToMatch",), ("BOOLEAN",)),
    RuleSpec("ColumnExists", COLUMN, ("BOOLEAN",)),
    RuleSpec("ColumnCorrelation", ("TargetColumn1", "TargetColumn2"), ("NUMBER",), where=True),
    RuleSpec("Uniqueness", COLUMN, ("NUMBER",), var_arg=True, where=True),
    RuleSpec("IsUnique", COLUMN, ("BOOLEAN",), var_arg=True, where=True),
    _column_metric("Mean"),
    _column_metric("Sum"),
    _column_metric("StandardDeviation"),
    _column_metric("Variance"),
    _column_metric("Range"),
    _column_metric("Entropy"),
    _column_metric("DistinctValuesCount"),
    _column_metric("UniqueValueRatio"),
    _column_metric("ColumnLength"),
    RuleSpec("IsPrimaryKey", COLUMN, ("BOOLEAN",), var_arg=True, where=True),
    RuleSpec("ColumnValues", COLUMN, ("STRING", "NUMBER", "DATE"), threshold=True, where=True),
    RuleSpec("DataFreshness", COLUMN, ("DURATION",), where=True),
    RuleSpec("CustomSql", ("CustomSqlStatement",), ("NUMBER", "BOOLEAN"), threshold=True),
    RuleSpec("ReferentialIntegrity", ("PrimaryDatasetColumns", "ReferenceDatasetColumns"), ("NUMBER",)),
    RuleSpec("DatasetMatch", ("ReferenceDatasetAlias", "KeyColumnMappings"), ("NUMBER",)),
    RuleSpec("DatasetMatch", ("ReferenceDatasetAlias", "KeyColumnMappings", "MatchColumnMappings"), ("NUMBER",)),
    RuleSpec("SchemaMatch", ("ReferenceDatasetAlias",), ("NUMBER",)),
    RuleSpec("AggregateMatch", ("AggregateExpression1", "AggregateExpression2"), ("NUMBER",)),
    RuleSpec("DetectAnomalies", ("MetricParameter",), ("BOOLEAN",), var_arg=True),
    RuleSpec("AllStatistics", COLUMN, ("NUMBER",), analyzer_only=True),
    RuleSpec("FileMatch", ("DataPath", "CompareDataPath"), ("BOOLEAN",)),
    RuleSpec("FileMatch", PATH, ("STRING",)),
    RuleSpec("FileMatch", (), ("STRING",)),
    RuleSpec("FileUniqueness", PATH, ("NUMBER",)),
    RuleSpec("FileUniqueness", (), ("NUMBER",)),
    RuleSpec("FileFreshness", PATH, ("DATE",), threshold=True),
    RuleSpec("FileFreshness", (), ("DATE",), threshold=True),
    RuleSpec("FileSize", PATH, ("SIZE",), threshold=True),
    RuleSpec("FileSize", (), ("SIZE",), threshold=True),
)
RULE_TYPES: tuple[str, ...] = tuple(dict.fromkeys(spec.name for spec in SPECS))


class RuleProblem(Exception):
    """A rule that parses but breaks its type's contract; ``part`` says where to point."""

    def __init__(self, part: str, message: str, expected: Sequence[str] = (), hint: str | None = None) -> None:
        super().__init__(message)
        self.part = part
        self.message = message
        self.expected = list(expected)
        self.hint = hint


def _describe_counts(name: str) -> str:
    specs = [spec for spec in SPECS if spec.name == name]
    if any(spec.var_arg for spec in specs):
        spec = next(spec for spec in specs if spec.var_arg)
        return f"{len(spec.parameters)} or more parameters ({spec.parameters[-1]}...)"
    counts = sorted({len(spec.parameters) for spec in specs})
    if counts == [0]:
        return "no parameters"
    if len(counts) == 1:
        spec = specs[0]
        noun = "parameter" if counts[0] == 1 else "parameters"
        return f"{counts[0]} {noun} ({', '.join(spec.parameters)})"
    return f"{', '.join(map(str, counts[:-1]))} or {counts[-1]} parameters"


def lookup(name: str, count: int) -> RuleSpec:
    """The overload of ``name`` taking ``count`` parameters; raises :class:`RuleProblem` if none."""
    if name not in RULE_TYPES:
        close = difflib.get_close_matches(name, RULE_TYPES, n=3, cutoff=0.6)
        hint = f"did you mean {' or '.join(close)}? Rule types are case-sensitive" if close else None
        raise RuleProblem("type", f"unknown rule type {name!r}", close or ["a DQDL rule type"], hint)
    for spec in SPECS:
        if spec.name == name and spec.accepts(count):
            return spec
    raise RuleProblem("parameters", f"{name} takes {_describe_counts(name)} but got {count}")


def check_rule(
    rule_type: str,
    parameters: Sequence[Parameter],
    condition: Condition | None,
    *,
    has_where: bool,
    threshold: Condition | None,
) -> RuleSpec:
    """Validate a leaf rule against its type as AWS does; returns the matching overload."""
    spec = lookup(rule_type, len(parameters))
    if spec.analyzer_only:
        raise RuleProblem("type", f"{rule_type} is an analyzer; put it in the Analyzers section")
    _check_parameters(spec, [parameter.value for parameter in parameters])
    kinds = spec.condition_kinds
    if condition is None and not spec.condition_optional:
        wanted = " or ".join(dict.fromkeys(kinds))
        raise RuleProblem(
            "condition",
            f"{rule_type} needs a {wanted} condition",
            [f"a condition such as '{EXAMPLES[kinds[0]]}'"],
        )
    if condition is not None and not kinds:
        raise RuleProblem(
            "condition",
            f"{rule_type} takes no condition",
            hint=f"{rule_type} is a pass/fail check by itself; remove the condition",
        )
    if condition is not None and condition.kind not in kinds:
        wanted = " or ".join(dict.fromkeys(kinds))
        raise RuleProblem(
            "condition",
            f"{rule_type} needs a {wanted} condition, not a {condition.kind} condition",
            [f"a condition such as '{EXAMPLES[kinds[0]]}'"],
        )
    if has_where and not spec.where:
        raise RuleProblem("where", f"{rule_type} does not support a where clause")
    if threshold is not None and not spec.threshold:
        raise RuleProblem("threshold", f"{rule_type} does not support 'with threshold'")
    return spec


def _check_parameters(spec: RuleSpec, values: list[str]) -> None:
    if spec.name == "AggregateMatch":
        for value in values:
            if not _AGGREGATE_EXPRESSION.fullmatch(value):
                raise RuleProblem(
                    "parameters", f"AggregateMatch expects sum(...) or avg(...) expressions, not {value!r}"
                )
    elif spec.name == "ReferentialIntegrity":
        reference = values[1]
        if "." not in reference:
            raise RuleProblem(
                "parameters",
                f"ReferentialIntegrity reference {reference!r} must be <alias>.<column> or <alias>.{{col1,col2}}",
            )
        ref_columns = reference.rsplit(".", 1)[1] if not reference.endswith("}") else reference.split(".{", 1)[-1]
        if len(ref_columns.strip("{}").split(",")) != len(values[0].split(",")):
            raise RuleProblem("parameters", "ReferentialIntegrity needs as many reference columns as primary columns")
    elif spec.name == "DetectAnomalies":
        metric = "CustomSql" if values[0] == "CustomSQL" else values[0]
        if metric not in ANOMALY_METRICS:
            raise RuleProblem("parameters", f"DetectAnomalies cannot watch {values[0]!r}", [", ".join(ANOMALY_METRICS)])
        inner = lookup(metric, len(values) - 1)
        if inner.analyzer_only:
            raise RuleProblem("parameters", f"DetectAnomalies cannot watch {metric}")


def check_analyzer(analyzer_type: str, parameters: Sequence[Parameter]) -> RuleSpec:
    """Validate an entry of the ``Analyzers`` section; only metric-producing types are allowed."""
    spec = lookup(analyzer_type, len(parameters))
    if spec.returns == ("BOOLEAN",):
        raise RuleProblem("type", f"{analyzer_type} cannot be an analyzer: it produces no metric")
    return spec
