"""What every inventory endpoint shares: who may do what, and what day it is at the school."""
from datetime import date, datetime
from zoneinfo import ZoneInfo

from shared.web import settings

# DESIGN.md §1: storekeepers, canteen managers and the store manager work here; supervisors read.
WRITERS = ("storekeeper", "canteen_manager", "store_manager", "admin")
READERS = WRITERS + ("supervisor", "finance")
# Whoever approves a count is a manager, not the storekeeper who counted.
STOCKTAKE_APPROVERS = ("canteen_manager", "store_manager", "admin")
SECURITY = [{"bearerAuth": []}]


def school_today() -> date:
    """Business dates (expiry, meal date) are the school's dates, not UTC's."""
    return datetime.now(ZoneInfo(settings().school_timezone)).date()
