"""Condition.holds: the comparison semantics every DQDL engine shares."""

from __future__ import annotations

import datetime as dt
import re
from decimal import Decimal

import pytest

from quality.dqdl import DQDLEvaluationError, parse, parse_rule

NOW = dt.datetime(2024, 5, 10, 12, 0)


def cond(rule: str):
    return parse_rule(rule).condition


@pytest.mark.parametrize(
    ("rule", "value", "expected"),
    [
        ("RowCount = 10", 10, True),
        ("RowCount = 10", 11, False),
        ("RowCount != 10", 11, True),
        ("RowCount > 10", 10, False),
        ("RowCount >= 10", 10, True),
        ("RowCount < 10", 9.5, True),
        ("RowCount <= 10", 10, True),
        ("RowCount = -100", -100, True),
        ('Completeness "a" = 1.0', Decimal("1.0"), True),
        # AWS documents between as exclusive and not between as inclusive.
        ('Mean "a" between 1 and 3', 2, True),
        ('Mean "a" between 1 and 3', 1, False),
        ('Mean "a" between 1 and 3', 3, False),
        ('Mean "a" not between 1 and 3', 1, True),
        ('Mean "a" not between 1 and 3', 2, False),
        ('ColumnValues "a" in [1, 2, 3]', 2, True),
        ('ColumnValues "a" in [1, 2, 3]', 4, False),
        ('ColumnValues "a" not in [1, 2, 3]', 4, True),
        ("RowCount = 8.0 * (5.0 - (1.0 + (4.0 / 2.0)))", 16, True),
    ],
)
def test_numeric_comparisons(rule: str, value: object, expected: bool) -> None:
    assert cond(rule).holds(value) is expected


@pytest.mark.parametrize(
    ("rule", "expected"),
    [
        ('ColumnValues "a" > 21', False),
        ('ColumnValues "a" between 1 and 9', False),
        ('ColumnValues "a" not between 1 and 9', False),
        ('ColumnValues "a" = 21', False),
        ('ColumnValues "a" != 21', True),
        ('ColumnValues "a" not in [21, 22, 23]', True),
        ('ColumnValues "a" not in [21, 22, 23, NULL]', False),
        ('ColumnValues "a" = NULL', True),
        ('ColumnValues "a" != NULL', False),
        ('ColumnValues "a" in [NULL, "2023-01-01"]', True),
        ('ColumnValues "a" matches "x"', False),
        ('ColumnValues "a" not matches "x"', False),
        ('DataFreshness "a" <= 24 hours', False),
    ],
)
def test_null_values_fail_except_negations(rule: str, expected: bool) -> None:
    assert cond(rule).holds(None, now=NOW) is expected


@pytest.mark.parametrize(
    ("rule", "value", "expected"),
    [
        ('ColumnValues "a" = "x"', "x", True),
        ('ColumnValues "a" != "x"', "y", True),
        ('ColumnValues "a" in ["US", "CA"]', "CA", True),
        ('ColumnValues "a" = EMPTY', "", True),
        ('ColumnValues "a" = EMPTY', " ", False),
        ('ColumnValues "a" = WHITESPACES_ONLY', " \t", True),
        ('ColumnValues "a" = WHITESPACES_ONLY', "", False),
        ('ColumnValues "a" not in ["a", "b", WHITESPACES_ONLY]', "  ", False),
        ('ColumnValues "a" not in ["a", "b", WHITESPACES_ONLY]', "c", True),
        ('ColumnValues "a" = EMPTY', 5, False),
        ('ColumnValues "a" matches "[a-zA-Z]*"', "Anna", True),
        ('ColumnValues "a" matches "[a-z]*"', "anna1", False),
        ('ColumnValues "a" not matches "[a-z]*"', "anna1", True),
        ('ColumnValues "a" matches "\\d+"', "123", True),
        ('ColumnDataType "a" in ["Date", "String"]', "String", True),
    ],
)
def test_string_comparisons(rule: str, value: object, expected: bool) -> None:
    assert cond(rule).holds(value) is expected


def test_constants_expand_in_conditions() -> None:
    ruleset = parse(
        'codes = ["US", NULL]\nsingle = "CA"\nRules = [ ColumnValues "c" in $codes, ColumnValues "c" = $single ]'
    )
    in_list, equals = (rule.condition for rule in ruleset.rules)
    assert in_list.holds("US") and in_list.holds(None) and not in_list.holds("CA")
    assert equals.holds("CA") and not equals.holds("US")


@pytest.mark.parametrize(
    ("rule", "value", "expected"),
    [
        ('ColumnValues "d" > (now() - 3 days)', dt.date(2024, 5, 8), True),
        ('ColumnValues "d" > (now() - 3 days)', dt.date(2024, 5, 1), False),
        ('ColumnValues "d" < (now() + 4 days)', dt.datetime(2024, 5, 14, 11), True),
        ('ColumnValues "d" >= now()', dt.datetime(2024, 5, 10, 12), True),
        ('ColumnValues "d" = "2022-06-30"', dt.date(2022, 6, 30), True),
        ('ColumnValues "d" = "2022-06-30"', dt.datetime(2022, 6, 30, 10), False),
        ('ColumnValues "d" between "2022-05-31" and "2022-06-30"', dt.date(2022, 6, 15), True),
        ('ColumnValues "d" not between "2022-05-31" and "2022-06-30"', dt.date(2022, 6, 30), True),
        ('ColumnValues "d" in [now(), (now() - 3 hours)]', dt.datetime(2024, 5, 10, 9), True),
        ('ColumnValues "d" > (now() - 10 minutes)', dt.datetime(2024, 5, 10, 11, 55), True),
        ('FileFreshness "s3://b/" between "9:30 AM" and "9:30 PM"', dt.datetime(2024, 5, 10, 12), True),
        ('FileFreshness "s3://b/" > "21:45"', dt.datetime(2024, 5, 10, 12), False),
        (
            'ColumnValues "d" > (now() - 1 hours)',
            dt.datetime(2024, 5, 10, 13, 30, tzinfo=dt.timezone(dt.timedelta(hours=2))),
            True,
        ),
    ],
)
def test_date_comparisons(rule: str, value: object, expected: bool) -> None:
    assert cond(rule).holds(value, now=NOW) is expected


def test_aware_now_is_compared_in_utc() -> None:
    aware_now = dt.datetime(2024, 5, 10, 14, 0, tzinfo=dt.timezone(dt.timedelta(hours=2)))
    assert cond('ColumnValues "d" >= now()').holds(dt.datetime(2024, 5, 10, 12, 0), now=aware_now)


def test_now_defaults_to_current_time() -> None:
    assert cond('ColumnValues "d" > (now() - 1 days)').holds(dt.datetime.now(dt.UTC))
    assert not cond('ColumnValues "d" > (now() - 1 days)').holds(dt.date(2000, 1, 1))


@pytest.mark.parametrize(
    ("rule", "value", "expected"),
    [
        ('DataFreshness "d" <= 24 hours', dt.timedelta(hours=23), True),
        ('DataFreshness "d" <= 24 hours', dt.timedelta(hours=25), False),
        ('DataFreshness "d" between 2 days and 5 days', dt.timedelta(days=3), True),
        ('DataFreshness "d" <= 24 hours', dt.datetime(2024, 5, 9, 13), True),
        ('DataFreshness "d" <= 24 hours', dt.date(2024, 5, 8), False),
        ('DataFreshness "d" in [1 days, 2 days]', dt.timedelta(days=2), True),
    ],
)
def test_duration_comparisons(rule: str, value: object, expected: bool) -> None:
    assert cond(rule).holds(value, now=NOW) is expected


@pytest.mark.parametrize(
    ("rule", "value", "expected"),
    [
        ('FileSize "s3://b/" > 2 MB', 2 * 1024 * 1024 + 1, True),
        ('FileSize "s3://b/" > 2 MB', 2 * 1024 * 1024, False),
        ('FileSize "s3://b/" between 2 GB and 1 TB', 3 * 1024**3, True),
        ('FileSize "s3://b/" > 5 B', 6, True),
        ('FileSize "s3://b/" > 1024', 1025, True),
        ('FileSize "s3://b/" < 10 KB', 10 * 1024, False),
    ],
)
def test_size_comparisons(rule: str, value: int, expected: bool) -> None:
    assert cond(rule).holds(value) is expected


@pytest.mark.parametrize(
    ("rule", "history", "value", "expected"),
    [
        ("RowCount > avg(last(10)) * 0.8", [100, 110], 90, True),
        ("RowCount > avg(last(10)) * 0.8", [100, 110], 84, False),
        ("RowCount > last()", [], 1, True),
        ("RowCount > last()", [5, 7], 6, False),
        ("RowCount > avg(last(5))", [1, 1, 1, 1, 10, 10, 10, 10, 10], 9, False),
        ("RowCount = index(last(3), 0)", [1, 5, 7], 7, True),
        ("RowCount = index(last(3), 2)", [1, 5, 7], 1, True),
        ("RowCount between min(last(10)) - 1 and max(last(10)) + 1", [3, 5], 5.5, True),
        ("RowCount = sum(last(3))", [1, 2, 3, 4], 9, True),
        ("RowCount = median(last(4))", [1, 9, 2, 8], 5, True),
        ("RowCount = std(last(2))", [2, 4], 1, True),
        ("RowCount = abs(min(last(2)))", [-3, -1], 3, True),
        ("RowCount = avg(2, 4)", [], 3, True),
        ("RowCount > avg(last(10)) + std(last(2))", [10, 20], 21, True),
        ("RowCount > avg(last(10)) + std(last(2))", [10, 20], 20, False),
        ("RowCount = 1 + 2 * 3", [], 9, True),
    ],
)
def test_dynamic_expressions_read_history(rule: str, history: list[float], value: float, expected: bool) -> None:
    assert cond(rule).holds(value, history=history) is expected


@pytest.mark.parametrize(
    ("rule", "message"),
    [
        ("RowCount > last(5)", "gives 2 values"),
        ("RowCount > index(last(3), 3)", "out of range"),
        ("RowCount > index(5, 0)", "index() takes last(k)"),
        ("RowCount > last(1.5)", "natural number"),
        ("RowCount > abs(1, 2)", "abs() takes one argument"),
        ("RowCount > average(last(3))", "unsupported function average()"),
        ("RowCount > 1 / 0", "division by zero"),
        ("RowCount > max()", "no values"),
    ],
)
def test_dynamic_expression_errors(rule: str, message: str) -> None:
    with pytest.raises(DQDLEvaluationError, match=re.escape(message)):
        cond(rule).holds(1, history=[1, 2])


def test_threshold_conditions_evaluate_fractions() -> None:
    rule = parse_rule('ColumnValues "a" in ["A", "B"] with threshold > 0.8')
    passed = [rule.condition.holds(value) for value in ["A", "B", "C", "A", "B"]]
    assert rule.threshold.holds(sum(passed) / len(passed)) is False
    assert rule.threshold.holds(0.9) is True


def test_operand_values_evaluate_dynamic_bounds() -> None:
    condition = cond("RowCount between min(last(10)) - 1 and max(last(10)) + 1")
    assert condition.operand_values(history=[3, 5, 4]) == [2.0, 6.0]
    assert cond('ColumnValues "a" in [1, NULL]').operand_values() == [1.0, None]


def test_operands_and_the_default_clock_are_aware_utc() -> None:
    from sluice.clock import utcnow

    between = cond('ColumnValues "d" between "2022-05-31" and (now() - 1 hours)')
    assert between.plain_operands(now=NOW) == [
        dt.datetime(2022, 5, 31, tzinfo=dt.UTC),
        dt.datetime(2024, 5, 10, 11, tzinfo=dt.UTC),
    ]
    fresh = cond('FileFreshness "s3://b/" > "9:30 AM"')
    assert fresh.plain_operands(now=NOW) == [dt.datetime(2024, 5, 10, 9, 30, tzinfo=dt.UTC)]
    assert utcnow().tzinfo is dt.UTC
    # Aware and naive values compare alike, as UTC.
    assert between.holds(dt.datetime(2024, 5, 10, 10, 59, tzinfo=dt.UTC), now=utcnow())
