from alembic import context

from services.procurement.models import Base
from shared.migrations import run_migrations

run_migrations(context, Base.metadata)
