"""Supplier portal: supplier organisations, their users and their view of the school's business."""
from pathlib import Path

from flask import current_app, request

from shared.auth import current_principal
from shared.config import Settings
from shared.db import Database
from shared.errors import Unauthorized
from shared.pages import init_pages
from shared.service import ServiceSpec
from shared.uploads import FileStore, LocalFileStore
from shared.web import create_service_app

from . import events  # noqa: F401  (registers the payload schemas)
from .accounts import ensure_active_user
from .models import Base, IdempotencyKey, Inbox, Outbox
from .tasks import PERIODIC_JOBS, consumer

SPEC = ServiceSpec("supplier_portal", Base, Outbox, Inbox, consumer, Path(__file__).parent, PERIODIC_JOBS,
                   idempotency_model=IdempotencyKey)


def refuse_stale_supplier_tokens():
    """The one check, before every route, that a supplier token's user is still active with its role.

    It runs for every route, public ones included, so no route can be left out. A request
    without a token, or with one that does not decode, goes on: the route's own
    `require_roles` answers it.
    """
    if not request.headers.get("Authorization"):
        return
    try:
        principal = current_principal()
    except Unauthorized:
        return
    if principal.is_supplier:
        with current_app.extensions["database"].unit_of_work(read_only=True) as uow:
            ensure_active_user(uow.session, principal)


def create_app(config: Settings | None = None, database: Database | None = None,
               document_store: FileStore | None = None):
    from . import account_pages, record_pages  # noqa: F401  (their routes join the pages blueprint)
    from .api import BLUEPRINTS
    from .pages import blp as pages_blp
    from .pages import sign_in

    app = create_service_app(SPEC, config, database, BLUEPRINTS, "Supplier portal 供应商门户")
    app.before_request(refuse_stale_supplier_tokens)
    app.before_request(account_pages.allow_document_sized_uploads)
    init_pages(app, sign_in)
    app.register_blueprint(pages_blp)
    # Licence files go under VAR_DIR by default; pass another store (object storage) to keep them elsewhere.
    app.extensions["document_store"] = document_store or LocalFileStore(app.extensions["settings"].var_dir)
    return app
