"""AWS Glue Data Quality Definition Language (DQDL): parser, syntax tree and condition evaluation.

>>> ruleset = parse('Rules = [ RowCount > avg(last(10)) * 0.8, IsComplete "id" ]')
>>> str(ruleset.rules[0])
'RowCount > avg(last(10)) * 0.8'
>>> ruleset.rules[0].condition.holds(90, history=[100, 110])
True
"""

from __future__ import annotations

from pathlib import Path

from quality.dqdl.ast import (
    Analyzer,
    BinaryOp,
    CompositeRule,
    Condition,
    Date,
    Duration,
    FunctionCall,
    Group,
    Keyword,
    Now,
    Number,
    Parameter,
    Rule,
    Ruleset,
    Size,
    String,
    Tag,
    Time,
    Variable,
    VariableRef,
)
from quality.dqdl.errors import DQDLEvaluationError, DQDLSyntaxError
from quality.dqdl.parser import Parser
from quality.dqdl.rules import RULE_TYPES, RuleSpec, lookup

__all__ = [
    "RULE_TYPES",
    "Analyzer",
    "BinaryOp",
    "CompositeRule",
    "Condition",
    "DQDLEvaluationError",
    "DQDLSyntaxError",
    "Date",
    "Duration",
    "FunctionCall",
    "Group",
    "Keyword",
    "Now",
    "Number",
    "Parameter",
    "Rule",
    "RuleSpec",
    "Ruleset",
    "Size",
    "String",
    "Tag",
    "Time",
    "Variable",
    "VariableRef",
    "lookup",
    "parse",
    "parse_file",
    "parse_rule",
]


def parse(text: str, *, source: str | None = None) -> Ruleset:
    """Parse a DQDL document; raises :class:`DQDLSyntaxError` (with line, column and caret)."""
    return Parser(text, source).parse_document()


def parse_file(path: str | Path) -> Ruleset:
    """Parse the DQDL document stored (UTF-8) at ``path``; errors name the file."""
    return parse(Path(path).read_text(encoding="utf-8"), source=str(path))


def parse_rule(text: str, *, source: str | None = None) -> Rule | CompositeRule:
    """Parse a single rule such as ``'Completeness "id" > 0.95'`` (no constants, no defaults)."""
    return Parser(text, source).parse_single()
