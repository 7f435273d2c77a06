"""Business dates are the school's calendar dates (Asia/Shanghai by default), not UTC's."""
from datetime import date, datetime
from zoneinfo import ZoneInfo


def school_today(timezone: str) -> date:
    return datetime.now(ZoneInfo(timezone)).date()
