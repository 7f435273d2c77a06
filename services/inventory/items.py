"""The cache of procurement's catalogue: the items inventory may hold.

Procurement owns the catalogue (one per school); inventory keeps a copy so that a movement
never waits on an HTTP call. `upsert_items` takes item records in the cache's own terms
(validated by `ItemRecordSchema`) and inserts or refreshes them by procurement's id;
`refresh_items` pages through procurement's `GET /api/items` and upserts what it finds;
`run_item_refresh` is the hourly job that does so for every school inventory knows.
"""
from __future__ import annotations

import logging
from collections.abc import Callable, Iterable, Mapping

from marshmallow import Schema, ValidationError, fields, validate
from sqlalchemy import select
from sqlalchemy.orm import Session

from shared.auth import service_token
from shared.config import Settings
from shared.db import Database, utcnow
from shared.errors import DomainError, InvalidInput
from shared.http import ServiceClient

from .models import Item, Location

log = logging.getLogger(__name__)

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


def upsert_items(session: Session, school_id: int, records: Iterable[Mapping]) -> list[Item]:
    """Insert new items of the school's catalogue and refresh known ones; returns them in the order given."""
    try:
        loaded = ItemRecordSchema(many=True).load(list(records))
    except ValidationError as exc:
        raise DomainError("The item records are invalid", {"items": [str(exc.messages)]}) from exc
    by_id = {}
    for record in loaded:  # a later record for the same id wins, as a later page would
        by_id[record["id"]] = record
    existing = {item.id: item for item in session.scalars(select(Item).where(Item.id.in_(by_id)))}
    if any(item.school_id != school_id for item in existing.values()):
        raise DomainError("The item records are invalid", {"items": ["an item id belongs to another school"]})
    now = utcnow()
    for item_id, record in by_id.items():
        item = existing.get(item_id)
        if item is None:
            item = existing[item_id] = Item(id=item_id, school_id=school_id)
            session.add(item)
        for name, value in record.items():
            setattr(item, name, value)
        item.synced_at = now
    session.flush()
    return [existing[record["id"]] for record in loaded]


def unknown_item(item_id: int, field: str) -> InvalidInput:
    return InvalidInput(field, "no item {item_id} in the catalogue", item_id=item_id)


def get_item(session: Session, school_id: int, item_id: int, field: str = "item_id") -> Item:
    item = session.get(Item, item_id)
    if item is None or item.school_id != school_id or not item.active:
        raise unknown_item(item_id, field)
    return item


def is_bulk_commodity(item: Item) -> bool:
    return item.category in BULK_CATEGORIES


def from_procurement(record: Mapping) -> dict:
    """Procurement's item (services/procurement/schemas.py ItemSchema) in the cache's terms."""
    return {"id": record["id"], "code": record["code"], "name": record["name_zh"], "name_en": record.get("name_en"),
            "category": record["category"], "base_unit": record["base_unit"],
            "shelf_life_days": record.get("shelf_life_days"), "restricted": record.get("restricted_food", False),
            "active": record.get("active", True)}


def procurement_client(base_url: str, secret_key: str, school_id: int, timeout: float = 5.0) -> ServiceClient:
    """A client that reads procurement as this service, for one school (a short-lived service token)."""
    return ServiceClient(base_url, timeout=timeout, token=service_token("inventory", school_id, secret_key))


def refresh_items(session: Session, school_id: int, client: ServiceClient, per_page: int = 200) -> int:
    """Page through the school's catalogue in procurement and upsert every item; returns how many."""
    page, seen = 1, 0
    while True:
        response = client.get("/api/items", params={"page": page, "per_page": per_page})
        if response.status_code != 200:
            raise DomainError("procurement answered {status_code} for its item list", status_code=response.status_code)
        body = response.json()
        upsert_items(session, school_id, [from_procurement(record) for record in body["items"]])
        seen += len(body["items"])
        if not body["items"] or seen >= body["total"]:
            return seen
        page += 1


def run_item_refresh(database: Database, client_for: Callable[[int], ServiceClient] | None = None) -> dict:
    """Refresh every known school's item cache from procurement, one school per transaction.

    A school whose refresh fails (procurement down, a bad record) is logged and skipped, never
    raised: the cache stays as it was and the next hour tries again; the other schools go on.
    """
    if client_for is None:
        settings = Settings.from_env()

        def client_for(school_id: int) -> ServiceClient:
            return procurement_client(settings.service_url("procurement"), settings.secret_key, school_id)

    with database.unit_of_work() as uow:
        # every school that has stock locations or cached items is one inventory serves
        schools = sorted(set(uow.session.scalars(select(Location.school_id).distinct()))
                         | set(uow.session.scalars(select(Item.school_id).distinct())))
    refreshed, failed = 0, []
    for school_id in schools:
        try:
            with database.unit_of_work() as uow:
                refreshed += refresh_items(uow.session, school_id, client_for(school_id))
                uow.commit()
        except Exception:  # noqa: BLE001 (any failure of one school's refresh must not stop the job)
            log.exception("item cache refresh failed for school %s; the cache is kept as it was", school_id)
            failed.append(school_id)
    return {"schools": len(schools), "items": refreshed, "failed": failed}
