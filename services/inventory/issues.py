"""Issues to the kitchen: first-expiry-first-out, never an expired lot, never more than is on hand."""
from __future__ import annotations

from datetime import date

from sqlalchemy import select
from sqlalchemy.orm import Session

from shared.auth import Principal
from shared.errors import Conflict, InvalidInput

from .fefo import NotEnoughStock, pick
from .items import get_item
from .ledger import candidates, lock_lot_balances, lock_positions, post_outbound, source_for
from .locations import get_location, may_act_at
from .models import Issue, StockBalance


def distinct_items(session: Session, school_id: int, lines: list[dict]):
    """The items of the lines, each at most once (a second line for an item would be picked twice)."""
    items, seen = [], set()
    for index, line in enumerate(lines):
        item = get_item(session, school_id, line["item_id"], f"lines.{index}.item_id")
        if item.id in seen:
            raise InvalidInput(f"lines.{index}.item_id", "item {item} is on more than one line", item=item.id)
        seen.add(item.id)
        items.append(item)
    return items


def take_fefo(session: Session, valuation, item_id: int, location_id: int, quantity, used_on: date, kind: str,
              source, field: str):
    """Post outbound movements for `quantity` over the lots FEFO picks; refuse the whole request when short."""
    balances = {b.lot_id: b for b in lock_lot_balances(session, item_id, location_id)}
    try:
        picks = pick(candidates(list(balances.values())), quantity, used_on)
    except NotEnoughStock as exc:
        raise Conflict.at(field, exc.message) from exc
    return [post_outbound(session, valuation, balances[lot_id], kind, taken, source) for lot_id, taken in picks]


def preview_fefo(session: Session, school_id: int, location_id: int, item_id: int, quantity, used_on: date):
    """The (lot balance, quantity) pairs an issue of `quantity` would take now, without posting or locking:
    what the canteen manager sees before posting. Raises NotEnoughStock as the issue would."""
    balances = {b.lot_id: b for b in session.scalars(select(StockBalance).where(
        StockBalance.school_id == school_id, StockBalance.item_id == item_id,
        StockBalance.location_id == location_id, StockBalance.quantity > 0)).unique()}
    return [(balances[lot_id], taken) for lot_id, taken in pick(candidates(list(balances.values())), quantity, used_on)]


def issue_to_kitchen(session: Session, principal: Principal, location_id: int, meal_date: date, meal: str,
                     lines: list[dict], today: date) -> Issue:
    """Issue stock from a dining hall's store to its kitchen for one meal.

    A lot is usable when it has not expired on the day the food is used: the meal date, or
    today for a meal recorded after the fact.
    """
    school_id = principal.school_id
    location = get_location(session, school_id, location_id)
    may_act_at(session, principal, location.id)
    if location.kind != "dining_hall":
        raise InvalidInput("location_id", "{location} is not a dining hall: issues go to a kitchen",
                           location=location.name)
    items = distinct_items(session, school_id, lines)
    issue = Issue(school_id=school_id, location_id=location.id, meal_date=meal_date, meal=meal,
                  created_by=principal.user_id)
    session.add(issue)
    session.flush()
    source = source_for(issue, "issue", principal.user_id)
    positions = lock_positions(session, school_id, [(item.id, location.id) for item in items], create=False)
    used_on = max(today, meal_date)
    for index, (item, line) in enumerate(zip(items, lines, strict=True)):
        field = f"lines.{index}.quantity"
        valuation = positions.get((item.id, location.id))
        if valuation is None:
            raise Conflict.at(field, "no {item} on hand at {location}", item=item.name, location=location.name)
        take_fefo(session, valuation, item.id, location.id, line["quantity"], used_on, "issue", source, field)
    session.flush()
    session.refresh(issue, ["movements"])
    return issue
