"""Accounting periods as inclusive ranges of the school's business dates."""
from __future__ import annotations

import calendar
from datetime import date, datetime, time, timedelta, timezone
from zoneinfo import ZoneInfo

PERIOD_KINDS = ("day", "week", "month", "term")
# A term is a date range; longer than a year is surely a typo.
MAX_TERM_DAYS = 366


def month_start(day: date) -> date:
    return day.replace(day=1)


def month_end(day: date) -> date:
    return day.replace(day=calendar.monthrange(day.year, day.month)[1])


def previous_month(first: date) -> date:
    return month_start(first - timedelta(days=1))


def next_month(first: date) -> date:
    return month_end(first) + timedelta(days=1)


def period_bounds(kind: str, on: date | None = None, start: date | None = None,
                  end: date | None = None) -> tuple[date, date]:
    """(first day, last day) of the day, ISO week (Monday to Sunday) or month containing `on`,
    or of the term from `start` to `end`. Raises ValueError naming what is wrong."""
    if kind == "term":
        if start is None or end is None:
            raise ValueError("a term needs start and end")
        if end < start:
            raise ValueError("end is before start")
        if (end - start).days >= MAX_TERM_DAYS:
            raise ValueError(f"a term is at most {MAX_TERM_DAYS} days")
        return start, end
    if on is None:
        raise ValueError(f"a {kind} needs a date")
    if kind == "day":
        return on, on
    if kind == "week":
        monday = on - timedelta(days=on.weekday())
        return monday, monday + timedelta(days=6)
    if kind == "month":
        return month_start(on), month_end(on)
    raise ValueError(f"unknown period {kind!r}")


def utc_bounds(start: date, end: date, school_timezone: str) -> tuple[datetime, datetime]:
    """The UTC instants [from, to) covering the school's dates start..end (ledger times are UTC)."""
    zone = ZoneInfo(school_timezone)
    begin = datetime.combine(start, time(), zone).astimezone(timezone.utc)
    finish = datetime.combine(end + timedelta(days=1), time(), zone).astimezone(timezone.utc)
    return begin, finish
