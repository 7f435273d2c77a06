from alembic import context

from services.inventory.models import Base
from shared.migrations import run_migrations

run_migrations(context, Base.metadata)
