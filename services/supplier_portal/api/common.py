"""What every portal blueprint shares: who reviews suppliers, the signed-in caller, the school's clock."""
from shared.auth import current_principal
from shared.db import utcnow
from shared.web import settings

from ..clock import school_today

REVIEWERS = ("procurement_officer", "approver", "admin")
SUPPLIER_USERS = ("supplier_owner", "supplier_staff")
AUTH = [{"bearerAuth": []}]


def today():
    return school_today(settings().school_timezone)


def now():
    return utcnow()


__all__ = ["AUTH", "REVIEWERS", "SUPPLIER_USERS", "current_principal", "now", "today"]
