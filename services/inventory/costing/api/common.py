"""Who may do what in meal-cost accounting (DESIGN.md §1, §5)."""
from datetime import date, datetime
from zoneinfo import ZoneInfo

from shared.web import settings

# Finance enters income and spending and prepares statements; canteens also record diners.
ENTRY_WRITERS = ("finance", "admin")
MEALS_WRITERS = ("canteen_manager", "finance", "admin")
# The cost accountant (finance) signs first; approvers and admins sign the other four slots.
SIGNERS = ("finance", "approver", "admin")
# The meal-cost supervisor reads cost reports; supervisor accounts are read-only.
READERS = ("finance", "admin", "approver", "supervisor", "canteen_manager")
EXPORTERS = ("finance", "admin", "approver", "supervisor")
SECURITY = [{"bearerAuth": []}]


def school_timezone() -> str:
    return settings().school_timezone


def school_today() -> date:
    return datetime.now(ZoneInfo(school_timezone())).date()
