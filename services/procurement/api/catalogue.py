from datetime import datetime
from zoneinfo import ZoneInfo

from flask import request

from shared.auth import SERVICE_ROLE, STAFF_ROLES, current_principal, require_roles
from shared.errors import InvalidInput, NotFound
from shared.pagination import page_schema
from shared.web import Blueprint, settings, unit_of_work

from .. import catalogue
from ..pricing import check_for
from ..schemas import (
    ItemQuery,
    ItemSchema,
    ItemUpdateSchema,
    PriceCheckQuery,
    PriceCheckSchema,
    PriceRuleSchema,
    ReferencePriceSchema,
)

blp = Blueprint("catalogue", __name__, url_prefix="/api", description="Items, reference prices and price rules")
EDITORS = ("admin", "procurement_officer")
SECURITY = [{"bearerAuth": []}]


def school_today():
    return datetime.now(ZoneInfo(settings().school_timezone)).date()


def if_match_version() -> int | None:
    """The version an If-Match header names (ETags are the quoted version), or None."""
    header = request.headers.get("If-Match")
    if not header:
        return None
    value = header.strip().removeprefix("W/").strip('"')
    if not value.isdigit() or len(value) > 9:
        raise InvalidInput("If-Match", "must be an ETag this API gave")
    return int(value)


@blp.get("/items")
@blp.doc(security=SECURITY)
@require_roles(*STAFF_ROLES, SERVICE_ROLE)  # inventory refreshes its item cache from here
@blp.arguments(ItemQuery, location="query")
@blp.response(200, page_schema(ItemSchema))
def list_items(query):
    with unit_of_work() as uow:
        return catalogue.list_items(uow.session, current_principal(), **query)


@blp.post("/items")
@blp.doc(security=SECURITY)
@require_roles(*EDITORS)
@blp.arguments(ItemSchema)
@blp.response(201, ItemSchema)
def create_item(data):
    with unit_of_work() as uow:
        item = catalogue.create_item(uow.session, current_principal(), data)
        uow.commit()
    return item, 201, {"ETag": f'"{item.version}"'}


@blp.get("/items/<int:item_id>")
@blp.doc(security=SECURITY)
@require_roles(*STAFF_ROLES)
@blp.response(200, ItemSchema)
def show_item(item_id):
    with unit_of_work() as uow:
        item = catalogue.get_item(uow.session, current_principal(), item_id)
    return item, 200, {"ETag": f'"{item.version}"'}


@blp.patch("/items/<int:item_id>")
@blp.doc(security=SECURITY)
@require_roles(*EDITORS)
@blp.arguments(ItemUpdateSchema(partial=True))
@blp.response(200, ItemSchema)
def update_item(data, item_id):
    expected = if_match_version()
    with unit_of_work() as uow:
        item = catalogue.update_item(uow.session, current_principal(), item_id, data, expected)
        uow.commit()
    return item, 200, {"ETag": f'"{item.version}"'}


@blp.get("/items/<int:item_id>/reference-prices")
@blp.doc(security=SECURITY)
@require_roles(*STAFF_ROLES)
@blp.response(200, ReferencePriceSchema(many=True))
def list_reference_prices(item_id):
    with unit_of_work() as uow:
        return catalogue.list_reference_prices(uow.session, current_principal(), item_id)


@blp.post("/items/<int:item_id>/reference-prices")
@blp.doc(security=SECURITY)
@require_roles(*EDITORS)
@blp.arguments(ReferencePriceSchema)
@blp.response(201, ReferencePriceSchema)
def add_reference_price(data, item_id):
    with unit_of_work() as uow:
        reference = catalogue.add_reference_price(uow.session, current_principal(), item_id, **data)
        uow.commit()
    return reference


@blp.get("/items/<int:item_id>/price-limit")
@blp.doc(security=SECURITY)
@require_roles(*STAFF_ROLES)
@blp.arguments(PriceCheckQuery, location="query")
@blp.response(200, PriceCheckSchema)
def price_limit(query, item_id):
    with unit_of_work() as uow:
        item = catalogue.get_item(uow.session, current_principal(), item_id)
        check = check_for(uow.session, item, query["on"] or school_today())
        if check is None:
            raise NotFound("The item has no reference price in force on that date")
        unit = query["unit"] or item.base_unit
        factor = catalogue.base_quantity(item, 1, unit, field="unit")
    return {"item_id": item.id, "unit": unit, "reference": check.reference, "source": check.source,
            "kind": check.kind, "rate": check.rate, "limit": check.limit_for(factor)}


@blp.put("/price-rules")
@blp.doc(security=SECURITY)
@require_roles(*EDITORS)
@blp.arguments(PriceRuleSchema)
@blp.response(200, PriceRuleSchema)
def set_price_rule(data):
    with unit_of_work() as uow:
        rule = catalogue.set_price_rule(uow.session, current_principal(), **data)
        uow.commit()
    return rule
