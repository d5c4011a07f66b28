"""DQDL printing: ``str()`` of rules, analyzers and rulesets equals awslabs/dqdl's ``toString()``.

The expected texts are in ``dqdl_corpus/reference_printer.txt`` (taken from the reference's tests,
which cite their source files); every rule there and in the valid corpus must also parse back from
its printed text to an equal tree.
"""

from __future__ import annotations

import dataclasses
import functools
from pathlib import Path
from typing import NamedTuple

import pytest

from quality.dqdl import BinaryOp, CompositeRule, Group, Number, Rule, Ruleset, Size, parse, parse_file, parse_rule

CORPUS = Path(__file__).parent / "dqdl_corpus"
REFERENCE = CORPUS / "reference_printer.txt"
VALID = sorted((CORPUS / "valid").glob("*.dqdl"))
ARROW = "  ==>  "
KINDS = {"analyzer: ": "analyzer", "ruleset: ": "ruleset", "condition ": "condition"}


class Case(NamedTuple):
    """One printing case of the reference file."""

    line: int
    section: str
    kind: str
    text: str
    expected: str
    constants: tuple[str, ...]

    @property
    def document(self) -> str:
        """DQDL text whose first rule or analyzer is the case (a ruleset case is the document)."""
        if self.kind == "ruleset":
            return self.text
        body = f"Analyzers = [ {self.text} ]" if self.kind == "analyzer" else f"Rules = [ {self.text} ]"
        return "\n".join([*self.constants, body])


def _cases() -> list[Case]:
    cases: list[Case] = []
    section, constants = "", ()
    for number, line in enumerate(REFERENCE.read_text(encoding="utf-8").splitlines(), 1):
        if not line.strip() or line.startswith("#"):
            continue
        if line.startswith("== "):
            section, constants = line[3:], ()
            continue
        if line.startswith("const "):
            constants = (*constants, line.removeprefix("const "))
            continue
        kind = next((name for prefix, name in KINDS.items() if line.startswith(prefix)), "rule")
        text = next((line.removeprefix(p) for p, name in KINDS.items() if name == kind), line)
        text, arrow, expected = text.partition(ARROW)
        expected = expected if arrow else text
        if kind == "ruleset":
            expected = expected.replace("\\n", "\n")
        cases.append(Case(number, section, kind, text, expected, constants))
    return cases


CASES = _cases()


def _printed(case: Case) -> str:
    ruleset = parse(case.document)
    if case.kind == "ruleset":
        return str(ruleset)
    if case.kind == "analyzer":
        return str(ruleset.analyzers[0])
    rule = ruleset.rules[0]
    if case.kind == "condition":
        assert isinstance(rule, Rule)
        return str(rule.condition)
    return str(rule)


@pytest.mark.parametrize("case", CASES, ids=lambda c: f"line{c.line}")
def test_prints_like_the_reference(case: Case) -> None:
    assert _printed(case) == case.expected, case.section


def test_reference_file_covers_the_reference_tests() -> None:
    sections = {case.section.split(" (")[0].rsplit("/", 1)[-1] for case in CASES}
    assert {"DQRuleTest.java", "DQRulesetTest.java", "DQAnalyzerTest.java"} <= sections
    assert sum(case.kind == "rule" for case in CASES) >= 240
    assert sum(case.kind == "ruleset" for case in CASES) >= 9


# --- round trips -------------------------------------------------------------------------------------


def _alone(ruleset: Ruleset, rule: Rule | CompositeRule) -> Ruleset:
    """``ruleset`` with ``rule`` as its only entry (constants and default labels kept)."""
    return dataclasses.replace(ruleset, rules=(rule,), analyzers=())


@functools.cache
def _valid(path: Path) -> Ruleset:
    return parse_file(path)


ROUND_TRIPS = [
    pytest.param(path, index, id=f"{path.stem}:{index}") for path in VALID for index in range(len(_valid(path).rules))
]


@pytest.mark.parametrize(("path", "index"), ROUND_TRIPS)
def test_corpus_rule_parses_back_from_its_text(path: Path, index: int) -> None:
    ruleset = _valid(path)
    rule = ruleset.rules[index]
    again = parse(str(_alone(ruleset, rule))).rules[0]
    assert again == rule
    assert str(again) == str(rule)


@pytest.mark.parametrize("case", [c for c in CASES if c.kind != "ruleset"], ids=lambda c: f"line{c.line}")
def test_reference_case_parses_back_from_its_text(case: Case) -> None:
    ruleset = parse(case.document)
    entry = ruleset.analyzers[0] if case.kind == "analyzer" else ruleset.rules[0]
    text = str(ruleset)
    again = parse(text)
    assert again == ruleset
    assert str(again) == text
    assert str(again.analyzers[0] if case.kind == "analyzer" else again.rules[0]) == str(entry)


@pytest.mark.parametrize("case", [c for c in CASES if c.kind == "ruleset"], ids=lambda c: f"line{c.line}")
def test_reference_ruleset_parses_back_from_its_text(case: Case) -> None:
    ruleset = parse(case.document)
    assert parse(str(ruleset)) == ruleset


# --- formats -----------------------------------------------------------------------------------------


def test_lists_join_with_commas_except_durations() -> None:
    assert str(parse_rule('ColumnValues "a" in [ 1, 2 ,3 ]')) == 'ColumnValues "a" in [1,2,3]'
    assert str(parse_rule("FileSize not in [ 1 KB, 2 MB ]")) == "FileSize not in [1 KB,2 MB]"
    assert str(parse_rule('DataFreshness "a" in [1 days,2 hours]')) == 'DataFreshness "a" in [1 days, 2 hours]'
    assert str(parse_rule("RowCount = max(1, 2, avg(last( 3 )))")) == "RowCount = max(1,2,avg(last(3)))"


def test_composites_print_upper_case_and_left_nested() -> None:
    cases = {
        "(RowCount > 0) and (ColumnCount > 1)": "(RowCount > 0) AND (ColumnCount > 1)",
        "((RowCount > 0) or (RowCount > 1)) or (RowCount > 2)": "(RowCount > 0) OR (RowCount > 1) OR (RowCount > 2)",
        "(RowCount > 0) or ((RowCount > 1) or (RowCount > 2))": "(RowCount > 0) OR (RowCount > 1) OR (RowCount > 2)",
        "(RowCount > 0) and (RowCount > 1) and ((RowCount > 2) or (RowCount > 3))": (
            "((RowCount > 0) AND (RowCount > 1)) AND ((RowCount > 2) OR (RowCount > 3))"
        ),
        "(RowCount > 0) and ((RowCount > 1) and ((RowCount > 2) or (RowCount > 3)))": (
            "(RowCount > 0) AND ((RowCount > 1) AND ((RowCount > 2) OR (RowCount > 3)))"
        ),
        "(RowCount > 0) and (RowCount > 1) or (RowCount > 2)": "((RowCount > 0) AND (RowCount > 1)) OR (RowCount > 2)",
    }
    assert {text: str(parse_rule(text)) for text in cases} == cases


def test_equivalent_composites_parse_to_one_tree() -> None:
    flat = parse_rule("(RowCount > 0) and (RowCount > 1) and (RowCount > 2)")
    assert isinstance(flat, CompositeRule) and len(flat.rules) == 3
    assert parse_rule("((RowCount > 0) and (RowCount > 1)) and (RowCount > 2)") == flat
    assert parse_rule("(RowCount > 0) and ((RowCount > 1) and (RowCount > 2))") == flat
    mixed = parse_rule("((RowCount > 0) and ((RowCount > 1) or (RowCount > 2))) and (RowCount > 3)")
    assert isinstance(mixed, CompositeRule) and [type(r).__name__ for r in mixed.rules] == [
        "Rule",
        "CompositeRule",
        "Rule",
    ]


def test_size_rules_read_bare_integers_as_bytes() -> None:
    rule = parse_rule('FileSize "s3://b/" between 10 and 2048 with threshold > 0.5')
    assert isinstance(rule, Rule) and rule.condition is not None
    assert rule.condition.kind == "size"
    assert rule.condition.operands == (Size(10, "B"), Size(2048, "B"))
    assert str(rule) == 'FileSize "s3://b/" between 10 B and 2048 B with threshold > 0.5'
    dynamic = parse_rule("FileSize > avg(last(3))")
    assert isinstance(dynamic, Rule) and dynamic.condition is not None and dynamic.condition.kind == "number"


def test_nested_parentheses_print_once() -> None:
    rule = parse_rule("RowCount > ((1 + 2)) * 3")
    assert isinstance(rule, Rule) and rule.condition is not None
    product = rule.condition.operands[0]
    assert isinstance(product, BinaryOp) and product.right == Number("3")
    assert product.left == Group(Group(BinaryOp("+", Number("1"), Number("2"))))
    assert str(rule) == "RowCount > (1 + 2) * 3"
    assert parse_rule(str(rule)).condition.operand_values() == rule.condition.operand_values() == [9.0]  # type: ignore[union-attr]


def test_ruleset_has_no_trailing_newline_and_keeps_constants() -> None:
    text = 'DefaultLabels=["team"="a"]\n\nc = "x"\n\nRules = [\n    IsComplete $c\n]'
    assert str(parse(text)) == text
    assert str(Ruleset()) == ""


def test_data_sources_print_primary_first() -> None:
    ruleset = parse('DataSources = { "AdditionalDataSources": [ "r" ], "Primary": "p" } Rules = [ RowCount > 0 ]')
    assert str(ruleset).startswith('DataSources = {\n    "Primary": "p",\n    "AdditionalDataSources": [ "r" ]\n}')
