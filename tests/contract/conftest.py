"""One seeded school and two suppliers across the three services, and a caller of every kind.

Records are made through the services' own APIs and event handlers, so each route of the
authorization matrix is called on something real: `world[service][path parameter]` is its id.
"""
from __future__ import annotations

import io
from contextlib import contextmanager
from datetime import date, datetime, timedelta, timezone
from decimal import Decimal

import pytest
from sqlalchemy import select

from services.inventory.costing import disclosure as weekly_disclosure
from services.inventory.items import upsert_items
from services.inventory.locations import ensure_standard_locations
from services.inventory.tasks import consumer as inventory_consumer
from services.procurement import menus
from services.procurement.models import Outbox as ProcurementOutbox
from services.procurement.models import StaffUser
from services.supplier_portal.accounts import principal_for
from services.supplier_portal.models import SupplierUser
from shared.auth import STAFF_ROLES
from tests.conftest import bearer
from tests.inventory.conftest import ITEMS
from tests.procurement.conftest import RICE, deliver, demand_points, envelope, make_item, principal  # noqa: F401
from tests.supplier_portal.conftest import (  # noqa: F401
    add_document,
    approved_supplier,
    make_supplier,
    portal,
    portal_db,
    store_root,
)
from tests.supplier_portal.test_isolation import tenants  # noqa: F401
from tests.support import as_inventory_over

TODAY = date.today()
NOW = datetime.now(timezone.utc)
SOON = (TODAY + timedelta(days=3)).isoformat()
MONDAY = TODAY + timedelta(days=7 - TODAY.weekday())
# Supplier A of the portal is also the supplier procurement orders from: procurement knows it by id.
SUPPLIER_NAME = "山东鲁粮粮油有限公司"


def created(response, status=201) -> dict:
    assert response.status_code == status, (response.request.path, response.json)
    return response.json


@pytest.fixture
def callers(staff, databases, demand_points, tenants):  # noqa: F811
    """{caller: headers}: anonymous, one user per staff role, and the owners of suppliers A and B.
    The canteen manager runs dining hall 1 and the store manager the campus store, as in the demo."""
    headers = {"anonymous": {}}
    for role in sorted(STAFF_ROLES):
        home = {"canteen_manager": "DH1", "store_manager": "STORE"}.get(role)
        user, headers[role] = staff(role, demand_point=home)
        if home:
            with databases["procurement"].unit_of_work() as uow:
                uow.session.get(StaffUser, user.id).demand_point_id = demand_points[home].id
                uow.commit()
    headers["supplier_a"], headers["supplier_b"] = tenants[0].owner, tenants[1].owner
    with databases["supplier_portal"].unit_of_work() as uow:
        headers["supplier_a_staff"] = bearer(principal_for(uow.session.get(SupplierUser, tenants[0].staff_user_id)))
    return headers


@pytest.fixture
def world(procurement, inventory, portal, staff, deliver, make_item, demand_points, tenants, school,  # noqa: F811
          callers, databases, monkeypatch):
    """{service: {path parameter: id of a real record}}; the portal's are supplier A's."""
    monkeypatch.setattr(menus, "stock_on_hand", lambda config, school_id, code: {})
    # the disclosure reads procurement's menus and the portal's suppliers through their test clients
    sources = as_inventory_over({"procurement": procurement, "supplier_portal": portal})
    monkeypatch.setattr(weekly_disclosure, "service_clients", lambda settings: sources)
    a = tenants[0]
    return {"procurement": _procurement(procurement, staff, deliver, make_item, callers, a.supplier_id, school),
            "inventory": _inventory(inventory, staff, databases, school, a.supplier_id),
            "supplier_portal": a.ids | {"supplier_id": a.supplier_id, "scorecard_id": _scorecard(portal, callers, a)}}


def _scorecard(client, callers, supplier) -> int:
    """Supplier A's scorecard rated by this school (the isolation fixture's names a school by a fixed id)."""
    return created(client.post(f"/api/suppliers/{supplier.supplier_id}/scorecards", json={
        "period_start": "2026-03-01", "period_end": "2026-03-31", "rating": "satisfactory"},
        headers=callers["approver"]))["id"]


def _procurement(client, staff, deliver_event, new_item, callers, supplier_id, school) -> dict:
    _, everyone = staff("admin", "approver")
    manager = callers["canteen_manager"]
    deliver_event("supplier.approved", {"supplier_id": supplier_id, "name": SUPPLIER_NAME,
                                  "categories": ["bulk_grain_oil", "vegetables"], "approved_at": NOW})
    rice = new_item(RICE, reference="4.00")
    line = {"item_id": rice.id, "quantity": "4", "unit": "bag", "needed_by": SOON}
    submitted = created(client.post("/api/requisitions", json={"demand_point": "DH1", "lines": [line]},
                                    headers=manager))
    created(client.post(f"/api/requisitions/{submitted['id']}/submit", headers=manager), 200)
    consolidated = created(client.post("/api/requisitions", json={"demand_point": "DH1", "lines": [
        {**line, "needed_by": (MONDAY + timedelta(days=1)).isoformat()}]}, headers=manager))
    created(client.post(f"/api/requisitions/{consolidated['id']}/submit", headers=manager), 200)
    created(client.post(f"/api/requisitions/{consolidated['id']}/approve", json={}, headers=everyone), 200)
    plan = created(client.post("/api/purchase-plans", json={
        "window_start": MONDAY.isoformat(), "window_end": (MONDAY + timedelta(days=6)).isoformat()}, headers=everyone))
    rfq = created(client.post(f"/api/purchase-plans/{plan['id']}/rfqs", json={
        "plan_line_ids": [plan["lines"][0]["id"]], "title": "大米", "quote_deadline": (NOW + timedelta(days=2))
        .isoformat()}, headers=everyone))
    order = created(client.post("/api/purchase-orders", json={"supplier_id": supplier_id, "lines": [
        {"item_id": rice.id, "quantity": "10", "unit": "bag", "unit_price": "4.20", "destination": "DH1",
         "delivery_date": SOON}]}, headers=everyone))
    created(client.post(f"/api/purchase-orders/{order['id']}/submit", headers=everyone), 200)
    created(client.post(f"/api/purchase-orders/{order['id']}/send", headers=everyone), 200)
    deliver_event("goods.received", {"receipt_id": 1, "po_id": order["id"], "supplier_id": supplier_id,
                               "school_id": school.id, "location_code": "DH1", "received_at": NOW,
                               "inspectors": ["刘洋", "王敏"], "lines": [{
                                   "po_line_id": order["lines"][0]["id"], "item_id": rice.id,
                                   "accepted_quantity": Decimal("250"), "rejected_quantity": Decimal("0")}]})
    deliver_event("invoice.submitted", {"invoice_id": 9001, "po_id": order["id"], "supplier_id": supplier_id,
                                  "school_id": school.id, "invoice_number": "No.9001", "issued_on": TODAY,
                                        "submitted_at": NOW, "receipt_ids": [1],
                                  "total": Decimal("840.00"), "lines": [{
                                      "po_line_id": order["lines"][0]["id"], "quantity": Decimal("200"),
                                      "unit_price": Decimal("4.20")}]})
    [invoice] = client.get("/api/invoices", headers=everyone).json["items"]
    dish = created(client.post("/api/dishes", json={"name": "米饭", "ingredients": [
        {"item_id": rice.id, "quantity": "150", "unit": "g"}]}, headers=everyone))
    menu = created(client.post("/api/menus", json={"demand_point": "DH1", "week_start": MONDAY.isoformat(), "meals": [
        {"date": MONDAY.isoformat(), "meal": "lunch", "diners": 800, "dish_ids": [dish["id"]]}]}, headers=manager))
    agreement = created(client.post("/api/agreements", json={
        "supplier_id": supplier_id, "item_id": rice.id, "unit_price": "4.10",
        "valid_from": (TODAY - timedelta(days=10)).isoformat(), "valid_to": (TODAY + timedelta(days=80)).isoformat(),
        "reference": "DD-2026-003"}, headers=everyone))
    [staff_user] = [s for s in client.get("/api/staff", headers=everyone).json if s.get("demand_point") == "DH1"][:1]
    return {"item_id": rice.id, "requisition_id": submitted["id"], "plan_id": plan["id"], "rfq_id": rfq["id"],
            "order_id": order["id"], "invoice_id": invoice["id"], "menu_id": menu["id"],
            "agreement_id": agreement["id"], "user_id": staff_user["id"]}


def _inventory(client, staff, databases, school, supplier_id) -> dict:
    _, everyone = staff("admin", "finance", "supervisor")
    with databases["inventory"].unit_of_work() as uow:
        halls = {location.code: location.id for location in ensure_standard_locations(uow.session, school.id)}
        upsert_items(uow.session, school.id, ITEMS)
        uow.commit()
    rice, chips = ITEMS[0]["id"], ITEMS[3]["id"]

    def post(path, body, method="post", status=201):
        return created(getattr(client, method)(path, json=body, headers=everyone), status)

    receipt = post("/api/receipts", {"location_id": halls["DH1"], "supplier_id": supplier_id, "lines": [
        {"item_id": rice, "quantity": "100", "unit_price": "4.20", "lot_number": "R-1",
         "production_date": TODAY.isoformat()}]})
    lot = {"item_id": rice, "lot_id": receipt["movements"][0]["lot_id"], "quantity": "1"}
    issue = post("/api/issues", {"location_id": halls["DH1"], "meal_date": TODAY.isoformat(), "meal": "lunch",
                                 "lines": [{"item_id": rice, "quantity": "1"}]})
    transfer = post("/api/transfers", {"from_location_id": halls["DH1"], "to_location_id": halls["DH2"],
                                       "lines": [lot]})
    waste = post("/api/waste", {"location_id": halls["DH1"], "reason": "包装破损", "lines": [lot]})
    returned = post("/api/supplier-returns", {"location_id": halls["DH1"], "supplier_id": supplier_id,
                                              "reason": "质量不合格", "lines": [lot]})
    stocktake = post("/api/stocktakes", {"location_id": halls["DH2"]})  # not the canteen manager's hall
    post("/api/receipts", {"location_id": halls["STORE"], "lines": [
        {"item_id": chips, "quantity": "10", "unit_price": "2.00", "lot_number": "C-1",
         "production_date": TODAY.isoformat(), "expiry_date": (TODAY + timedelta(days=90)).isoformat()}]})
    inventory_consumer.apply(databases["inventory"], envelope("unified_prices.published", {
        "supplier_id": supplier_id, "effective_from": TODAY - timedelta(days=1), "prices": [
            {"item_id": chips, "item_code": ITEMS[3]["code"], "unit_price": Decimal("3.50")}]}))
    sale = post("/api/store-sales", {"location_id": halls["STORE"], "lines": [{"item_id": chips, "quantity": "1"}]})
    with databases["procurement"].unit_of_work() as uow:
        sent = uow.session.scalars(select(ProcurementOutbox).where(ProcurementOutbox.type == "po.sent")).one()
        po_sent = {"id": str(sent.id), "type": sent.type, "version": 1, "producer": "procurement",
                   "occurred_at": sent.occurred_at.isoformat(), "correlation_id": None, "payload": sent.payload}
    assert inventory_consumer.apply(databases["inventory"], po_sent)
    expected = client.get("/api/expected-receipts", headers=everyone).json["items"][0]
    income = post("/api/costing/income", {"location_id": halls["DH1"], "entry_date": TODAY.isoformat(),
                                          "kind": "subsidies", "amount": "20.00"})
    expense = post("/api/costing/expenses", {"location_id": halls["DH1"], "entry_date": TODAY.isoformat(),
                                             "kind": "wages", "amount": "20.00"})
    statement = post("/api/costing/statements", {"month": (TODAY.replace(day=1) - timedelta(days=1))
                                                 .replace(day=1).isoformat()})
    complaint = post("/api/costing/complaints", {"category": "food_quality", "text": "米饭夹生",
                                                 "filer_kind": "meal_quality_judge", "location_id": halls["DH1"]})
    created(client.put(f"/api/costing/complaints/{complaint['id']}/photo", headers=everyone,
                       content_type="multipart/form-data",
                       data={"file": (io.BytesIO(b"\x89PNG\r\n\x1a\n" + bytes(64)), "photo.png")}), 200)
    disclosure = post("/api/costing/disclosures", {"week_of": MONDAY.isoformat()}, status=200)
    job = post("/api/costing/export-jobs", {"kind": "cost_detail", "format": "csv", "start": TODAY.isoformat(),
                                            "end": TODAY.isoformat()}, status=202)
    return {"location_id": halls["DH1"], "receipt_id": receipt["id"], "issue_id": issue["id"],
            "transfer_id": transfer["id"], "waste_id": waste["id"], "return_id": returned["id"],
            "stocktake_id": stocktake["id"], "sale_id": sale["id"], "expected_receipt_id": expected["id"],
            "income_id": income["id"], "expense_id": expense["id"], "statement_id": statement["id"],
            "complaint_id": complaint["id"], "week_start": disclosure["week_start"], "school_id": school.id,
            "job_id": job["id"],
            "fmt": "csv", "direction": "income"}


@pytest.fixture
def apps(procurement, inventory, portal):  # noqa: F811
    return {"procurement": procurement.application, "inventory": inventory.application,
            "supplier_portal": portal.application}


@pytest.fixture
def savepoint(databases):
    """`with savepoint():` runs its body inside a savepoint of each database and rolls it back, so every
    call or scenario starts from the same seeded records."""
    connections = [database._sessions.kw["bind"] for database in databases.values()]

    @contextmanager
    def rolled_back():
        savepoints = [connection.begin_nested() for connection in connections]
        try:
            yield
        finally:
            for opened in reversed(savepoints):
                opened.rollback()

    return rolled_back
