"""The campus store (校园超市): unified prices from the portal, and sales at those prices only.

A sale takes its goods first-expiry-first-out like an issue (never an expired lot), posts
`store_sale` movements valued at cost (the moving average), and records the revenue at the
unified price in force on the day. An item without a unified price is not sold.
"""
from __future__ import annotations

import logging
from datetime import date

from sqlalchemy import select
from sqlalchemy.orm import Session

from shared.auth import Principal
from shared.errors import InvalidInput
from shared.money import money

from .issues import distinct_items, take_fefo
from .ledger import lock_positions, source_for
from .locations import get_location
from .models import Item, StoreSale, StoreSaleLine, UnifiedPrice

log = logging.getLogger(__name__)


def record_unified_prices(session: Session, payload: dict) -> int:
    """Apply unified_prices.published; prices of items this service does not know are skipped."""
    stored = 0
    for price in payload["prices"]:
        item = session.get(Item, price["item_id"])
        if item is None:
            log.warning("unified price for unknown item %s (%s) skipped", price["item_id"], price["item_code"])
            continue
        row = session.scalars(select(UnifiedPrice).where(
            UnifiedPrice.item_id == item.id, UnifiedPrice.supplier_id == payload["supplier_id"],
            UnifiedPrice.effective_from == payload["effective_from"])).first()
        if row is None:
            row = UnifiedPrice(school_id=item.school_id, item_id=item.id, supplier_id=payload["supplier_id"],
                               effective_from=payload["effective_from"])
            session.add(row)
        row.unit_price = price["unit_price"]
        stored += 1
    session.flush()
    return stored


def unified_price(session: Session, item_id: int, on: date) -> UnifiedPrice | None:
    """The price in force on `on`: the latest effective date not after it (the latest published on a tie)."""
    return session.scalars(select(UnifiedPrice).where(UnifiedPrice.item_id == item_id,
                                                      UnifiedPrice.effective_from <= on)
                           .order_by(UnifiedPrice.effective_from.desc(), UnifiedPrice.id.desc()).limit(1)).first()


def sell(session: Session, principal: Principal, location_id: int, lines: list[dict], today: date) -> StoreSale:
    school_id = principal.school_id
    location = get_location(session, school_id, location_id)
    if location.kind != "campus_store":
        raise InvalidInput("location_id", "{location} is not the campus store", location=location.name)
    items = distinct_items(session, school_id, lines)
    prices = []
    for index, item in enumerate(items):
        price = unified_price(session, item.id, today)
        if price is None:
            raise InvalidInput(f"lines.{index}.item_id",
                               "{item} has no unified price: the store sells only at unified prices", item=item.name)
        prices.append(price.unit_price)
    sale = StoreSale(school_id=school_id, location_id=location.id, revenue=0, created_by=principal.user_id)
    session.add(sale)
    session.flush()
    source = source_for(sale, "store_sale", principal.user_id)
    positions = lock_positions(session, school_id, [(item.id, location.id) for item in items], create=True)
    for index, (item, line, unit_price) in enumerate(zip(items, lines, prices, strict=True)):
        take_fefo(session, positions[(item.id, location.id)], item.id, location.id, line["quantity"], today,
                  "store_sale", source, f"lines.{index}.quantity")
        sale.lines.append(StoreSaleLine(item_id=item.id, quantity=line["quantity"], unit_price=unit_price,
                                        amount=money(line["quantity"] * unit_price), restricted=item.restricted))
    sale.revenue = sum((sale_line.amount for sale_line in sale.lines), money(0))
    session.flush()
    session.refresh(sale, ["movements"])
    return sale
