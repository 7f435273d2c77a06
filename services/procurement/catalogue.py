"""The catalogue: items with their base unit and purchase units, reference prices, price rules."""
from __future__ import annotations

from datetime import date
from decimal import Decimal

from sqlalchemy import or_, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from shared.auth import Principal
from shared.db import utcnow
from shared.errors import Conflict, InvalidInput, NotFound, RuleBroken
from shared.money import MILLI, to_decimal
from shared.pagination import Page, paginate
from shared.units import STANDARD_UNITS, UNIT_ALIASES, UnitError, canonical, to_base

from .models import BULK_CATEGORIES, ITEM_CATEGORIES, PRICE_RULE_KINDS, PRICE_SOURCES, Item, PriceRule, ReferencePrice
from .pricing import validate_rule

ITEM_FIELDS = ("code", "name_zh", "name_en", "category", "specification", "base_unit", "packaging",
               "shelf_life_days", "restricted_food", "active")


def normalise_packaging(base_unit: str, packaging: dict) -> dict[str, str]:
    """Check an item's own units: not a standard unit's name, a positive factor with ≤ 3 places."""
    if canonical(base_unit) not in STANDARD_UNITS:
        raise InvalidInput("base_unit", "must be one of {choices}", choices=", ".join(STANDARD_UNITS))
    result = {}
    for unit, factor in (packaging or {}).items():
        if canonical(unit) in STANDARD_UNITS or unit in UNIT_ALIASES:
            raise InvalidInput("packaging", "{unit} is a standard unit and converts by itself", unit=unit)
        try:
            factor = to_decimal(factor)
        except (TypeError, ValueError):
            raise InvalidInput("packaging", "the factor of {unit} is not a decimal number", unit=unit) from None
        if factor <= 0 or factor != factor.quantize(MILLI) or factor >= Decimal("1e9"):
            raise InvalidInput("packaging", "the factor of {unit} must be positive with at most 3 decimal places",
                               unit=unit)
        result[unit] = str(factor.normalize()) if factor == factor.to_integral_value() else str(factor)
    return result


def item_units(item: Item) -> list[str]:
    """Every unit a quantity of this item may be given in."""
    base = canonical(item.base_unit)
    dimension = STANDARD_UNITS[base][0]
    standard = [unit for unit, (dim, _) in STANDARD_UNITS.items() if dim == dimension]
    return standard + sorted(item.packaging or {})


def base_quantity(item: Item, amount: Decimal, unit: str, field: str = "quantity") -> Decimal:
    """`amount` of `unit` in the item's base unit; refused when it is not exact to the thousandth."""
    try:
        result = to_base(amount, unit, item.base_unit, item.packaging)
    except UnitError as exc:
        raise InvalidInput("unit", "{problem}; use one of {units}",
                           problem=exc.message, units=", ".join(item_units(item))) from None
    if result <= 0:
        raise InvalidInput(field, "must be positive")
    if result != result.quantize(MILLI):
        raise InvalidInput(field, "is {result} {base_unit}: more precise than a thousandth of the base unit",
                           result=result, base_unit=item.base_unit)
    return result.quantize(MILLI)


def get_item(session: Session, principal: Principal, item_id: int) -> Item:
    item = session.get(Item, item_id)
    if item is None or item.school_id != principal.school_id:
        raise NotFound("No such item")
    return item


def list_items(session: Session, principal: Principal, *, category: str | None = None, q: str | None = None,
               restricted_food: bool | None = None, active: bool | None = None, bulk: bool | None = None,
               page: int = 1, per_page: int = 50) -> Page:
    query = select(Item).where(Item.school_id == principal.school_id)
    if category:
        query = query.where(Item.category == category)
    if bulk is not None:
        query = query.where(Item.category.in_(BULK_CATEGORIES) if bulk else Item.category.not_in(BULK_CATEGORIES))
    if restricted_food is not None:
        query = query.where(Item.restricted_food == restricted_food)
    if active is not None:
        query = query.where(Item.active == active)
    if q:
        pattern = f"%{q}%"
        query = query.where(or_(Item.code.ilike(pattern), Item.name_zh.like(pattern), Item.name_en.ilike(pattern),
                                Item.specification.like(pattern)))
    return paginate(session, query.order_by(Item.code, Item.id), page, per_page)


def _check_fields(data: dict) -> None:
    if "category" in data and data["category"] not in ITEM_CATEGORIES:
        raise InvalidInput("category", "must be one of {choices}", choices=", ".join(ITEM_CATEGORIES))
    if data.get("restricted_food") and data.get("category") not in (None, "store_goods"):
        raise InvalidInput("restricted_food", "only campus-store goods carry the restricted-food flag")


def create_item(session: Session, principal: Principal, data: dict) -> Item:
    _check_fields(data)
    data = {key: value for key, value in data.items() if key in ITEM_FIELDS}
    data["packaging"] = normalise_packaging(data["base_unit"], data.get("packaging") or {})
    data["base_unit"] = canonical(data["base_unit"])
    if session.scalar(select(Item.id).where(Item.school_id == principal.school_id, Item.code == data["code"])):
        raise Conflict("An item with code {code} exists already", code=data["code"])
    item = Item(school_id=principal.school_id, version=1, **data)
    session.add(item)
    try:
        with session.begin_nested():
            session.flush()
    except IntegrityError:
        raise Conflict("An item with code {code} exists already", code=data["code"]) from None
    return item


def update_item(session: Session, principal: Principal, item_id: int, data: dict,
                expected_version: int | None = None) -> Item:
    item = get_item(session, principal, item_id)
    if expected_version is not None and expected_version != item.version:
        raise Conflict("The item was changed since you read it; read it again")
    merged = {field: getattr(item, field) for field in ITEM_FIELDS} | data
    _check_fields(merged)
    if "code" in data and data["code"] != item.code and session.scalar(
            select(Item.id).where(Item.school_id == item.school_id, Item.code == data["code"])):
        raise Conflict("An item with code {code} exists already", code=data["code"])
    if "base_unit" in data and canonical(data["base_unit"]) != item.base_unit:
        # quantities already stored in the old base unit would silently change meaning
        raise Conflict("The base unit of an item in the catalogue cannot change; create a new item")
    if "packaging" in data:
        removed = set(item.packaging or {}) - set(data["packaging"] or {})
        changed = {unit for unit, factor in (data["packaging"] or {}).items()
                   if unit in (item.packaging or {}) and to_decimal(str(factor)) != to_decimal(item.packaging[unit])}
        if removed or changed:
            raise Conflict("A purchase unit's factor cannot change or go away; add a new unit instead")
        data["packaging"] = normalise_packaging(item.base_unit, data["packaging"])
    for field, value in data.items():
        if field in ITEM_FIELDS:
            setattr(item, field, value)
    item.version += 1
    item.updated_at = utcnow()
    session.flush()
    return item


def add_reference_price(session: Session, principal: Principal, item_id: int, price: Decimal,
                        effective_from: date, source: str, note: str = "") -> ReferencePrice:
    item = get_item(session, principal, item_id)
    if source not in PRICE_SOURCES:
        raise InvalidInput("source", "must be one of {choices}", choices=", ".join(PRICE_SOURCES))
    if price <= 0:
        raise InvalidInput("price", "must be positive")
    if session.scalar(select(ReferencePrice.id).where(ReferencePrice.item_id == item.id,
                                                      ReferencePrice.effective_from == effective_from,
                                                      ReferencePrice.source == source)):
        raise Conflict("This source already gave a reference price for that date")
    reference = ReferencePrice(school_id=item.school_id, item_id=item.id, price=price, effective_from=effective_from,
                               source=source, note=note, created_by=principal.user_id)
    session.add(reference)
    session.flush()
    return reference


def list_reference_prices(session: Session, principal: Principal, item_id: int) -> list[ReferencePrice]:
    item = get_item(session, principal, item_id)
    return list(session.scalars(select(ReferencePrice).where(ReferencePrice.item_id == item.id)
                                .order_by(ReferencePrice.effective_from.desc(), ReferencePrice.id.desc())))


def set_price_rule(session: Session, principal: Principal, category: str, kind: str, rate: Decimal,
                   item_id: int | None = None) -> PriceRule:
    if category not in ITEM_CATEGORIES:
        raise InvalidInput("category", "must be one of {choices}", choices=", ".join(ITEM_CATEGORIES))
    if kind not in PRICE_RULE_KINDS:
        raise InvalidInput("kind", "must be one of {choices}", choices=", ".join(PRICE_RULE_KINDS))
    try:
        validate_rule(kind, rate)
    except RuleBroken as exc:
        raise InvalidInput("rate", exc.message) from None
    if rate != rate.quantize(MILLI):
        raise InvalidInput("rate", "at most 3 decimal places (a tenth of a percent)")
    if item_id is not None and get_item(session, principal, item_id).category != category:
        raise InvalidInput("item_id", "the item is not in that category")
    rule = session.scalars(select(PriceRule).where(
        PriceRule.school_id == principal.school_id, PriceRule.category == category,
        PriceRule.item_id == item_id if item_id is not None else PriceRule.item_id.is_(None))).first()
    if rule is None:
        rule = PriceRule(school_id=principal.school_id, category=category, item_id=item_id)
        session.add(rule)
    rule.kind, rule.rate = kind, rate
    session.flush()
    return rule
