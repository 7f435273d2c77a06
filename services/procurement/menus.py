"""Menu-driven demand: a dining hall's weekly menu × planned diners → what to buy, in whole purchase units.

need per item = Σ over meals (diners × quantity per serving of each dish) − on hand − on order,
rounded UP to whole purchase units (the item's smallest own unit, e.g. 25 kg bags; else one base unit).
The result becomes a draft requisition the canteen manager reviews before submitting it.
"""
from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Hashable, Iterable, Mapping
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

import requests
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, selectinload

from shared.auth import Principal, service_token
from shared.config import Settings
from shared.errors import Conflict, DomainError, Forbidden, InvalidInput, NotFound
from shared.http import ServiceClient
from shared.money import MILLI, to_decimal
from shared.pagination import Page, paginate

from .catalogue import base_quantity
from .demand import create_requisition, demand_point_by_code, own_demand_point
from .models import (
    MEALS,
    Dish,
    DishIngredient,
    Item,
    Menu,
    MenuMeal,
    MenuMealDish,
    PurchaseOrder,
    PurchaseOrderLine,
    Requisition,
)

# Orders whose goods are still to come count as "on order" once approved (a draft may never be sent).
ON_ORDER_STATES = ("approved", "sent", "acknowledged", "partially_received")
PLANNERS = ("canteen_manager", "procurement_officer", "admin")


class InventoryUnavailable(DomainError):
    status, title = 503, "Inventory unavailable"


@dataclass(frozen=True)
class Need:
    item_id: int
    gross: Decimal  # what the menu uses, base unit
    on_hand: Decimal
    on_order: Decimal
    net: Decimal  # gross − on hand − on order (positive, else the item is not listed)
    unit: str  # the purchase unit
    factor: Decimal  # base units in one purchase unit
    units: int  # whole purchase units to buy
    quantity: Decimal  # units × factor, base unit


def _thousandths(value: Decimal) -> int:
    scaled = to_decimal(value) * 1000
    if scaled != scaled.to_integral_value():
        raise ValueError(f"{value} is more precise than a thousandth")
    return int(scaled)


def ingredient_needs(menu: Mapping[Hashable, Iterable[Mapping[int, Decimal]]], diners: Mapping[Hashable, int],
                     on_hand: Mapping[int, Decimal], on_order: Mapping[int, Decimal],
                     packaging: Mapping[int, tuple[str, Decimal]]) -> dict[int, Need]:
    """Per item, what to buy for the menu.

    menu: per meal key, its dishes, each {item_id: quantity per serving in base units};
    diners: per meal key, the diners planned; on_hand / on_order: base units per item;
    packaging: per item, (purchase unit, base units in it). Exact to the thousandth: the
    rounding up is done in integer thousandths, so it is never off by a representation error.
    """
    gross: dict[int, Decimal] = defaultdict(Decimal)
    for meal, dishes in menu.items():
        count = diners.get(meal, 0)
        if count < 0:
            raise ValueError("planned diners must not be negative")
        for dish in dishes:
            for item_id, per_serving in dish.items():
                gross[item_id] += count * to_decimal(per_serving)
    needs = {}
    for item_id in sorted(gross):
        stock = to_decimal(on_hand.get(item_id, 0))
        coming = to_decimal(on_order.get(item_id, 0))
        net = gross[item_id] - stock - coming
        if net <= 0:
            continue
        unit, factor = packaging[item_id]
        factor = to_decimal(factor)
        if factor <= 0:
            raise ValueError("a purchase unit holds a positive quantity")
        units = -(-_thousandths(net) // _thousandths(factor))  # ceiling division
        needs[item_id] = Need(item_id, gross[item_id], stock, coming, net, unit, factor, units, units * factor)
    return needs


def purchase_unit(item: Item) -> tuple[str, Decimal]:
    """The unit a menu's needs are bought in: the item's smallest own unit (least left over), else the base unit."""
    own = sorted(((to_decimal(factor), unit) for unit, factor in (item.packaging or {}).items()))
    if own:
        factor, unit = own[0]
        return unit, factor
    return item.base_unit, Decimal(1)


# --- asking inventory ------------------------------------------------------------------------------

def stock_on_hand(config: Settings, school_id: int, location_code: str) -> dict[int, Decimal]:
    """Inventory's on-hand quantity per item at one location (GET /api/stock), base units.

    Inventory's item ids are procurement's (its item cache) and its location codes are the demand points'.
    """
    client = ServiceClient(config.service_url("inventory"), timeout=5.0,
                           token=service_token("procurement", school_id, config.secret_key))
    try:
        response = client.get("/api/stock")
    except requests.RequestException:
        raise InventoryUnavailable("Inventory did not answer; try again shortly") from None
    if response.status_code != 200:
        raise InventoryUnavailable("Inventory answered {status_code} for its stock", status_code=response.status_code)
    result: dict[int, Decimal] = defaultdict(Decimal)
    for row in response.json():
        if row["location_code"] == location_code:
            result[int(row["item_id"])] += to_decimal(row["quantity"])
    return dict(result)


def on_hand_at(config: Settings, principal: Principal) -> Callable[[str], dict[int, Decimal]]:
    # stock_on_hand is looked up at call time, so tests can put a fake inventory in its place
    return lambda location_code: stock_on_hand(config, principal.school_id, location_code)


def stock_on_order(session: Session, school_id: int, demand_point_id: int) -> dict[int, Decimal]:
    """Base units ordered for the demand point and not yet received, per item."""
    # summed column by column: the exact Quantity type decodes a plain column's sum, not an expression's
    rows = session.execute(
        select(PurchaseOrderLine.item_id, func.sum(PurchaseOrderLine.base_quantity),
               func.sum(PurchaseOrderLine.received_quantity))
        .join(PurchaseOrder, PurchaseOrder.id == PurchaseOrderLine.order_id)
        .where(PurchaseOrder.school_id == school_id, PurchaseOrder.state.in_(ON_ORDER_STATES),
               PurchaseOrderLine.demand_point_id == demand_point_id,
               PurchaseOrderLine.received_quantity < PurchaseOrderLine.base_quantity)
        .group_by(PurchaseOrderLine.item_id))
    return {item_id: to_decimal(ordered) - to_decimal(received) for item_id, ordered, received in rows}


# --- dishes and menus ------------------------------------------------------------------------------

def create_dish(session: Session, principal: Principal, name: str, ingredients: list[dict]) -> Dish:
    if not ingredients:
        raise InvalidInput("ingredients", "a dish needs at least one ingredient")
    if session.scalar(select(Dish.id).where(Dish.school_id == principal.school_id, Dish.name == name)):
        raise Conflict("A dish named {name} exists already", name=name)
    dish = Dish(school_id=principal.school_id, name=name, created_by=principal.user_id)
    seen = set()
    for index, ingredient in enumerate(ingredients):
        item = session.get(Item, ingredient["item_id"])
        if item is None or item.school_id != principal.school_id:
            raise InvalidInput(f"ingredients.{index}.item_id", "no such item")
        if item.id in seen:
            raise InvalidInput(f"ingredients.{index}.item_id", "the item is listed twice")
        seen.add(item.id)
        try:
            per_serving = base_quantity(item, ingredient["quantity"], ingredient.get("unit") or item.base_unit)
        except InvalidInput as exc:
            raise exc.within(f"ingredients.{index}") from None
        dish.ingredients.append(DishIngredient(item=item, per_serving=per_serving))
    session.add(dish)
    try:
        with session.begin_nested():
            session.flush()
    except IntegrityError:
        raise Conflict("A dish named {name} exists already", name=name) from None
    return dish


def list_dishes(session: Session, principal: Principal) -> list[Dish]:
    return list(session.scalars(select(Dish).where(Dish.school_id == principal.school_id)
                                .options(selectinload(Dish.ingredients).selectinload(DishIngredient.item))
                                .order_by(Dish.name)))


LOAD_MENU = (selectinload(Menu.meals).selectinload(MenuMeal.dishes).selectinload(MenuMealDish.dish)
             .selectinload(Dish.ingredients).selectinload(DishIngredient.item),
             selectinload(Menu.demand_point))


def create_menu(session: Session, principal: Principal, demand_point: str, week_start: date,
                meals: list[dict]) -> Menu:
    """A week's menu for one dining hall; a manager plans only their own hall."""
    point = demand_point_by_code(session, principal.school_id, demand_point)
    if point.kind != "dining_hall":
        raise InvalidInput("demand_point", "menus are planned for dining halls")
    own = own_demand_point(session, principal)
    if own is not None and own != point.id:
        raise Forbidden("You may plan menus only for your own dining hall")
    if week_start.weekday() != 0:
        raise InvalidInput("week_start", "a menu week starts on a Monday")
    if not meals:
        raise InvalidInput("meals", "a menu needs at least one meal")
    if session.scalar(select(Menu.id).where(Menu.demand_point_id == point.id, Menu.week_start == week_start)):
        raise Conflict("{point} already has a menu for the week of {week_start}",
                       point=point.code, week_start=week_start)
    menu = Menu(school_id=principal.school_id, demand_point=point, week_start=week_start,
                created_by=principal.user_id)
    slots = set()
    for index, meal in enumerate(meals):
        if not 0 <= (meal["date"] - week_start).days < 7:
            raise InvalidInput(f"meals.{index}.date", "is not in the menu's week")
        if meal["meal"] not in MEALS:
            raise InvalidInput(f"meals.{index}.meal", "must be one of {choices}", choices=", ".join(MEALS))
        if (meal["date"], meal["meal"]) in slots:
            raise InvalidInput(f"meals.{index}.meal", "this meal of this day is listed twice")
        slots.add((meal["date"], meal["meal"]))
        if len(set(meal["dish_ids"])) != len(meal["dish_ids"]):
            raise InvalidInput(f"meals.{index}.dish_ids", "a dish is listed twice")
        entry = MenuMeal(meal_date=meal["date"], meal=meal["meal"], diners=meal["diners"])
        for dish_id in meal["dish_ids"]:
            dish = session.get(Dish, dish_id)
            if dish is None or dish.school_id != principal.school_id:
                raise InvalidInput(f"meals.{index}.dish_ids", "no dish {dish_id}", dish_id=dish_id)
            entry.dishes.append(MenuMealDish(dish=dish))
        menu.meals.append(entry)
    session.add(menu)
    try:
        with session.begin_nested():
            session.flush()
    except IntegrityError:
        raise Conflict("{point} already has a menu for the week of {week_start}",
                       point=point.code, week_start=week_start) from None
    return menu


def get_menu(session: Session, principal: Principal, menu_id: int, for_update: bool = False) -> Menu:
    """One menu; a manager's own dining hall's only (another hall's is no menu of theirs: 404)."""
    query = select(Menu).where(Menu.id == menu_id, Menu.school_id == principal.school_id).options(*LOAD_MENU)
    own = own_demand_point(session, principal)
    if own is not None:
        query = query.where(Menu.demand_point_id == own)
    menu = session.scalar(query.with_for_update(of=Menu) if for_update else query)
    if menu is None:
        raise NotFound("No such menu")
    return menu


def list_menus(session: Session, principal: Principal, *, demand_point: str | None = None,
               week_start: date | None = None, page: int = 1, per_page: int = 50) -> Page:
    """Menus newest week first; a manager sees only their own dining hall's."""
    query = select(Menu).where(Menu.school_id == principal.school_id)
    own = own_demand_point(session, principal)
    if own is not None:
        query = query.where(Menu.demand_point_id == own)
    if demand_point:
        query = query.where(Menu.demand_point_id == demand_point_by_code(session, principal.school_id,
                                                                         demand_point).id)
    if week_start:
        query = query.where(Menu.week_start == week_start)
    return paginate(session, query.options(*LOAD_MENU).order_by(Menu.week_start.desc(), Menu.id.desc()), page,
                    per_page)


def menu_needs(session: Session, principal: Principal, menu_id: int,
               on_hand_at: Callable[[str], Mapping[int, Decimal]]) -> tuple[Menu, list[Need], dict[int, date]]:
    """The menu's needs, with each item's first day of use; `on_hand_at(location_code)` asks inventory."""
    menu = get_menu(session, principal, menu_id)
    dishes_per_meal, diners, items, first_use = {}, {}, {}, {}
    for meal in menu.meals:
        key = (meal.meal_date, meal.meal)
        diners[key] = meal.diners
        dishes_per_meal[key] = [{ing.item_id: ing.per_serving for ing in entry.dish.ingredients}
                                for entry in meal.dishes]
        for entry in meal.dishes:
            for ingredient in entry.dish.ingredients:
                items[ingredient.item_id] = ingredient.item
                if meal.diners > 0:
                    first_use[ingredient.item_id] = min(first_use.get(ingredient.item_id, meal.meal_date),
                                                        meal.meal_date)
    on_hand = on_hand_at(menu.demand_point.code)
    on_order = stock_on_order(session, menu.school_id, menu.demand_point_id)
    needs = ingredient_needs(dishes_per_meal, diners, on_hand, on_order,
                             {item_id: purchase_unit(item) for item_id, item in items.items()})
    return menu, list(needs.values()), first_use


def requisition_from_menu(session: Session, principal: Principal, menu_id: int, today: date,
                          on_hand_at: Callable[[str], Mapping[int, Decimal]]) -> Requisition:
    """A draft requisition (source "menu") for what the menu needs beyond stock; 409 when nothing is needed.

    One live requisition per menu: a second would count the same meals twice (requisitions not yet
    ordered are not "on order"). After the first is rejected, the menu may make another.
    """
    menu = get_menu(session, principal, menu_id, for_update=True)
    if menu.requisition_id is not None:
        earlier = session.get(Requisition, menu.requisition_id)
        if earlier is not None and earlier.state != "rejected":
            raise Conflict("Requisition {requisition} was already made from this menu and is {state}",
                           requisition=earlier.id, state=earlier.state)
    menu, needs, first_use = menu_needs(session, principal, menu_id, on_hand_at)
    if not needs:
        raise Conflict("Stock on hand and on order already covers this menu")
    lines = [{"item_id": need.item_id, "quantity": Decimal(need.units).quantize(MILLI), "unit": need.unit,
              "needed_by": max(first_use[need.item_id], today)} for need in needs]
    requisition = create_requisition(session, principal, menu.demand_point.code, lines, today,
                                     note=f"菜单 {menu.week_start.isoformat()} 周", source="menu")
    menu.requisition_id = requisition.id
    session.flush()
    return requisition
