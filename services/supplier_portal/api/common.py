"""What every portal blueprint shares: who reviews suppliers, the signed-in caller, the school's clock."""
from shared.auth import current_principal
from shared.db import utcnow
from shared.uploads import SIGNATURES
from shared.web import file_response, settings

from ..clock import school_today

REVIEWERS = ("procurement_officer", "approver", "admin")
SUPPLIER_USERS = ("supplier_owner", "supplier_staff")
AUTH = [{"bearerAuth": []}]
# Licences and evidence are served as uploaded: one of the types their content was checked to be.
AS_UPLOADED = file_response("the file as uploaded", *(content_type for _, _, content_type in SIGNATURES))


def today():
    return school_today(settings().school_timezone)


def now():
    return utcnow()


__all__ = ["AS_UPLOADED", "AUTH", "REVIEWERS", "SUPPLIER_USERS", "current_principal", "now", "today"]
