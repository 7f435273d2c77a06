"""`flask --app services.inventory seed-demo`."""
import click
from flask import current_app

from .locations import ensure_standard_locations
from .reorder import run_sweep

DEMO_SCHOOL_ID = 1


@click.command("seed-demo")
def seed_demo():
    """Give the demo school its dining halls, central store room and campus store."""
    with current_app.extensions["database"].unit_of_work() as uow:
        locations = ensure_standard_locations(uow.session, DEMO_SCHOOL_ID)
        uow.commit()
    click.echo(f"inventory: {len(locations)} locations for school {DEMO_SCHOOL_ID}")


@click.command("reorder-sweep")
def reorder_sweep():
    """Publish stock.below_reorder for every rule whose stock is below its minimum (once per shortfall)."""
    published = run_sweep(current_app.extensions["database"])
    click.echo(f"inventory: {published} shortfalls published")


COMMANDS = [seed_demo, reorder_sweep]
