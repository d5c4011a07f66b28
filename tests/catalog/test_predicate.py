"""Glue partition predicates (GetPartitions ``Expression``): parsing, typing and evaluation."""

from __future__ import annotations

import time

import pytest

from catalog.predicate import (
    INT_LIMIT,
    AllOf,
    And,
    AnyOf,
    Between,
    Column,
    Compare,
    In,
    KeyTest,
    Literal,
    PredicateSyntaxError,
    Pushdown,
    compile_predicate,
    glob_pattern,
    like_parts,
    normalize_value,
    parse_predicate,
    pushdown,
    referenced_keys,
    sql_like_pattern,
)
from sluice.errors import InvalidInputException

KEYS = [("year", "string"), ("month", "string"), ("day", "int")]


def matching(expression: str, partitions: list[list[str]], keys=KEYS) -> list[list[str]]:
    test = compile_predicate(expression, keys)
    return [p for p in partitions if test(p)]


PARTS = [["2013", "01", "5"], ["2013", "02", "15"], ["2013", "03", "25"], ["2014", "01", "9"]]


def test_glue_doc_example_and_in():
    assert matching("year='2013' AND month IN ('01','02')", PARTS) == PARTS[:2]


@pytest.mark.parametrize(
    ("expression", "expected"),
    [
        ("year = '2014'", [3]),
        ("year <> '2013'", [3]),
        ("year != '2013'", [3]),
        ("month > '01'", [1, 2]),
        ("month >= '02'", [1, 2]),
        ("month < '02'", [0, 3]),
        ("month <= '01'", [0, 3]),
        ("day BETWEEN 5 AND 15", [0, 1, 3]),
        ("day NOT BETWEEN 5 AND 15", [2]),
        ("month NOT IN ('01')", [1, 2]),
        ("NOT year = '2013'", [3]),
        ("NOT (year = '2013' OR month = '01')", []),
        ("year = '2013' AND (month = '01' OR month = '03')", [0, 2]),
        ("year = '2013' or day = 9 and month = '02'", [0, 1, 2]),
        ("month LIKE '0%'", [0, 1, 2, 3]),
        ("month LIKE '_3'", [2]),
        ("month NOT LIKE '%1'", [1, 2]),
        ("day IS NOT NULL", [0, 1, 2, 3]),
        ("day IS NULL", []),
        ("'2014' = year", [3]),
        ("YEAR = '2014'", [3]),
        ('`Year` = "2014"', [3]),
    ],
)
def test_operators(expression, expected):
    assert matching(expression, PARTS) == [PARTS[i] for i in expected]


def test_integral_keys_compare_numerically_and_strings_lexically():
    parts = [["9", "9"], ["10", "10"]]
    keys = [("n", "bigint"), ("s", "string")]
    assert matching("n > 9", parts, keys) == [["10", "10"]]
    assert matching("n > '9'", parts, keys) == [["10", "10"]]
    assert matching("s > '9'", parts, keys) == []  # '10' < '9' as strings
    assert matching("s = 10", parts, keys) == [["10", "10"]]  # number literal as text
    assert matching("n = -1 OR n = 9.0", parts, keys) == [["9", "9"]]


def test_date_timestamp_and_decimal_keys():
    keys = [("dt", "date"), ("ts", "timestamp"), ("amount", "decimal(10,2)")]
    parts = [["2020-08-15", "2020-08-15 10:00:00", "1.50"], ["2020-08-16", "2020-08-16 00:00:00.5", "10"]]
    assert matching("dt > '2020-08-15'", parts, keys) == [parts[1]]
    assert matching("ts < '2020-08-15 12:00:00'", parts, keys) == [parts[0]]
    assert matching("amount >= 2", parts, keys) == [parts[1]]


def test_hive_default_partition_is_null_and_unknown_never_matches():
    parts = [["__HIVE_DEFAULT_PARTITION__"], ["3"], ["x"]]
    keys = [("n", "int")]
    assert matching("n IS NULL", parts, keys) == [parts[0], parts[2]]  # 'x' does not convert to int
    assert matching("n <> 3", parts, keys) == []
    assert matching("NOT n = 3", parts, keys) == []
    assert matching("n = 3 OR n IS NULL", parts, keys) == parts
    assert matching("n IN (3, NULL)", parts, keys) == [parts[1]]
    assert matching("n NOT IN (4, NULL)", parts, keys) == []


def test_like_escape_and_regex_characters_are_literal():
    parts = [["a_b"], ["axb"], ["a.b"], ["50%"]]
    keys = [("k", "string")]
    assert matching("k LIKE 'a!_b' ESCAPE '!'", parts, keys) == [["a_b"]]
    assert matching("k LIKE 'a.b'", parts, keys) == [["a.b"]]
    assert matching("k LIKE '%!%' ESCAPE '!'", parts, keys) == [["50%"]]


def test_quotes_are_escaped_by_doubling():
    assert matching("k = 'it''s'", [["it's"], ["its"]], [("k", "string")]) == [["it's"]]


def test_blank_expression_matches_everything():
    assert matching("  ", PARTS) == PARTS


def test_parse_tree_and_referenced_keys():
    tree = parse_predicate("year='2013' AND month IN ('01','02') AND day BETWEEN 1 AND 2")
    assert tree == And(
        And(
            Compare("=", Column("year"), Literal("2013")),
            In(Column("month"), (Literal("01"), Literal("02"))),
        ),
        Between(Column("day"), Literal(1), Literal(2)),
    )
    assert referenced_keys(tree) == {"year", "month", "day"}


@pytest.mark.parametrize(
    ("expression", "position", "token"),
    [
        ("year = = '1'", 7, "'='"),
        ("year = '1' month", 11, "'month'"),
        ("(year = '1'", 11, "end of expression"),
        ("year IN ('1' '2')", 13, "\"'2'\""),
        ("year BETWEEN '1'", 16, "end of expression"),
    ],
)
def test_syntax_errors_name_position_and_token(expression, position, token):
    with pytest.raises(PredicateSyntaxError) as info:
        parse_predicate(expression)
    assert f"at position {position}" in info.value.message
    assert f"found {token}" in info.value.message
    assert isinstance(info.value, InvalidInputException)
    assert info.value.hint


def test_unexpected_character():
    with pytest.raises(PredicateSyntaxError, match=r"Unexpected character '#' at position 11"):
        parse_predicate("year = '1' # comment")


def test_unknown_column_names_it_and_lists_keys():
    with pytest.raises(InvalidInputException, match=r"'yaer'.*year, month, day"):
        compile_predicate("yaer = '2013'", KEYS)


def test_bad_literal_and_unsupported_key_type():
    with pytest.raises(InvalidInputException, match="not a valid int"):
        compile_predicate("day = 'monday'", KEYS)
    with pytest.raises(InvalidInputException, match="type 'boolean'"):
        compile_predicate("flag = 'true'", [("flag", "boolean")])


def test_ten_thousand_partitions_are_fast():
    keys = [("year", "string"), ("month", "string"), ("day", "int")]
    parts = [[str(2000 + i // 400), f"{i % 12 + 1:02d}", str(i % 28 + 1)] for i in range(10_000)]
    test = compile_predicate("year >= '2010' AND month IN ('01','02','03') AND day BETWEEN 5 AND 20", keys)
    start = time.perf_counter()
    hits = sum(1 for p in parts if test(p))
    elapsed = time.perf_counter() - start
    assert hits > 0
    assert elapsed < 0.1


def test_timestamps_with_an_offset_compare_as_utc():
    keys = [("ts", "timestamp")]
    parts = [["2020-08-15 10:00:00+02:00"], ["2020-08-15 09:00:00"], ["2020-08-15T07:30:00Z"]]
    assert matching("ts = '2020-08-15 08:00:00'", parts, keys) == [parts[0]]
    assert matching("ts < '2020-08-15 08:00:00'", parts, keys) == [parts[2]]  # naive and aware mix: no TypeError
    assert matching("ts > '2020-08-15 09:30:00+01:00'", parts, keys) == [parts[1]]
    assert matching("ts IS NULL", [["0001-01-01 00:30:00+01:00"]], keys) == [["0001-01-01 00:30:00+01:00"]]


def test_normalised_values_sort_in_the_key_types_order():
    ints = [-(10**25), -INT_LIMIT, -12, -3, 0, 7, 10, 99, 10**18, INT_LIMIT, 10**30]
    encoded = [normalize_value(str(i), "bigint") for i in ints]
    assert encoded == sorted(encoded) and len(set(encoded[1:-1])) == len(ints) - 2
    assert normalize_value(" +07 ", "int") == normalize_value("7", "int") == "P0000000000000000007"
    assert normalize_value("x", "int") is None and normalize_value("__HIVE_DEFAULT_PARTITION__", "string") is None
    assert normalize_value("20240105", "date") == "2024-01-05"
    assert normalize_value("2024-01-05 10:00:00.5", "timestamp") == "2024-01-05T10:00:00.500000"
    assert normalize_value("2024-01-05 10:00:00-01:00", "timestamp") == "2024-01-05T11:00:00.000000"
    assert normalize_value("1.5", "decimal(4,2)") is None  # decimals are left to the evaluator
    assert normalize_value("Ab", "varchar(5)") == "Ab"


def test_pushdown_translates_tests_on_keys():
    keys = [("n", "int"), ("s", "string")]
    assert pushdown(None, keys).condition is True and pushdown(" ", keys).exact
    assert pushdown("n = '01'", keys) == pushdown("1 = n", keys)
    assert pushdown("n = 1", keys).condition == KeyTest(0, "=", ("P0000000000000000001",))
    assert pushdown("NOT n < 1", keys).condition == KeyTest(0, ">=", ("P0000000000000000001",))
    assert pushdown("n NOT IN (1, 1, 2)", keys).condition == KeyTest(
        0, "notin", ("P0000000000000000001", "P0000000000000000002")
    )
    assert pushdown("NOT n IN (1, NULL)", keys).condition is False  # never TRUE
    assert pushdown("n IS NOT NULL AND s = 'a'", keys).condition == AllOf(
        (KeyTest(0, "notnull"), KeyTest(1, "=", ("a",)))
    )
    assert pushdown("NOT (n > 1 AND s = 'a')", keys).condition == AnyOf(
        (KeyTest(0, "<=", ("P0000000000000000001",)), KeyTest(1, "<>", ("a",)))
    )
    assert pushdown("'a' = 'a' OR n = 1", keys) == Pushdown(True, True)  # constants fold
    assert pushdown("'a' = 'b' AND n = 1", keys) == Pushdown(False, True)
    assert pushdown("s LIKE 'a%'", keys).condition == KeyTest(1, "like", pattern=(("text", "a"), ("any", "")))


def test_pushdown_leaves_what_it_cannot_translate_to_the_evaluator():
    keys = [("n", "int"), ("s", "string"), ("amount", "decimal(10,2)")]
    for expression in ("n = s", "amount > 1", "n LIKE '1%'", f"n < {INT_LIMIT}", "NOT (n = 1 AND n = s)"):
        result = pushdown(expression, keys)
        assert not result.exact, expression
    assert pushdown("n = 1 AND n = s", keys).condition == KeyTest(0, "=", ("P0000000000000000001",))
    assert pushdown("n = 1 OR n = s", keys).condition is True
    with pytest.raises(InvalidInputException, match="not a valid int"):
        pushdown("n = 'x'", keys)
    with pytest.raises(InvalidInputException, match="Unknown partition key"):
        pushdown("m = 1", keys)


def test_like_patterns_for_sql():
    parts = like_parts("a*b?[c]%_!%", "!")
    assert parts == (("text", "a*b?[c]"), ("any", ""), ("one", ""), ("text", "%"))
    assert glob_pattern(parts) == "a[*]b[?][[]c]*?%"
    assert sql_like_pattern(parts) == "a*b?[c]%_\\%"
    assert sql_like_pattern(like_parts("a\\b_", None)) == "a\\\\b_"  # a literal backslash is escaped
