"""Entered figures: diners served, income, entered spending, and the school's food-share floor."""
from sqlalchemy import select

from shared.auth import current_principal, require_roles
from shared.idempotency import idempotent
from shared.pagination import paginate
from shared.web import Blueprint, unit_of_work

from ...locations import at_own_location
from ...models import MealsServed
from ..entries import ENTRY_MODELS, add_entry, delete_entry, get_settings, record_meals_served, update_settings
from ..schemas import (
    DateRangeQuerySchema,
    EntryQuerySchema,
    ExpenseEntryPageSchema,
    ExpenseEntrySchema,
    IncomeEntryPageSchema,
    IncomeEntrySchema,
    MealsServedPageSchema,
    MealsServedSchema,
    SettingsSchema,
)
from .common import ENTRY_WRITERS, MEALS_WRITERS, READERS, SECURITY

blp = Blueprint("costing_entries", __name__, url_prefix="/api/costing",
                description="Meal-cost accounting: diners served, income and spending entered by finance")


def _filtered(session, query, model, date_column, args):
    principal = current_principal()
    query = query.where(model.school_id == principal.school_id, at_own_location(session, principal, model.location_id))
    if args.get("location_id") is not None:
        query = query.where(model.location_id == args["location_id"])
    if args.get("start") is not None:
        query = query.where(date_column >= args["start"])
    if args.get("end") is not None:
        query = query.where(date_column <= args["end"])
    if args.get("kind") is not None:
        query = query.where(model.kind == args["kind"])
    return query.order_by(date_column, model.id)


@blp.get("/settings")
@blp.doc(security=SECURITY)
@require_roles(*READERS)
@blp.response(200, SettingsSchema)
def read_settings():
    with unit_of_work() as uow:
        return get_settings(uow.session, current_principal().school_id)


@blp.put("/settings")
@blp.doc(security=SECURITY)
@require_roles(*ENTRY_WRITERS)
@blp.arguments(SettingsSchema)
@blp.response(200, SettingsSchema)
def write_settings(data):
    with unit_of_work() as uow:
        saved = update_settings(uow.session, current_principal(), data["food_share_floor"])
        uow.commit()
    return saved


@blp.put("/meals-served")
@blp.doc(security=SECURITY)
@require_roles(*MEALS_WRITERS)
@blp.arguments(MealsServedSchema)
@blp.response(200, MealsServedSchema)
def put_meals_served(data):
    with unit_of_work() as uow:
        record = record_meals_served(uow.session, current_principal(), **data)
        uow.commit()
    return record


@blp.get("/meals-served")
@blp.doc(security=SECURITY)
@require_roles(*READERS)
@blp.arguments(DateRangeQuerySchema, location="query")
@blp.response(200, MealsServedPageSchema)
def list_meals_served(args):
    with unit_of_work() as uow:
        query = _filtered(uow.session, select(MealsServed), MealsServed, MealsServed.meal_date, args)
        return paginate(uow.session, query, args["page"], args["per_page"])


def _entry_routes(direction: str, path: str, schema, page_schema):
    model, _ = ENTRY_MODELS[direction]

    @blp.post(path, endpoint=f"create_{direction}")
    @blp.doc(security=SECURITY)
    @require_roles(*ENTRY_WRITERS)
    @idempotent
    @blp.arguments(schema)
    @blp.response(201, schema)
    def create(data):
        with unit_of_work() as uow:
            entry = add_entry(uow.session, current_principal(), direction, **data)
            uow.commit()
        return entry

    @blp.get(path, endpoint=f"list_{direction}")
    @blp.doc(security=SECURITY)
    @require_roles(*READERS)
    @blp.arguments(EntryQuerySchema, location="query")
    @blp.response(200, page_schema)
    def listing(args):
        with unit_of_work() as uow:
            query = _filtered(uow.session, select(model), model, model.entry_date, args)
            return paginate(uow.session, query, args["page"], args["per_page"])

    @blp.delete(f"{path}/<int:entry_id>", endpoint=f"delete_{direction}")
    @blp.doc(security=SECURITY)
    @require_roles(*ENTRY_WRITERS)
    @blp.response(204)
    def delete(entry_id):
        with unit_of_work() as uow:
            delete_entry(uow.session, current_principal(), direction, entry_id)
            uow.commit()


_entry_routes("income", "/income", IncomeEntrySchema, IncomeEntryPageSchema)
_entry_routes("expense", "/expenses", ExpenseEntrySchema, ExpenseEntryPageSchema)
