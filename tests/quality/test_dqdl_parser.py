"""DQDL parser: a corpus of AWS documentation examples (valid and invalid) plus API checks.

Valid corpus files hold one rule per line; a trailing ``# canonical: ...`` comment gives the
reference printer's text (awslabs/dqdl ``toString()``) when the documentation spells the rule
differently. Invalid corpus files start
with ``# error: line:column 'token'``, ``# message: ...`` and ``# expected: ...`` headers.
"""

from __future__ import annotations

import ast as pyast
import functools
from pathlib import Path

import pytest

from quality.dqdl import (
    RULE_TYPES,
    CompositeRule,
    Condition,
    DQDLSyntaxError,
    FunctionCall,
    Keyword,
    Number,
    Parameter,
    Rule,
    Ruleset,
    String,
    VariableRef,
    lookup,
    parse,
    parse_file,
    parse_rule,
)
from quality.dqdl.lexer import Lexer
from sluice.errors import InvalidInputException

CORPUS = Path(__file__).parent / "dqdl_corpus"
VALID = sorted((CORPUS / "valid").glob("*.dqdl"))
INVALID = sorted((CORPUS / "invalid").glob("*.dqdl"))
CANONICAL_MARK = " # canonical: "


def _entries(path: Path, section: str) -> list[tuple[int, str]]:
    """(line number, expected canonical text) for each entry of ``section`` in a corpus file."""
    out: list[tuple[int, str]] = []
    inside = False
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        stripped = line.strip()
        if stripped.startswith(f"{section} = ["):
            inside = True
        elif inside and stripped == "]":
            break
        elif inside and stripped and not stripped.startswith("#"):
            text, _, canonical = stripped.partition(CANONICAL_MARK)
            out.append((number, canonical or text.rstrip().removesuffix(",")))
    return out


@functools.cache
def _parsed(path: Path) -> Ruleset:
    return parse_file(path)


RULE_CASES = [
    pytest.param(path, index, expected, id=f"{path.stem}:{line}")
    for path in VALID
    for index, (line, expected) in enumerate(_entries(path, "Rules"))
]
ANALYZER_CASES = [
    pytest.param(path, index, expected, id=f"{path.stem}:{line}")
    for path in VALID
    for index, (line, expected) in enumerate(_entries(path, "Analyzers"))
]


@pytest.mark.parametrize(("path", "index", "expected"), RULE_CASES)
def test_valid_rule_prints_canonically(path: Path, index: int, expected: str) -> None:
    rule = _parsed(path).rules[index]
    assert str(rule) == expected
    assert rule.text == expected


@pytest.mark.parametrize(("path", "index", "expected"), ANALYZER_CASES)
def test_valid_analyzer_prints_canonically(path: Path, index: int, expected: str) -> None:
    assert str(_parsed(path).analyzers[index]) == expected


@pytest.mark.parametrize("path", VALID, ids=lambda p: p.stem)
def test_valid_document_round_trips(path: Path) -> None:
    ruleset = _parsed(path)
    assert len(ruleset.rules) == len(_entries(path, "Rules"))
    assert len(ruleset.analyzers) == len(_entries(path, "Analyzers"))
    again = parse(str(ruleset))
    assert again == ruleset
    assert str(again) == str(ruleset)
    assert ruleset.source == str(path)


def _headers(path: Path) -> dict[str, str]:
    lines = path.read_text(encoding="utf-8").splitlines()[1:4]
    return dict(line.removeprefix("# ").split(": ", 1) for line in lines)


@pytest.mark.parametrize("path", INVALID, ids=lambda p: p.stem)
def test_invalid_document_is_rejected_precisely(path: Path) -> None:
    headers = _headers(path)
    position, _, token = headers["error"].partition(" ")
    line, column = map(int, position.split(":"))
    with pytest.raises(DQDLSyntaxError) as caught:
        parse_file(path)
    error = caught.value
    assert (error.line, error.column) == (line, column)
    assert error.token[:40] == pyast.literal_eval(token)
    assert headers["message"] in error.reason
    assert error.expected[:1] == ([] if headers["expected"] == "-" else [headers["expected"]])
    assert error.source == str(path)
    assert str(error).startswith(f"{path}:{line}:{column}: ")


def test_corpus_is_large_enough() -> None:
    assert len(RULE_CASES) + len(ANALYZER_CASES) + len(INVALID) >= 250


def test_every_rule_type_appears_in_the_valid_corpus() -> None:
    used = {rule.rule_type for path in VALID for rule in _parsed(path).leaf_rules()}
    used |= {analyzer.analyzer_type for path in VALID for analyzer in _parsed(path).analyzers}
    assert set(RULE_TYPES) <= used


# --- errors -----------------------------------------------------------------------------------------


def test_syntax_error_is_an_invalid_input_exception_with_caret() -> None:
    with pytest.raises(InvalidInputException) as caught:
        parse('Rules = [\n    IsComplete "a",\n    Completeness "b"\n]', source="checks.dqdl")
    error = caught.value
    assert isinstance(error, DQDLSyntaxError)
    assert error.reason == 'rule 2 (`Completeness "b" ]`): Completeness needs a number condition'
    assert error.caret() == "]\n^"
    assert error.render() == f"{error.message}\n]\n^"


def test_caret_keeps_tabs_aligned() -> None:
    with pytest.raises(DQDLSyntaxError) as caught:
        parse('Rules = [\n\tIsComplete\t"a" > 1\n]')
    assert caught.value.caret() == '\tIsComplete\t"a" > 1\n\t' + " " * 10 + "\t" + " " * 4 + "^"


def test_render_appends_the_hint() -> None:
    with pytest.raises(DQDLSyntaxError) as caught:
        parse('Rules = [ IsComplete "a" > 1 ]')
    assert caught.value.hint == "IsComplete is a pass/fail check by itself; remove the condition"
    assert caught.value.render().endswith("\nHint: IsComplete is a pass/fail check by itself; remove the condition")
    assert str(caught.value).endswith("Hint: IsComplete is a pass/fail check by itself; remove the condition")


def test_error_without_source_uses_placeholder_name() -> None:
    with pytest.raises(DQDLSyntaxError) as caught:
        parse("Rules = [")
    assert str(caught.value).startswith("<dqdl>:1:10: ")
    assert caught.value.source is None


def test_error_location_after_windows_line_endings() -> None:
    with pytest.raises(DQDLSyntaxError) as caught:
        parse('Rules = [\r\n    IsComplete "a" > 1\r\n]\r\n')
    assert (caught.value.line, caught.value.column) == (2, 20)


def test_unknown_rule_type_suggests_close_matches() -> None:
    with pytest.raises(DQDLSyntaxError) as caught:
        parse('Rules = [ isUnique "a" ]')
    assert caught.value.expected[0] == "IsUnique"
    assert "case-sensitive" in caught.value.hint


def test_parse_rule_reports_trailing_text() -> None:
    with pytest.raises(DQDLSyntaxError) as caught:
        parse_rule('IsComplete "a", IsUnique "a"')
    assert caught.value.column == 15
    assert caught.value.expected[-1] == "end of input"


def test_unexpected_token_inside_parentheses_expects_closing() -> None:
    with pytest.raises(DQDLSyntaxError) as caught:
        parse("Rules = [ (RowCount > 0 ] ]")
    assert caught.value.expected[-1] == "')'"


# --- structure --------------------------------------------------------------------------------------


def test_leaf_rule_structure() -> None:
    rule = parse_rule('ColumnValues "colB" in ["A", "B"] where "colC is not null" with threshold > 0.9')
    assert isinstance(rule, Rule)
    assert rule.rule_type == "ColumnValues"
    assert rule.parameters == (Parameter("colB"),)
    assert rule.arguments == ["colB"]
    assert rule.condition == Condition("in", (String("A"), String("B")), "string")
    assert rule.where == "colC is not null"
    assert str(rule.threshold) == "> 0.9"
    assert rule.threshold.kind == "number"
    assert rule.labels == {} and rule.tags == ()


def test_composite_rules_flatten_chains_and_keep_groups() -> None:
    rule = parse_rule('(Mean "a" > 3) and (Mean "b" > 5) and ((IsComplete "c") or (IsUnique "c"))')
    assert isinstance(rule, CompositeRule)
    assert rule.op == "and"
    assert [type(child).__name__ for child in rule.rules] == ["Rule", "Rule", "CompositeRule"]
    assert rule.rules[2].op == "or"


def test_and_binds_tighter_than_or() -> None:
    rule = parse_rule("(RowCount > 0) or (RowCount < 5) and (ColumnCount = 3)")
    assert rule.op == "or"
    assert rule.rules[1].op == "and"
    assert str(rule) == "(RowCount > 0) OR ((RowCount < 5) AND (ColumnCount = 3))"


def test_bare_rules_combine_when_unambiguous() -> None:
    rule = parse_rule('RowCount > 0 and IsComplete "id"')
    assert str(rule) == '(RowCount > 0) AND (IsComplete "id")'


def test_leaf_rules_walks_composites_in_order() -> None:
    ruleset = parse('Rules = [ (IsComplete "a") or ((IsUnique "b") and (RowCount > 1)), ColumnCount = 2 ]')
    assert [rule.rule_type for rule in ruleset.leaf_rules()] == ["IsComplete", "IsUnique", "RowCount", "ColumnCount"]


def test_parameters_keep_connectors_and_quoting() -> None:
    rule = parse_rule('ColumnCorrelation of col_1 and "col abc" between 0.4 and 0.8')
    assert rule.parameters == (
        Parameter("col_1", quoted=False, connector="of"),
        Parameter("col abc", connector="and"),
    )


def test_rule_spec_names_parameters() -> None:
    assert lookup("ColumnCorrelation", 2).parameter_map(["a", "b"]) == {"TargetColumn1": "a", "TargetColumn2": "b"}
    assert lookup("IsPrimaryKey", 3).parameter_map(["a", "b", "c"]) == {
        "TargetColumn1": "a",
        "TargetColumn2": "b",
        "TargetColumn3": "c",
    }
    assert lookup("FileMatch", 2).condition_kinds == ()
    assert lookup("FileMatch", 1).condition_kinds == ("string",)
    assert lookup("FileSize", 0).condition_kinds == ("size", "number")
    assert lookup("CustomSql", 1).condition_optional


def test_tags_are_exposed_as_strings() -> None:
    rule = parse_rule('FileSize "s3://b/" > 5 B with recentFiles = 1 with uriRegex = "\\.dat$"')
    assert rule.tag_values == {"recentFiles": "1", "uriRegex": "\\.dat$"}


def test_threshold_tag_is_case_insensitive() -> None:
    rule = parse_rule('ColumnValues "a" > 1 with THRESHOLD > 0.5')
    assert str(rule.threshold) == "> 0.5"
    assert str(rule) == 'ColumnValues "a" > 1 with threshold > 0.5'


def test_default_and_rule_labels_merge() -> None:
    ruleset = parse_file(CORPUS / "valid" / "labels.dqdl")
    assert ruleset.default_labels == {"frequency": "monthly"}
    plain, labelled, overriding, composite = ruleset.rules[:4]
    assert plain.labels == {"frequency": "monthly"} and plain.rule_labels == {}
    assert labelled.labels == {"frequency": "monthly", "foo": "bar"}
    assert overriding.labels == {"frequency": "daily", "foo": "bar"}
    assert composite.labels == {"frequency": "monthly", "foo": "bar"}
    assert composite.rules[0].labels == {"frequency": "monthly"}


def test_metadata_and_data_sources() -> None:
    ruleset = parse_file(CORPUS / "valid" / "metadata_sources.dqdl")
    assert ruleset.metadata == {"Version": "1.0"}
    assert ruleset.data_sources == {"Primary": "orders", "AdditionalDataSources": ["reference", "archive"]}


def test_constants_resolve_in_parameters_and_conditions() -> None:
    ruleset = parse_file(CORPUS / "valid" / "constants.dqdl")
    sql, countries = ruleset.rules[0], ruleset.rules[1]
    assert sql.parameters[0] == Parameter("select count(*) from primary", variable="mySql")
    assert str(sql) == "CustomSql $mySql between 0 and 100"
    assert countries.condition.operands == (VariableRef("countries", (String("US"), String("CA"), Keyword("NULL"))),)
    assert ruleset.variables["countries"].is_list
    assert str(ruleset.variables["mySql"]) == 'mySql = "select count(*) from primary"'


def test_in_list_strings_unescape_but_print_as_written() -> None:
    rule = parse_rule('ColumnValues "c" in ["a\\"b", "c,d"]')
    assert [operand.value for operand in rule.condition.operands] == ['a"b', "c,d"]
    assert str(rule) == 'ColumnValues "c" in ["a\\"b","c,d"]'
    assert str(String('say "hi" \\')) == '"say \\"hi\\" \\\\"'


def test_dynamic_conditions_are_flagged() -> None:
    assert parse_rule("RowCount > avg(last(10)) * 0.8").condition.is_dynamic
    assert parse_rule("RowCount between (1 + min(last(2))) and 5").condition.is_dynamic
    assert not parse_rule("RowCount > 10 * 0.8").condition.is_dynamic


def test_arithmetic_is_left_associative_with_one_precedence() -> None:
    condition = parse_rule("RowCount = 1 + 2 * 3").condition
    assert str(condition.operands[0].left) == "1 + 2"
    assert condition.operand_values() == [9.0]


def test_function_calls_keep_their_arguments() -> None:
    call = parse_rule("RowCount = index(last(3), 0)").condition.operands[0]
    assert call == FunctionCall("index", (FunctionCall("last", (Number("3"),)), Number("0")))


def test_condition_kinds() -> None:
    kinds = {
        'ColumnValues "a" = NULL': "number",
        'ColumnValues "a" = EMPTY': "string",
        'ColumnValues "a" in ["2022-01-01", NULL]': "date",
        'ColumnValues "a" > "9:30 AM"': "date",
        'DataFreshness "a" <= 3 days': "duration",
        "FileSize > 2 MB": "size",
        "FileSize > 2": "size",
        "FileSize > avg(last(3))": "number",
    }
    assert {text: parse_rule(text).condition.kind for text in kinds} == kinds


def test_analyzer_only_document() -> None:
    ruleset = parse("Analyzers = [ RowCount, AllStatistics AllColumns ]")
    assert ruleset.rules == ()
    assert [analyzer.arguments for analyzer in ruleset.analyzers] == [[], ["AllColumns"]]
    assert str(ruleset) == "Analyzers = [\n    RowCount,\n    AllStatistics AllColumns\n]"


def test_empty_rules_with_analyzers_is_valid() -> None:
    assert parse("Rules = [ ]\nAnalyzers = [ RowCount ]").rules == ()


def test_full_document_prints_every_section() -> None:
    text = (
        'Metadata = {\n    "Version": "1.0"\n}\n\n'
        'DataSources = {\n    "Primary": "orders",\n    "AdditionalDataSources": [ "reference" ]\n}\n\n'
        'DefaultLabels=["team"="finance"]\n\n'
        'cols = ["a", "b"]\nsql = "select 1"\n\n'
        'Rules = [\n    ColumnValues "x" in $cols,\n    CustomSql $sql = 1\n]\n\n'
        'Analyzers = [\n    Mean "price"\n]'
    )
    assert str(parse(text)) == text


def test_comments_in_both_styles_are_ignored() -> None:
    ruleset = parse("# leading\nRules = [ // slash comment\n    RowCount > 0 # trailing\n]  # end")
    assert str(ruleset.rules[0]) == "RowCount > 0"


def test_rule_nodes_are_frozen_and_hashable() -> None:
    rule = parse_rule('IsComplete "a"')
    with pytest.raises(AttributeError):
        rule.rule_type = "IsUnique"  # type: ignore[misc]
    assert hash(rule) == hash(parse_rule('IsComplete "a"'))


def test_deep_nesting_is_bounded() -> None:
    text = "Rules = [ " + "(" * 60 + "RowCount > 0" + ")" * 60 + " ]"
    with pytest.raises(DQDLSyntaxError, match="nested deeper"):
        parse(text)


def test_lexer_follows_antlr_longest_match() -> None:
    kinds = [token.kind for token in Lexer('days daysX 1.5 1.5.3 col_1 "2024-01-01" "9:30 AM" now() now').tokens()]
    assert kinds == ["DURATION_UNIT", "IDENT", "DECIMAL", "IDENT", "IDENT", "DATE", "TIME", "NOW", "IDENT", "EOF"]


def test_deep_expression_nesting_is_bounded() -> None:
    with pytest.raises(DQDLSyntaxError, match="expression nested deeper"):
        parse_rule("RowCount > " + "(" * 400 + "1" + ")" * 400)


def test_package_docstring_example() -> None:
    import doctest

    import quality.dqdl

    assert doctest.testmod(quality.dqdl).failed == 0
