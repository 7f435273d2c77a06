"""The cache of procurement's catalogue: the items inventory may hold.

Procurement owns the catalogue; inventory keeps a copy so that a movement never waits on an
HTTP call. `upsert_items` takes item records as procurement describes them (validated by
`ItemRecordSchema`) and inserts or refreshes them by procurement's id.
"""
from __future__ import annotations

from collections.abc import Iterable, Mapping

from marshmallow import Schema, ValidationError, fields, validate
from sqlalchemy import select
from sqlalchemy.orm import Session

from shared.db import utcnow
from shared.errors import DomainError, InvalidInput

from .models import Item

# DESIGN.md §5: bulk commodities (大宗物资) need two inspectors at receipt.
BULK_CATEGORIES = frozenset({"rice", "flour", "cooking_oil", "coal"})


class ItemRecordSchema(Schema):
    id = fields.Integer(required=True, strict=True, validate=validate.Range(min=1))
    code = fields.String(required=True, validate=validate.Length(min=1, max=64))
    name = fields.String(required=True, validate=validate.Length(min=1, max=200))
    name_en = fields.String(load_default=None, allow_none=True, validate=validate.Length(max=200))
    category = fields.String(required=True, validate=validate.Length(min=1, max=64))
    base_unit = fields.String(required=True, validate=validate.Length(min=1, max=16))
    shelf_life_days = fields.Integer(load_default=None, allow_none=True, strict=True,
                                     validate=validate.Range(min=1, max=36500))
    restricted = fields.Boolean(load_default=False)
    active = fields.Boolean(load_default=True)


def upsert_items(session: Session, records: Iterable[Mapping]) -> list[Item]:
    """Insert new items and refresh known ones; returns them in the order given."""
    try:
        loaded = ItemRecordSchema(many=True).load(list(records))
    except ValidationError as exc:
        raise DomainError("The item records are invalid", {"items": [str(exc.messages)]}) from exc
    by_id = {}
    for record in loaded:  # a later record for the same id wins, as a later page would
        by_id[record["id"]] = record
    existing = {item.id: item for item in session.scalars(select(Item).where(Item.id.in_(by_id)))}
    now = utcnow()
    for item_id, record in by_id.items():
        item = existing.get(item_id)
        if item is None:
            item = existing[item_id] = Item(id=item_id)
            session.add(item)
        for name, value in record.items():
            setattr(item, name, value)
        item.synced_at = now
    session.flush()
    return [existing[record["id"]] for record in loaded]


def get_item(session: Session, item_id: int, field: str = "item_id") -> Item:
    item = session.get(Item, item_id)
    if item is None or not item.active:
        raise InvalidInput(field, f"no item {item_id} in the catalogue")
    return item


def is_bulk_commodity(item: Item) -> bool:
    return item.category in BULK_CATEGORIES
