"""Inventory: locations, lots, the stock ledger, inspection, issues, valuation, meal costs."""
from pathlib import Path

from shared.config import Settings
from shared.db import Database
from shared.service import ServiceSpec
from shared.web import create_service_app

from . import events  # noqa: F401  (registers the payload schemas)
from .models import Base, IdempotencyKey, Inbox, Outbox
from .tasks import PERIODIC_JOBS, TASKS, consumer

SPEC = ServiceSpec("inventory", Base, Outbox, Inbox, consumer, Path(__file__).parent, PERIODIC_JOBS,
                   idempotency_model=IdempotencyKey, tasks=TASKS)


def create_app(config: Settings | None = None, database: Database | None = None):
    from .api import BLUEPRINTS
    from .cli import COMMANDS
    from .costing.api import BLUEPRINTS as COSTING_BLUEPRINTS

    return create_service_app(SPEC, config, database, BLUEPRINTS + COSTING_BLUEPRINTS, "Inventory 库存", COMMANDS)
