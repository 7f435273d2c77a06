"""Inventory: locations, lots, the stock ledger, inspection, issues, valuation, meal costs."""
from pathlib import Path

from shared.config import Settings
from shared.db import Database
from shared.pages import init_pages
from shared.service import ServiceSpec
from shared.uploads import LocalFileStore
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
    from .costing.pages import blp as costing_pages_blp
    from .pages import blp as pages_blp
    from .pages import sign_in

    app = create_service_app(SPEC, config, database, BLUEPRINTS + COSTING_BLUEPRINTS, "Inventory 库存", COMMANDS)
    # Complaint photos are kept apart from everything a page serves; keys are complaint_photos/<school>/<uuid>.
    app.extensions["complaint_photos"] = LocalFileStore(app.extensions["settings"].var_dir, "complaint_photos")
    init_pages(app, sign_in)
    app.register_blueprint(pages_blp)
    app.register_blueprint(costing_pages_blp)
    return app
