"""Supplier portal: supplier organisations, their users and their view of the school's business."""
from pathlib import Path

from shared.config import Settings
from shared.db import Database
from shared.service import ServiceSpec
from shared.web import create_service_app

from . import events  # noqa: F401  (registers the payload schemas)
from .document_store import DocumentStore, LocalDocumentStore
from .models import Base, IdempotencyKey, Inbox, Outbox
from .tasks import PERIODIC_JOBS, consumer

SPEC = ServiceSpec("supplier_portal", Base, Outbox, Inbox, consumer, Path(__file__).parent, PERIODIC_JOBS,
                   idempotency_model=IdempotencyKey)


def create_app(config: Settings | None = None, database: Database | None = None,
               document_store: DocumentStore | None = None):
    from .api import BLUEPRINTS

    app = create_service_app(SPEC, config, database, BLUEPRINTS, "Supplier portal 供应商门户")
    # Licence files go under VAR_DIR by default; pass another store (object storage) to keep them elsewhere.
    app.extensions["document_store"] = document_store or LocalDocumentStore(app.extensions["settings"].var_dir)
    return app
