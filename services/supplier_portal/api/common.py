"""What every portal blueprint shares: who reviews suppliers, and the signed-in caller."""
from shared.auth import current_principal
from shared.web import settings

from ..clock import school_today

REVIEWERS = ("procurement_officer", "approver", "admin")
SUPPLIER_USERS = ("supplier_owner", "supplier_staff")
AUTH = [{"bearerAuth": []}]


def today():
    return school_today(settings().school_timezone)


__all__ = ["AUTH", "REVIEWERS", "SUPPLIER_USERS", "current_principal", "today"]
