"""Inventory's documents for page tests, made through the domain functions: the school's locations and
items, an order expected at the first dining hall with its delivery note, a count sheet, last month's
meal-cost statement and a weekly disclosure: every record an inventory page's URL names."""
from __future__ import annotations

import uuid
from datetime import datetime, timedelta, timezone
from zoneinfo import ZoneInfo

from sqlalchemy import select

from services.inventory.costing.disclosure import build_disclosure
from services.inventory.costing.periods import month_start, previous_month
from services.inventory.costing.statements import prepare_statement
from services.inventory.items import upsert_items
from services.inventory.locations import ensure_standard_locations
from services.inventory.models import ExpectedReceipt
from services.inventory.stocktakes import open_stocktake
from services.inventory.tasks import consumer
from shared.auth import Principal
from tests.inventory.conftest import ITEMS, RICE

ZONE = "Asia/Shanghai"


def seed_inventory(database, school_id: int, disclosure_clients) -> dict:
    """The URL values of inventory's pages: {expected_receipt_id, stocktake_id, statement_id, direction,
    school_id, week_start}; `disclosure_clients` reads procurement and the portal for the disclosure."""
    today = datetime.now(ZoneInfo(ZONE)).date()
    staff = Principal("page-seed", frozenset({"storekeeper", "finance"}), school_id=school_id)
    with database.unit_of_work() as uow:
        locations = {loc.code: loc for loc in ensure_standard_locations(uow.session, school_id)}
        upsert_items(uow.session, school_id, ITEMS)
        uow.commit()
    order_line = {"po_line_id": 1, "item_id": RICE["id"], "item_code": RICE["code"], "item_name": RICE["name"],
                  "category": RICE["category"], "unit": RICE["base_unit"], "quantity": "100.000",
                  "unit_price": "4.00", "delivery_date": today.isoformat(), "destination": "DH1"}
    for event_type, payload in (
            ("po.sent", {"po_id": 901, "school_id": school_id, "number": "PO-2026-000901", "revision": 1,
                         "supplier_id": 31, "total": "400.00", "sent_at": datetime.now(timezone.utc).isoformat(),
                         "lines": [order_line]}),
            ("delivery.dispatched", {"delivery_note_id": 95, "po_id": 901, "supplier_id": 31, "school_id": school_id,
                                     "number": "DN-95", "planned_at": datetime.now(timezone.utc).isoformat(),
                                     "lines": [{"po_line_id": 1, "item_id": RICE["id"], "quantity": "100.000",
                                                "lot_number": "R-95", "production_date": today.isoformat(),
                                                "expiry_date": None, "certificate_ref": "QS-95"}]})):
        consumer.apply(database, {"id": str(uuid.uuid4()), "type": event_type, "payload": payload})
    with database.unit_of_work() as uow:
        expected_id = uow.session.scalar(select(ExpectedReceipt.id).where(ExpectedReceipt.po_id == 901,
                                                                           ExpectedReceipt.school_id == school_id))
        stocktake = open_stocktake(uow.session, staff, locations["CSR"].id)
        statement = prepare_statement(uow.session, staff, previous_month(month_start(today)))
        disclosure = build_disclosure(uow.session, school_id, today - timedelta(days=7), ZONE,
                                      datetime.now(timezone.utc), disclosure_clients)
        uow.commit()
        return {"expected_receipt_id": expected_id, "stocktake_id": stocktake.id, "statement_id": statement.id,
                "direction": "income", "school_id": school_id, "week_start": disclosure.week_start.isoformat()}
