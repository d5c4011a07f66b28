"""Crawler schedules: Glue's cron(…) and five-field cron as croniter reads them, and which crawlers are due."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from catalog.crawler.schedule import InvalidSchedule, due, to_croniter, validate
from sluice.errors import InvalidInputException

NOW = datetime(2024, 1, 1, 12, 0, tzinfo=UTC)  # a Monday


@pytest.mark.parametrize(
    ("glue", "cron"),
    [
        ("cron(15 12 * * ? *)", "15 12 * * *"),
        ("cron(0 6 ? * 2-6 *)", "0 6 * * 1-5"),  # Glue numbers Sunday 1, cron 0
        ("cron(0 6 ? * 1,7 *)", "0 6 * * 0,6"),
        ("cron(0/15 * ? * MON-FRI *)", "0/15 * * * MON-FRI"),
        ("cron(0 3 ? * 6#3 *)", "0 3 * * 5#3"),  # the third Friday
        ("cron(0 3 ? * 6L *)", "0 3 * * L5"),  # the last Friday
        ("cron(0 3 ? * 2/2 *)", "0 3 * * 1/2"),  # a step is not a weekday
        ("cron(0 3 L * ? *)", "0 3 L * *"),
        ("cron(0 3 1 JAN ? 2030)", "0 3 1 JAN * 0 2030"),  # a year: croniter's seventh field
        ("  cron(0 3 * * ? *)  ", "0 3 * * *"),
        ("*/10 * * * *", "*/10 * * * *"),
        ("0 3 ? * 1", "0 3 * * 1"),
    ],
)
def test_glue_and_plain_cron_become_croniter_expressions(glue: str, cron: str) -> None:
    assert to_croniter(glue) == cron
    validate(glue)


@pytest.mark.parametrize(
    ("expression", "why"),
    [
        ("cron(0 3 * * * *)", "exactly one of day-of-month and day-of-week"),
        ("cron(0 3 ? * ? *)", "exactly one of day-of-month and day-of-week"),
        ("cron(0 3 * * ?)", "6 fields"),
        ("cron(0 3 ? * 0 *)", "day-of-week 0 is not 1"),
        ("cron(0 3 ? * 8 *)", "day-of-week 8 is not 1"),
        ("cron(0 3 ? * 1-SAT *)", "not a Glue weekday"),
        ("0 3 * *", "5 fields"),
        ("0 0 3 * * * *", "5 fields"),
        ("61 3 * * *", "not a cron expression"),
        ("cron(0 3 * * ? 2150)", "not a cron expression"),  # Glue's years run to 2199, croniter's to 2099
        ("", "5 fields"),
        ("daily", "5 fields"),
    ],
)
def test_invalid_schedules_are_refused_with_the_reason(expression: str, why: str) -> None:
    with pytest.raises(InvalidSchedule, match="is not a cron expression") as raised:
        validate(expression)
    assert why in raised.value.message
    assert isinstance(raised.value, InvalidInputException) and "cron(0 3 * * ? *)" in (raised.value.hint or "")


def _crawler(name: str, expression: str | None, state: str = "READY", scheduled: bool = True, **extra: object) -> dict:
    crawler: dict = {"Name": name, "State": state, "CreationTime": "2024-01-01T10:00:00+00:00", **extra}
    if expression is not None:
        schedule_state = "SCHEDULED" if scheduled else "NOT_SCHEDULED"
        crawler["Schedule"] = {"State": schedule_state, "ScheduleExpression": expression}
    return crawler


def test_due_picks_ready_scheduled_crawlers_whose_schedule_fired_since_their_last_crawl() -> None:
    crawlers = [
        _crawler("due", "cron(0 11 * * ? *)"),
        _crawler("crawled_since", "0 11 * * *", LastCrawl={"StartTime": "2024-01-01T11:00:05+00:00"}),
        _crawler("crawled_before", "0 11 * * *", LastCrawl={"StartTime": "2024-01-01T10:59:00+00:00"}),
        _crawler("running", "0 11 * * *", state="RUNNING"),
        _crawler("paused", "0 11 * * *", scheduled=False),
        _crawler("unscheduled", None),
        _crawler("not_yet", "cron(0 13 * * ? *)"),
        _crawler("weekends", "cron(0 11 ? * 1,7 *)"),  # NOW is a Monday
        _crawler("naive_time", "0 11 * * *", CreationTime="2024-01-01T10:00:00"),  # taken as UTC
        _crawler("past_year", "cron(0 11 * * ? 2020)"),  # never fires again
        _crawler("far_future", "cron(0 11 * * ? 2098)"),
        _crawler("february_30", "0 11 30 2 *"),
        _crawler("broken", "cron(0 11 * * * *)"),
    ]
    assert due(crawlers, NOW) == ["due", "crawled_before", "naive_time"]
    assert due(crawlers, datetime(2024, 1, 1, 12, 0)) == ["due", "crawled_before", "naive_time"]  # naive now: UTC
    assert due([], NOW) == []


def test_a_far_future_year_is_due_once_it_comes() -> None:
    crawler = _crawler("c", "cron(0 11 1 JAN ? 2098)")
    assert due([crawler], NOW) == []
    assert due([crawler], datetime(2098, 1, 1, 11, 0, tzinfo=UTC)) == ["c"]


def test_due_at_the_moment_the_schedule_fires() -> None:
    crawler = _crawler("c", "0 11 * * *")
    assert due([crawler], datetime(2024, 1, 1, 11, 0, tzinfo=UTC)) == ["c"]
    assert due([crawler], datetime(2024, 1, 1, 10, 59, 59, tzinfo=UTC)) == []
