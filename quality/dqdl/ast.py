"""DQDL syntax tree: frozen dataclasses whose ``str()`` is the text AWS's reference printer gives.

``str()`` matches the ``toString()`` of awslabs/dqdl's model (``DQRule``, ``DQRuleset`` and the
conditions' ``getFormattedCondition``): one space between tokens, lists joined by ``","`` (``", "``
for durations), ``AND``/``OR`` upper-case with every operand in parentheses, keywords upper-case,
numbers, strings, where clauses and tags as written. Where the reference's output could not be read
back (escapes in ``in`` lists, constants, ``DefaultLabels``) the text stays valid DQDL instead.
"""

from __future__ import annotations

import datetime as dt
import math
import re
import statistics
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from quality.dqdl.errors import DQDLEvaluationError

# --- operands -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Number:
    """A numeric literal, kept as written (``"-0.5"``, ``"10"``)."""

    text: str

    @property
    def value(self) -> float:
        """The literal's value."""
        return float(self.text)

    def __str__(self) -> str:
        return self.text


@dataclass(frozen=True)
class FunctionCall:
    """A dynamic-rule function such as ``avg(last(10))``; arguments are numeric expressions."""

    name: str
    args: tuple[NumericExpr, ...] = ()

    def __str__(self) -> str:
        return f"{self.name}({','.join(map(str, self.args))})"


@dataclass(frozen=True)
class BinaryOp:
    """``left op right`` with ``op`` one of ``+ - * /``.

    As in the ANTLR grammar all four operators share one precedence and associate to the left:
    ``1 + 2 * 3`` is ``(1 + 2) * 3``.
    """

    op: str
    left: NumericExpr
    right: NumericExpr

    def __str__(self) -> str:
        return f"{self.left} {self.op} {self.right}"


@dataclass(frozen=True)
class Group:
    """A parenthesised numeric expression, kept so that printing is exact.

    As in the reference, where parentheses are a flag on the operand, ``((x))`` prints ``(x)``.
    """

    inner: NumericExpr

    def __str__(self) -> str:
        inner = self.inner
        while isinstance(inner, Group):
            inner = inner.inner
        return f"({inner})"


@dataclass(frozen=True)
class Keyword:
    """``NULL``, ``EMPTY`` or ``WHITESPACES_ONLY``."""

    name: str

    def __str__(self) -> str:
        return self.name


@dataclass(frozen=True)
class String:
    """A quoted string; ``raw`` is the text between the quotes as written (escapes intact)."""

    value: str
    raw: str | None = field(default=None, compare=False)

    def __str__(self) -> str:
        return f'"{self.raw if self.raw is not None else escape(self.value)}"'


@dataclass(frozen=True)
class VariableRef:
    """``$name``; ``resolved`` holds the constant's value(s) as string/keyword operands."""

    name: str
    resolved: tuple[String | Keyword, ...] = ()

    def __str__(self) -> str:
        return f"${self.name}"


@dataclass(frozen=True)
class Date:
    """A date literal ``"yyyy-mm-dd"``."""

    text: str

    @property
    def value(self) -> dt.date:
        """The date."""
        return dt.date.fromisoformat(self.text)

    def __str__(self) -> str:
        return f'"{self.text}"'


@dataclass(frozen=True)
class Time:
    """A time of day literal, ``"9:30 AM"`` or ``"21:30"``, meaning that time today."""

    text: str

    @property
    def value(self) -> dt.time:
        """The time of day."""
        if self.text.endswith(("AM", "PM")):
            return dt.datetime.strptime(self.text, "%I:%M %p").time()
        return dt.time.fromisoformat(self.text)

    def __str__(self) -> str:
        return f'"{self.text}"'


@dataclass(frozen=True)
class Duration:
    """``<amount> days|hours|minutes``."""

    amount: int
    unit: str

    @property
    def value(self) -> dt.timedelta:
        """The duration as a timedelta."""
        return dt.timedelta(**{self.unit: self.amount})

    def __str__(self) -> str:
        return f"{self.amount} {self.unit}"


@dataclass(frozen=True)
class Now:
    """``now()`` or ``(now() - 3 days)``: ``op`` is ``+``/``-`` when an offset is given."""

    op: str | None = None
    offset: Duration | None = None

    def __str__(self) -> str:
        return "now()" if self.offset is None else f"(now() {self.op} {self.offset})"


SIZE_FACTORS = {"B": 1, "KB": 1024, "MB": 1024**2, "GB": 1024**3, "TB": 1024**4}


@dataclass(frozen=True)
class Size:
    """``<amount> B|KB|MB|GB|TB`` (binary multiples)."""

    amount: int
    unit: str

    @property
    def value(self) -> int:
        """The size in bytes."""
        return self.amount * SIZE_FACTORS[self.unit]

    def __str__(self) -> str:
        return f"{self.amount} {self.unit}"


NumericExpr = Number | FunctionCall | BinaryOp | Group
Operand = NumericExpr | Keyword | String | VariableRef | Date | Time | Now | Duration | Size


def escape(value: str) -> str:
    """Escape ``value`` for a DQDL string so that the lexer reads it back unchanged."""
    out = []
    for index, ch in enumerate(value):
        nxt = value[index + 1 : index + 2]
        if ch == '"' or (ch == "\\" and nxt in ('"', "\\", "")):
            out.append("\\")
        out.append(ch)
    return "".join(out)


# --- conditions ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Condition:
    """A comparison: ``op`` is one of ``= != > >= < <= between, not between, in, not in, matches,
    not matches``; ``kind`` is ``number``, ``string``, ``date``, ``duration`` or ``size``."""

    op: str
    operands: tuple[Operand, ...]
    kind: str

    def __str__(self) -> str:
        if self.op.endswith("between"):
            return f"{self.op} {self.operands[0]} and {self.operands[1]}"
        if self.op.endswith("in"):
            if len(self.operands) == 1 and isinstance(self.operands[0], VariableRef):
                return f"{self.op} {self.operands[0]}"
            separator = ", " if self.kind == "duration" else ","
            return f"{self.op} [{separator.join(map(str, self.operands))}]"
        return f"{self.op} {self.operands[0]}"

    @property
    def is_dynamic(self) -> bool:
        """True when an operand uses a dynamic-rule function such as ``last()``."""
        return any(_has_call(operand) for operand in self.operands)

    def holds(
        self,
        value: object,
        *,
        now: dt.datetime | None = None,
        history: Sequence[float] | None = None,
    ) -> bool:
        """Whether ``value`` satisfies the condition.

        ``value`` is a number, string, date/datetime, timedelta (duration kind; a date/datetime is
        turned into its age), byte count (size kind) or ``None`` for NULL. ``now`` defaults to the
        current UTC time; datetimes are compared as aware UTC (a naive one is taken as UTC).
        ``history`` holds the metric's previous values, oldest first, for dynamic expressions
        (``last(k)`` takes the newest ``k``).
        ``between`` is exclusive and ``not between`` inclusive, as AWS documents. A NULL value
        satisfies only ``!=``, ``not in`` and comparisons with the ``NULL`` keyword; regular
        expressions must match the whole value.
        """
        return _condition_holds(self, value, _utc(now or dt.datetime.now(dt.UTC)), tuple(history or ()))

    def plain_operands(self, *, now: dt.datetime | None = None, history: Sequence[float] | None = None) -> list[object]:
        """The operands as :meth:`holds` compares them: ``$constants`` expanded, strings, numbers,
        aware-UTC datetimes, timedeltas, byte counts, and :class:`Keyword` for NULL/EMPTY/WHITESPACES_ONLY."""
        return _plain_operands(self, _utc(now or dt.datetime.now(dt.UTC)), tuple(history or ()))

    def operand_values(self, *, history: Sequence[float] | None = None) -> list[float | None]:
        """The numeric operands evaluated against ``history``, ``None`` for NULL (number kinds only)."""
        return [_numeric(operand, tuple(history or ())) for operand in self.operands]


def _has_call(operand: Operand) -> bool:
    if isinstance(operand, FunctionCall):
        return True
    if isinstance(operand, BinaryOp):
        return _has_call(operand.left) or _has_call(operand.right)
    return isinstance(operand, Group) and _has_call(operand.inner)


# --- rules -----------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Parameter:
    """A rule parameter: ``value`` is the resolved text; ``connector`` is a leading ``of``/``and``;
    ``variable`` names the ``$constant`` it came from."""

    value: str
    quoted: bool = True
    connector: str | None = None
    variable: str | None = None

    def __str__(self) -> str:
        text = f'"{self.value}"' if self.quoted else self.value
        if self.variable is not None:
            text = f"${self.variable}"
        return f"{self.connector} {text}" if self.connector else text


@dataclass(frozen=True)
class Tag:
    """A ``with <key> = <value>`` option such as ``with hashAlgorithm = "MD5"``."""

    key: str
    value: String | Number

    def __str__(self) -> str:
        return f"with {self.key} = {self.value}"


def format_labels(labels: dict[str, str]) -> str:
    """``["k"="v", ...]`` as written after ``labels=`` and ``DefaultLabels=``."""
    return "[" + ", ".join(f'"{key}"="{value}"' for key, value in labels.items()) + "]"


@dataclass(frozen=True)
class Rule:
    """A leaf rule such as ``ColumnValues "a" in [1, 2] where "b > 0" with threshold > 0.9``.

    ``rule_labels`` are the labels written on the rule; ``labels`` also include the ruleset's
    ``DefaultLabels`` (rule labels win on equal keys).
    """

    rule_type: str
    parameters: tuple[Parameter, ...] = ()
    condition: Condition | None = None
    where: str | None = None
    threshold: Condition | None = None
    tags: tuple[Tag, ...] = ()
    rule_labels: dict[str, str] = field(default_factory=dict, hash=False)
    labels: dict[str, str] = field(default_factory=dict, hash=False)

    @property
    def arguments(self) -> list[str]:
        """The parameter values, in order."""
        return [parameter.value for parameter in self.parameters]

    @property
    def tag_values(self) -> dict[str, str]:
        """Tags as ``{key: value}`` strings (e.g. ``{"hashAlgorithm": "MD5"}``)."""
        return {tag.key: tag.value.value if isinstance(tag.value, String) else tag.value.text for tag in self.tags}

    @property
    def text(self) -> str:
        """The canonical DQDL text of the rule."""
        return str(self)

    def __str__(self) -> str:
        parts = [self.rule_type, *map(str, self.parameters)]
        if self.condition is not None:
            parts.append(str(self.condition))
        if self.where is not None:
            parts.append(f'where "{self.where}"')
        if self.threshold is not None:
            parts.append(f"with threshold {self.threshold}")
        parts.extend(map(str, self.tags))
        if self.rule_labels:
            parts.append("labels=" + format_labels(self.rule_labels))
        return " ".join(parts)


@dataclass(frozen=True)
class CompositeRule:
    """Rules joined by ``and``/``or``; each operand may itself be composite."""

    op: str
    rules: tuple[Rule | CompositeRule, ...]
    rule_labels: dict[str, str] = field(default_factory=dict, hash=False)
    labels: dict[str, str] = field(default_factory=dict, hash=False)

    @property
    def text(self) -> str:
        """The canonical DQDL text of the rule."""
        return str(self)

    @property
    def is_uniform(self) -> bool:
        """True when every composite inside uses this rule's operator (``(A) and ((B) and (C))``)."""
        return all(isinstance(rule, Rule) or (rule.op == self.op and rule.is_uniform) for rule in self.rules)

    def leaves(self) -> list[Rule]:
        """The leaf rules, in order."""
        return [leaf for rule in self.rules for leaf in ([rule] if isinstance(rule, Rule) else rule.leaves())]

    def __str__(self) -> str:
        body = _composite_text(self.op, self.rules)
        if self.rule_labels:
            return f"({body}) labels={format_labels(self.rule_labels)}"
        return body


def _composite_text(op: str, rules: Sequence[Rule | CompositeRule]) -> str:
    """``(A) AND (B)`` as the reference prints its binary, left-nested composites.

    A chain that uses one operator throughout prints flat; otherwise the reference's tree is
    ``op(op(A, B), C)`` and each side is printed in parentheses.
    """
    word = f" {op.upper()} "
    node = CompositeRule(op, tuple(rules))
    if node.is_uniform:
        return word.join(f"({leaf})" for leaf in node.leaves())
    head = rules[0] if len(rules) == 2 else CompositeRule(op, tuple(rules[:-1]))
    return f"({head}){word}({rules[-1]})"


@dataclass(frozen=True)
class Analyzer:
    """An entry of the ``Analyzers`` section, e.g. ``AllStatistics "col"``."""

    analyzer_type: str
    parameters: tuple[Parameter, ...] = ()

    @property
    def arguments(self) -> list[str]:
        """The parameter values, in order."""
        return [parameter.value for parameter in self.parameters]

    def __str__(self) -> str:
        return " ".join([self.analyzer_type, *map(str, self.parameters)])


@dataclass(frozen=True)
class Variable:
    """A constant ``name = "value"`` or ``name = ["a", "b"]`` declared before ``Rules``."""

    name: str
    value: String | Keyword | tuple[String | Keyword, ...]

    @property
    def is_list(self) -> bool:
        """True for an array constant."""
        return isinstance(self.value, tuple)

    def __str__(self) -> str:
        if isinstance(self.value, tuple):
            return f"{self.name} = [{', '.join(map(str, self.value))}]"
        return f"{self.name} = {self.value}"


def _format_value(value: str | list[str]) -> str:
    if isinstance(value, list):
        return "[ " + ", ".join(f'"{item}"' for item in value) + " ]"
    return f'"{value}"'


_SOURCE_ORDER = ("Primary", "AdditionalDataSources")


def _format_section(name: str, entries: list[str]) -> str:
    return f"{name} = [\n" + ",\n".join(f"    {entry}" for entry in entries) + "\n]"


@dataclass(frozen=True)
class Ruleset:
    """A parsed DQDL document.

    ``data_sources`` maps ``"Primary"`` to an alias and ``"AdditionalDataSources"`` to a list of
    reference aliases; ``variables`` maps constant names to :class:`Variable`.
    """

    rules: tuple[Rule | CompositeRule, ...] = ()
    analyzers: tuple[Analyzer, ...] = ()
    metadata: dict[str, str | list[str]] = field(default_factory=dict, hash=False)
    data_sources: dict[str, str | list[str]] = field(default_factory=dict, hash=False)
    variables: dict[str, Variable] = field(default_factory=dict, hash=False)
    default_labels: dict[str, str] = field(default_factory=dict, hash=False)
    source: str | None = field(default=None, compare=False)

    def leaf_rules(self) -> list[Rule]:
        """Every leaf rule, composites flattened, in document order."""
        out: list[Rule] = []

        def walk(rule: Rule | CompositeRule) -> None:
            if isinstance(rule, Rule):
                out.append(rule)
            else:
                for child in rule.rules:
                    walk(child)

        for rule in self.rules:
            walk(rule)
        return out

    def __str__(self) -> str:
        """The reference's ``DQRuleset.toString()``: sections apart by a blank line, no final newline.

        The reference leaves out ``DefaultLabels`` and constants, so its text of such a ruleset does
        not parse; they are printed here, before ``Rules``, where the grammar puts them.
        """
        blocks = []
        sources = {key: self.data_sources[key] for key in _SOURCE_ORDER if key in self.data_sources}
        sources |= self.data_sources
        for name, mapping in (("Metadata", self.metadata), ("DataSources", sources)):
            if mapping:
                body = ",\n".join(f'    "{key}": {_format_value(value)}' for key, value in mapping.items())
                blocks.append(f"{name} = {{\n{body}\n}}")
        if self.default_labels:
            blocks.append("DefaultLabels=" + format_labels(self.default_labels))
        if self.variables:
            blocks.append("\n".join(map(str, self.variables.values())))
        if self.rules:
            blocks.append(_format_section("Rules", [str(rule) for rule in self.rules]))
        if self.analyzers:
            blocks.append(_format_section("Analyzers", [str(analyzer) for analyzer in self.analyzers]))
        return "\n\n".join(blocks)


# --- evaluation ------------------------------------------------------------------------------------

_AGGREGATES: dict[str, Callable[[list[float]], float]] = {
    "avg": statistics.fmean,
    "median": statistics.median,
    "max": max,
    "min": min,
    "sum": math.fsum,
    "std": statistics.pstdev,
}


def _utc(moment: dt.datetime | dt.date) -> dt.datetime:
    """``moment`` as an aware UTC datetime: a naive one is UTC wall time, a date is its midnight UTC."""
    if not isinstance(moment, dt.datetime):
        return dt.datetime.combine(moment, dt.time(), tzinfo=dt.UTC)
    if moment.tzinfo is None:
        return moment.replace(tzinfo=dt.UTC)
    return moment.astimezone(dt.UTC)


def _scalar(value: float | list[float], expr: object) -> float:
    if not isinstance(value, list):
        return value
    if len(value) == 1:
        return value[0]
    raise DQDLEvaluationError(f"{expr} gives {len(value)} values; reduce it with avg(), max(), index() ...")


def _numeric(operand: Operand, history: tuple[float, ...]) -> float | None:
    if isinstance(operand, Keyword):
        return None
    return _scalar(_evaluate(operand, history), operand)


def _evaluate(expr: Operand, history: tuple[float, ...]) -> float | list[float]:
    if isinstance(expr, Number):
        return expr.value
    if isinstance(expr, Group):
        return _evaluate(expr.inner, history)
    if isinstance(expr, FunctionCall):
        return _call(expr, [_evaluate(arg, history) for arg in expr.args], history)
    if isinstance(expr, BinaryOp):
        left = _scalar(_evaluate(expr.left, history), expr.left)
        right = _scalar(_evaluate(expr.right, history), expr.right)
        if expr.op == "+":
            return left + right
        if expr.op == "-":
            return left - right
        if expr.op == "*":
            return left * right
        if right == 0:
            raise DQDLEvaluationError(f"division by zero in {expr}")
        return left / right
    raise DQDLEvaluationError(f"{expr} is not a numeric expression")


def _call(call: FunctionCall, args: list[float | list[float]], history: tuple[float, ...]) -> float | list[float]:
    if call.name == "last":
        count = _scalar(args[0], call.args[0]) if args else 1
        if len(args) > 1 or count != int(count) or count < 1:
            raise DQDLEvaluationError(f"{call}: last() takes one natural number")
        return [float(value) for value in history[-int(count) :]] or [0.0]
    if call.name == "index":
        if len(args) != 2 or not isinstance(args[0], list):
            raise DQDLEvaluationError(f"{call}: index() takes last(k) and a position")
        position = _scalar(args[1], call.args[1])
        if position != int(position) or not 0 <= position < len(args[0]):
            raise DQDLEvaluationError(f"{call}: position {position:g} is out of range")
        return args[0][-1 - int(position)]
    if call.name == "abs":
        if len(args) != 1:
            raise DQDLEvaluationError(f"{call}: abs() takes one argument")
        return abs(_scalar(args[0], call.args[0]))
    if call.name in _AGGREGATES:
        flat = [value for arg in args for value in (arg if isinstance(arg, list) else [arg])]
        if not flat:
            raise DQDLEvaluationError(f"{call}: no values to aggregate")
        return float(_AGGREGATES[call.name](flat))
    raise DQDLEvaluationError(f"unsupported function {call.name}() in {call}")


def _plain(operand: Operand, now: dt.datetime, history: tuple[float, ...]) -> object:
    if isinstance(operand, Keyword):
        return operand
    if isinstance(operand, String):
        return operand.value
    if isinstance(operand, Date):
        return _utc(operand.value)
    if isinstance(operand, Time):
        return dt.datetime.combine(now.date(), operand.value, tzinfo=dt.UTC)
    if isinstance(operand, Now):
        if operand.offset is None:
            return now
        return now - operand.offset.value if operand.op == "-" else now + operand.offset.value
    if isinstance(operand, Duration | Size):
        return operand.value
    return _numeric(operand, history)


def _equals(value: object, operand: object) -> bool:
    if isinstance(operand, Keyword):
        if operand.name == "NULL":
            return value is None
        if not isinstance(value, str):
            return False
        return value == "" if operand.name == "EMPTY" else value != "" and not value.strip()
    return value is not None and value == operand


def _plain_operands(condition: Condition, now: dt.datetime, history: tuple[float, ...]) -> list[object]:
    operands: list[object] = []
    for operand in condition.operands:
        if isinstance(operand, VariableRef):
            operands.extend(_plain(item, now, history) for item in operand.resolved)
        else:
            operands.append(_plain(operand, now, history))
    return operands


def _condition_holds(condition: Condition, raw: object, now: dt.datetime, history: tuple[float, ...]) -> bool:
    value: Any = raw  # a number, string, datetime or timedelta once normalised; compared dynamically
    if value is not None:
        if condition.kind in ("number", "size"):
            value = float(value)
        elif condition.kind == "date" or (condition.kind == "duration" and isinstance(value, dt.date)):
            value = _utc(value)
            if condition.kind == "duration":
                value = now - value
    operands: list[Any] = _plain_operands(condition, now, history)
    op = condition.op
    if op in ("=", "!=", "in", "not in"):
        hit = any(_equals(value, operand) for operand in operands)
        return hit if op in ("=", "in") else not hit
    if value is None or any(operand is None or isinstance(operand, Keyword) for operand in operands):
        return False
    if op.endswith("matches"):
        hit = isinstance(value, str) and re.fullmatch(str(operands[0]), value) is not None
        return hit if op == "matches" else not hit
    first = operands[0]
    if op == "between":
        return first < value < operands[1]
    if op == "not between":
        return value <= first or value >= operands[1]
    return {">": value > first, ">=": value >= first, "<": value < first, "<=": value <= first}[op]
