"""Reorder rules (补货规则): below the minimum, ask procurement for enough to reach the maximum.

`stock.below_reorder` is published once per shortfall: when the stock first drops below the
minimum the rule remembers it (`below_since`), and only stock back at or above the minimum
clears it. The check runs with every movement, under the item × location lock the movement
already holds, so two concurrent issues cannot both publish the same shortfall; a periodic
sweep catches rules set while the stock was already low.
"""
from __future__ import annotations

from datetime import datetime
from decimal import ROUND_CEILING, Decimal

from sqlalchemy import bindparam, select
from sqlalchemy.orm import Session

from shared.auth import Principal
from shared.db import Database, utcnow
from shared.errors import InvalidInput
from shared.events import emit

from .items import get_item
from .locations import get_location, may_act_at
from .models import Location, ReorderRule, StockValuation


def suggested_quantity(on_hand: Decimal, maximum: Decimal, multiple: Decimal) -> Decimal:
    """Enough to bring `on_hand` up to `maximum`, rounded up to whole purchase multiples."""
    shortfall = maximum - on_hand
    return (shortfall / multiple).to_integral_value(rounding=ROUND_CEILING) * multiple


def check_rule(session: Session, rule: ReorderRule, on_hand: Decimal, now: datetime) -> bool:
    """Publish the shortfall if it is new; True when an event was emitted."""
    if on_hand >= rule.minimum:
        rule.below_since = None
        return False
    if rule.below_since is not None:
        return False
    rule.below_since = now
    location = session.get(Location, rule.location_id)
    emit(session, "stock.below_reorder", {
        "school_id": rule.school_id, "location_code": location.code, "item_id": rule.item_id, "on_hand": on_hand,
        "minimum": rule.minimum, "maximum": rule.maximum,
        "suggested_quantity": suggested_quantity(on_hand, rule.maximum, rule.multiple), "detected_at": now})
    return True


_RULES = ReorderRule.__table__
# a Core look-up: most positions have no rule, and an ORM query would first flush the session
_RULE_OF_POSITION = select(_RULES.c.id).where(_RULES.c.item_id == bindparam("item_id"),
                                              _RULES.c.location_id == bindparam("location_id"))


def check_after_movement(session: Session, valuation: StockValuation, now: datetime) -> None:
    rule_id = session.execute(_RULE_OF_POSITION, {"item_id": valuation.item_id,
                                                  "location_id": valuation.location_id}).scalar()
    check_rule_by_id(session, rule_id, valuation.quantity, now)


def check_rule_by_id(session: Session, rule_id: int | None, on_hand: Decimal, now: datetime) -> None:
    """The check, for a caller that looked up the position's rule (its id, or None) with its own reads."""
    if rule_id is not None:
        check_rule(session, session.get(ReorderRule, rule_id), on_hand, now)


def set_rule(session: Session, principal: Principal, item_id: int, location_id: int, minimum: Decimal,
             maximum: Decimal, multiple: Decimal) -> ReorderRule:
    get_item(session, principal.school_id, item_id)
    location = get_location(session, principal.school_id, location_id)
    may_act_at(session, principal, location.id)
    if maximum < minimum:
        raise InvalidInput("maximum", "the maximum is below the minimum")
    if multiple <= 0:
        raise InvalidInput("multiple", "the purchase multiple is positive")
    rule = session.scalars(select(ReorderRule).where(ReorderRule.item_id == item_id,
                                                     ReorderRule.location_id == location.id)).first()
    if rule is None:
        rule = ReorderRule(school_id=principal.school_id, item_id=item_id, location_id=location.id)
        session.add(rule)
    rule.minimum, rule.maximum, rule.multiple = minimum, maximum, multiple
    session.flush()
    return rule


def sweep(session: Session, now: datetime | None = None) -> int:
    """Check every rule against the stock on hand; returns how many shortfalls were published."""
    from .ledger import lock_positions  # the ledger calls this module on every movement

    now = now or utcnow()
    published = 0
    for rule in list(session.scalars(select(ReorderRule).order_by(ReorderRule.item_id, ReorderRule.location_id))):
        valuation = lock_positions(session, rule.school_id, [(rule.item_id, rule.location_id)], create=True)[
            (rule.item_id, rule.location_id)]
        session.refresh(rule)
        published += check_rule(session, rule, valuation.quantity, now)
    session.flush()
    return published


def run_sweep(database: Database) -> int:
    with database.unit_of_work() as uow:
        published = sweep(uow.session)
        uow.commit()
    return published
