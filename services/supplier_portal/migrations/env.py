from alembic import context

from services.supplier_portal.models import Base
from shared.migrations import run_migrations

run_migrations(context, Base.metadata)
