"""Crawler schedules: Glue's ``cron(M H DoM Mon DoW Y)`` or five-field cron, as croniter reads it, and which
crawlers are due.

Pure: no metadata access. Glue numbers weekdays 1 (Sunday) to 7, cron 0 to 6; Glue's ``?`` (no specific value)
is cron's ``*``; Glue's ``nL`` (last weekday n of the month) is croniter's ``L(n-1)``, and a year other than
``*`` becomes croniter's seventh field (with a sixth, seconds, of 0). Schedules are in UTC, as in Glue.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Iterable, Mapping
from datetime import UTC, datetime
from typing import Any

from sluice.errors import InvalidInputException

log = logging.getLogger(__name__)
MAX_YEARS = 100  # croniter stops at 2099 and by default looks 50 years ahead: look as far as 2099
HINT = "Use five fields ('0 3 * * *') or Glue's cron(0 3 * * ? *)."
_WEEKDAY_NAMES = r"(?:SUN|MON|TUE|WED|THU|FRI|SAT)"


class InvalidSchedule(InvalidInputException):
    """A crawler schedule that is neither Glue's ``cron(…)`` nor a five-field cron expression."""


def _invalid(expression: str, why: str = "") -> InvalidSchedule:
    return InvalidSchedule(f"--schedule {expression!r} is not a cron expression{why}", hint=HINT)


def _glue_weekday(item: str, expression: str) -> str:
    """One comma-separated item of Glue's day-of-week field in cron's numbering."""

    def day(text: str) -> str:
        if not 1 <= int(text) <= 7:
            raise _invalid(expression, f": day-of-week {text} is not 1 (SUN) to 7 (SAT)")
        return str(int(text) - 1)

    upper = item.upper()
    if upper in ("*", "?"):
        return "*"
    if upper == "L":  # the last day of the week
        return "6"
    if match := re.fullmatch(r"(\d)L", upper):
        return f"L{day(match[1])}"
    if match := re.fullmatch(r"(\d)#([1-5])", upper):
        return f"{day(match[1])}#{match[2]}"
    if match := re.fullmatch(r"(\d)(?:-(\d))?(/\d+)?", upper):
        end = f"-{day(match[2])}" if match[2] else ""
        return f"{day(match[1])}{end}{match[3] or ''}"
    if re.fullmatch(rf"(?:\*|{_WEEKDAY_NAMES}(?:-{_WEEKDAY_NAMES})?)(?:/\d+)?", upper):
        return upper
    raise _invalid(expression, f": day-of-week {item!r} is not a Glue weekday")


def to_croniter(expression: str) -> str:
    """The croniter expression of a crawler schedule: Glue's ``cron(…)`` (six fields) or plain five-field cron.

    Raises :class:`InvalidSchedule` (an ``InvalidInputException``) for anything croniter cannot run, and for
    a Glue expression that does not set exactly one of day-of-month and day-of-week to ``?``, as Glue requires.
    """
    from croniter import croniter

    text = expression.strip()
    glue = text.startswith("cron(") and text.endswith(")")
    fields = (text[5:-1] if glue else text).split()
    if glue:
        if len(fields) != 6:
            raise _invalid(expression, f": Glue's cron(…) has 6 fields, this has {len(fields)}")
        minute, hour, dom, month, dow, year = fields
        if (dom == "?") == (dow == "?"):
            raise _invalid(expression, ": set exactly one of day-of-month and day-of-week to ?")
        dow = ",".join(_glue_weekday(item, expression) for item in dow.split(","))
        fields = [minute, hour, dom.replace("?", "*"), month, dow]
        if year not in ("*", "?"):
            fields += ["0", year]
    elif len(fields) != 5:
        raise _invalid(expression, f": cron has 5 fields, this has {len(fields)}")
    else:
        fields = [f.replace("?", "*") for f in fields]
    converted = " ".join(fields)
    if not croniter.is_valid(converted):
        raise _invalid(expression)
    return converted


def validate(expression: str) -> None:
    """Raise :class:`InvalidSchedule` unless ``expression`` is a schedule :func:`due` can run."""
    to_croniter(expression)


def _aware(value: str) -> datetime:
    moment = datetime.fromisoformat(value)
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def due(crawlers: Iterable[Mapping[str, Any]], now: datetime) -> list[str]:
    """Names of READY, SCHEDULED crawlers (GetCrawlers shapes) whose schedule fired after their last crawl
    started (or, never crawled, after their creation) and at or before ``now``.

    A crawler whose schedule does not parse, or never fires again (a past year), is skipped with a warning.
    """
    from croniter import CroniterBadDateError, croniter

    names = []
    for crawler in crawlers:
        schedule = crawler.get("Schedule") or {}
        if schedule.get("State") != "SCHEDULED" or crawler.get("State") != "READY":
            continue
        try:
            expression = to_croniter(schedule.get("ScheduleExpression") or "")
        except InvalidSchedule as exc:
            log.warning("Crawler %s: %s", crawler["Name"], exc.message)
            continue
        last = (crawler.get("LastCrawl") or {}).get("StartTime") or crawler["CreationTime"]
        try:
            fired = croniter(expression, _aware(last), max_years_between_matches=MAX_YEARS).get_next(datetime)
        except CroniterBadDateError:
            log.warning("Crawler %s: schedule %r never fires again", crawler["Name"], schedule["ScheduleExpression"])
            continue
        if fired <= (now if now.tzinfo else now.replace(tzinfo=UTC)):
            names.append(crawler["Name"])
    return names
