"""Alembic for each service's own database: the schema always comes from migrations."""
from __future__ import annotations

from alembic import command
from alembic.config import Config
from sqlalchemy import engine_from_config, pool
from sqlalchemy.types import TypeDecorator

from .db import make_engine


def alembic_config(migrations_dir, url: str) -> Config:
    config = Config()
    config.set_main_option("script_location", str(migrations_dir))
    config.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    return config


def upgrade(migrations_dir, url: str, revision: str = "head") -> None:
    command.upgrade(alembic_config(migrations_dir, url), revision)


def _render_item(type_, obj, autogen_context):
    # The exact column types are TypeDecorators over integers; the database only sees the integer.
    if type_ == "type" and isinstance(obj, TypeDecorator):
        impl = obj.impl if not isinstance(obj.impl, type) else obj.impl()
        return f"sa.{impl!r}"
    return False


def run_migrations(context, target_metadata) -> None:
    """The body of each service's `migrations/env.py`."""
    url = context.config.get_main_option("sqlalchemy.url")
    options = {"target_metadata": target_metadata, "render_item": _render_item,
               "render_as_batch": url.startswith("sqlite")}
    if context.is_offline_mode():
        context.configure(url=url, literal_binds=True, **options)
        with context.begin_transaction():
            context.run_migrations()
        return
    engine = make_engine(url) if url.startswith("sqlite") else engine_from_config(
        {"sqlalchemy.url": url}, prefix="sqlalchemy.", poolclass=pool.NullPool)
    with engine.connect() as connection:
        context.configure(connection=connection, **options)
        with context.begin_transaction():
            context.run_migrations()
    engine.dispose()
