"""The whole purchasing cycle as its users work it, through the three services' HTTP APIs, with the
events between them carried by a real worker process: requisitions → purchase plan → RFQ → quote →
award → purchase order → acknowledgement → delivery notes → incoming inspection → invoice →
three-way match → payment."""
from __future__ import annotations

import io
import uuid
from dataclasses import dataclass
from datetime import date, datetime, timedelta, timezone
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select

from services.inventory.items import refresh_items
from services.inventory.locations import ensure_standard_locations
from services.procurement.accounts import create_staff_user
from services.procurement.demand import ensure_demand_points
from services.procurement.models import ApprovedSupplier, School
from services.supplier_portal.credit_code import check_character
from shared.auth import service_token
from shared.money import money
from tests.support import ServiceOverTestClient, wait_for

pytestmark = [pytest.mark.e2e]

PASSWORD = "e2e cycle password"
PDF = b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n"
DOCUMENTS_CHECKED = ["licence", "product_certificate", "delivery_note"]
# What the dining halls ask for, in the base unit (rice in kg, oil in L), and what the supplier quotes.
RICE_PRICE, OIL_PRICE = Decimal("5.80"), Decimal("13.00")
DEMAND = {("rice", "DH1"): Decimal("3500"), ("rice", "DH2"): Decimal("2500"),
          ("oil", "DH1"): Decimal("800"), ("oil", "DH2"): Decimal("600")}
# At the door of the first dining hall 50 kg of rice arrive in torn, damp bags and are refused.
REJECTED = {("rice", "DH1"): Decimal("50")}
REJECTION_REASON = "包装破损受潮"


def D(value) -> Decimal:  # noqa: N802 (reads like the literal it stands for)
    return Decimal(str(value))


def ok(response, status: int = 200):
    assert response.status_code == status, (response.status_code, response.get_json())
    return response.get_json()


def eventually(predicate, message: str, timeout: float = 30):
    return wait_for(predicate, timeout=timeout, interval=0.1, message=message)


@dataclass
class SchoolSetup:
    id: int
    today: date
    suffix: str
    staff: dict  # username -> Authorization header
    location_ids: dict  # location code -> inventory location id


@pytest.fixture
def school(suite) -> SchoolSetup:
    """A school of its own (demand points, stock locations) and its staff, signed in through procurement's API.

    Neither service has an API that creates a school's demand points or locations: `seed-demo` does it for
    the demo school, and this fixture does it the same way for this one.
    """
    suffix = uuid.uuid4().hex[:6]
    roles = {"buyer": ["procurement_officer"], "admin": ["admin"], "manager1": ["canteen_manager"],
             "manager2": ["canteen_manager"], "approver1": ["approver"], "approver2": ["approver"],
             "keeper": ["storekeeper"], "finance": ["finance"]}
    with suite.database("procurement").unit_of_work() as uow:
        row = School(name=f"采购闭环测试学校-{suffix}", timezone=suite.settings.school_timezone)
        uow.session.add(row)
        uow.session.flush()
        ensure_demand_points(uow.session, row.id)
        for username, user_roles in roles.items():
            create_staff_user(uow.session, row.id, f"{username}-{suffix}", username, PASSWORD, user_roles)
        school_id = row.id
        uow.commit()
    with suite.database("inventory").unit_of_work() as uow:
        ensure_standard_locations(uow.session, school_id)
        uow.commit()

    procurement = suite.client("procurement")
    staff = {}
    for username in roles:
        token = ok(procurement.post("/api/auth/login", json={"username": f"{username}-{suffix}", "password": PASSWORD}))
        staff[username] = {"Authorization": f"Bearer {token['access_token']}"}
    locations = ok(suite.client("inventory").get("/api/locations", headers=staff["keeper"]))
    today = datetime.now(ZoneInfo(suite.settings.school_timezone)).date()
    return SchoolSetup(school_id, today, suffix, staff, {location["code"]: location["id"] for location in locations})


def credit_code() -> str:
    body = f"913701{uuid.uuid4().int % 10**11:011d}"
    return body + check_character(body)


def register_approved_supplier(suite, school: SchoolSetup, buyer: dict) -> tuple[dict, dict]:
    """A grain-and-oil supplier registers on the portal, files its licences and is approved by the school's
    buyer; returns it and its owner's Authorization header once procurement knows it as approved."""
    portal, today = suite.client("supplier_portal"), school.today
    email = f"boss-{school.suffix}@luliang.example.cn"
    supplier = ok(portal.post("/api/auth/register", json={
        "name": f"山东鲁粮粮油有限公司-{school.suffix}", "credit_code": credit_code(),
        "address": "济南市历下区经十路1号", "contact_name": "王经理", "contact_phone": "0531-88888888",
        "contact_email": email, "categories": ["bulk_grain_oil"],
        "owner": {"email": email, "display_name": "王总", "password": PASSWORD}}), 201)
    assert supplier["status"] == "pending"
    signed_in = ok(portal.post("/api/auth/login", json={"email": email, "password": PASSWORD}))
    assert signed_in["supplier_id"] == supplier["id"]
    owner = {"Authorization": f"Bearer {signed_in['access_token']}"}
    for kind, number in (("business_licence", "91370100MA3C000001"), ("food_business_licence", "JY13701020000001")):
        document = ok(portal.post("/api/documents", headers=owner, content_type="multipart/form-data", data={
            "kind": kind, "number": number, "expires_on": (today + timedelta(days=365)).isoformat(),
            "file": (io.BytesIO(PDF), f"{kind}.pdf")}), 201)
        assert ok(portal.post(f"/api/documents/{document['id']}/approve", headers=buyer, json={}))["status"] == \
            "approved"
    assert ok(portal.post(f"/api/suppliers/{supplier['id']}/approve", headers=buyer))["status"] == "approved"

    def approved_in_procurement():
        # procurement has no API that lists the suppliers it knows as approved: read its table
        with suite.database("procurement").unit_of_work() as uow:
            row = uow.session.scalar(select(ApprovedSupplier).where(ApprovedSupplier.supplier_id == supplier["id"]))
            return row is not None and row.status == "approved" and row.categories == ["bulk_grain_oil"]

    eventually(approved_in_procurement, "supplier.approved applied by procurement")
    return supplier, owner


def test_requisitions_from_two_dining_halls_are_bought_received_invoiced_and_paid_across_all_three_services(
        suite, worker, school):
    procurement, inventory, portal = (suite.client(name) for name in ("procurement", "inventory", "supplier_portal"))
    staff, today = school.staff, school.today
    buyer, admin, keeper, finance = staff["buyer"], staff["admin"], staff["keeper"], staff["finance"]

    # --- the catalogue: two bulk commodities with tender reference prices ------------------------------
    items = {
        "rice": ok(procurement.post("/api/items", headers=buyer, json={
            "code": f"RICE-{school.suffix}", "name_zh": "东北大米 一级粳米", "name_en": "Northeast japonica rice",
            "category": "rice", "specification": "一级粳米 25kg袋", "base_unit": "kg", "packaging": {"bag": "25"},
            "shelf_life_days": 365}), 201),
        "oil": ok(procurement.post("/api/items", headers=buyer, json={
            "code": f"OIL-{school.suffix}", "name_zh": "大豆油", "name_en": "Soybean oil", "category": "cooking_oil",
            "specification": "一级 20L桶", "base_unit": "L", "packaging": {"drum20": "20"},
            "shelf_life_days": 540}), 201),
    }
    for name, reference in (("rice", "5.50"), ("oil", "12.50")):
        ok(procurement.post(f"/api/items/{items[name]['id']}/reference-prices", headers=buyer, json={
            "price": reference, "effective_from": date(today.year, 1, 1).isoformat(), "source": "tender"}), 201)
    item_name = {item["id"]: name for name, item in items.items()}
    # inventory's cache of the catalogue, refreshed from procurement's API
    with suite.database("inventory").unit_of_work() as uow:
        http = ServiceOverTestClient(procurement, {
            "Authorization": f"Bearer {service_token('inventory', school.id, suite.settings.secret_key)}"})
        assert refresh_items(uow.session, school.id, http) == 2
        uow.commit()
    cached = {item["id"]: item for item in ok(inventory.get("/api/items", headers=keeper))}
    assert cached[items["rice"]["id"]]["shelf_life_days"] == 365 and cached[items["oil"]["id"]]["base_unit"] == "L"

    # --- the supplier registers on the portal, files its licences, and the school approves it ----------
    supplier, owner = register_approved_supplier(suite, school, buyer)

    # --- two dining halls raise requisitions, in purchase units and in base units ----------------------
    for username, code in (("manager1", "DH1"), ("manager2", "DH2")):
        user = next(u for u in ok(procurement.get("/api/staff", headers=admin)) if u["username"].startswith(username))
        assert ok(procurement.put(f"/api/staff/{user['id']}/demand-point", headers=admin,
                                  json={"demand_point": code}))["demand_point"] == code
    requisitions = []
    for manager, code, needed_in, rice_line, oil_line in (
            ("manager1", "DH1", 3, {"quantity": "140", "unit": "bag"}, {"quantity": "40", "unit": "drum20"}),
            ("manager2", "DH2", 4, {"quantity": "2500", "unit": "kg"}, {"quantity": "600"})):
        needed_by = (today + timedelta(days=needed_in)).isoformat()
        requisition = ok(procurement.post("/api/requisitions", headers=staff[manager], json={
            "demand_point": code, "note": f"{code} 下周主食与食用油", "lines": [
                {"item_id": items["rice"]["id"], "needed_by": needed_by, **rice_line},
                {"item_id": items["oil"]["id"], "needed_by": needed_by, **oil_line}]}), 201)
        assert [D(line["base_quantity"]) for line in requisition["lines"]] == [DEMAND[("rice", code)],
                                                                               DEMAND[("oil", code)]]
        assert ok(procurement.post(f"/api/requisitions/{requisition['id']}/submit",
                                   headers=staff[manager]))["state"] == "submitted"
        # another hall's manager cannot see it
        other = "manager2" if manager == "manager1" else "manager1"
        assert procurement.get(f"/api/requisitions/{requisition['id']}", headers=staff[other]).status_code == 404
        assert ok(procurement.post(f"/api/requisitions/{requisition['id']}/approve", headers=staff["approver1"],
                                   json={"reason": None}))["state"] == "approved"
        requisitions.append(requisition)

    # --- consolidation into one purchase plan: one line per item, split per dining hall ----------------
    plan = ok(procurement.post("/api/purchase-plans", headers=buyer, json={
        "window_start": today.isoformat(), "window_end": (today + timedelta(days=13)).isoformat(),
        "window_days": 14}), 201)
    plan_lines = {item_name[line["item_id"]]: line for line in plan["lines"]}
    assert set(plan_lines) == {"rice", "oil"}
    for name, line in plan_lines.items():
        assert D(line["quantity"]) == DEMAND[(name, "DH1")] + DEMAND[(name, "DH2")]
        assert {source["demand_point"]: D(source["quantity"]) for source in line["sources"]} == {
            "DH1": DEMAND[(name, "DH1")], "DH2": DEMAND[(name, "DH2")]}
        assert line["delivery_date"] == (today + timedelta(days=3)).isoformat()
    for requisition in requisitions:
        assert ok(procurement.get(f"/api/requisitions/{requisition['id']}", headers=buyer))["state"] == "consolidated"

    # --- an RFQ to the approved grain-and-oil suppliers ------------------------------------------------
    rfq = ok(procurement.post(f"/api/purchase-plans/{plan['id']}/rfqs", headers=buyer, json={
        "plan_line_ids": [plan_lines["rice"]["id"], plan_lines["oil"]["id"]], "title": "下周大米、食用油集中采购",
        "quote_deadline": (datetime.now(timezone.utc) + timedelta(hours=2)).isoformat()}), 201)
    assert rfq["state"] == "issued" and rfq["supplier_category"] == "bulk_grain_oil"
    assert supplier["id"] in rfq["supplier_ids"]

    # --- the supplier sees it on the portal and quotes ---------------------------------------------------
    def rfq_on_portal():
        page = ok(portal.get("/api/rfqs?open=true", headers=owner))
        return next((copy for copy in page["items"] if copy["number"] == rfq["number"]), None)

    rfq_copy = eventually(rfq_on_portal, "rfq.issued on the portal")
    assert "supplier_ids" not in rfq_copy and rfq_copy["quote"] is None
    assert {item_name[line["item_id"]]: D(line["quantity"]) for line in rfq_copy["lines"]} == {
        name: D(line["quantity"]) for name, line in plan_lines.items()}
    price_of = {"rice": RICE_PRICE, "oil": OIL_PRICE}
    quote = ok(portal.post(f"/api/rfqs/{rfq_copy['id']}/quote", headers=owner, json={
        "valid_until": (today + timedelta(days=30)).isoformat(),
        "lines": [{"rfq_line_id": line["rfq_line_id"], "unit_price": str(price_of[item_name[line["item_id"]]]),
                   "note": "含运费送到各食堂"} for line in rfq_copy["lines"]]}), 201)
    assert quote["status"] == "submitted"

    # --- procurement compares the quotes and awards ------------------------------------------------------
    def quoted():
        comparison = ok(procurement.get(f"/api/rfqs/{rfq['id']}/comparison", headers=buyer))
        ours = [[q for q in line["quotes"] if q["supplier_id"] == supplier["id"]] for line in comparison]
        return comparison if all(ours) else None

    comparison = eventually(quoted, "quote.submitted applied by procurement")
    awards = []
    for line in comparison:
        [ours] = [q for q in line["quotes"] if q["supplier_id"] == supplier["id"]]
        assert D(ours["unit_price"]) == price_of[item_name[line["rfq_line"]["item_id"]]]
        assert ours["above_price_limit"] is False and ours["lowest_compliant"] is True
        awards.append({"rfq_line_id": line["rfq_line"]["id"], "quote_line_id": ours["quote_line_id"]})
    assert ok(procurement.post(f"/api/rfqs/{rfq['id']}/award", headers=buyer, json={"awards": awards}))["state"] == \
        "awarded"

    # --- a purchase order from the award: above ¥50,000, so two approvers -------------------------------
    [order] = ok(procurement.post(f"/api/rfqs/{rfq['id']}/purchase-orders", headers=buyer), 201)
    assert order["state"] == "draft" and order["supplier_id"] == supplier["id"]
    po_lines = {(item_name[line["item_id"]], line["destination"]): line for line in order["lines"]}
    assert {key: D(line["base_quantity"]) for key, line in po_lines.items()} == DEMAND
    ordered_total = sum((money(quantity * price_of[name]) for (name, _), quantity in DEMAND.items()), Decimal(0))
    assert D(order["total"]) == ordered_total == Decimal("53000.00")
    order = ok(procurement.post(f"/api/purchase-orders/{order['id']}/submit", headers=buyer))
    assert order["state"] == "pending_approval" and order["approvals_required"] == 2
    order = ok(procurement.post(f"/api/purchase-orders/{order['id']}/approve", headers=staff["approver1"], json={}))
    assert order["state"] == "pending_approval" and len(order["approvals"]) == 1
    assert procurement.post(f"/api/purchase-orders/{order['id']}/approve", headers=staff["approver1"],
                            json={}).status_code == 409  # the second approval is another approver's
    order = ok(procurement.post(f"/api/purchase-orders/{order['id']}/approve", headers=staff["approver2"], json={}))
    assert order["state"] == "approved"
    order = ok(procurement.post(f"/api/purchase-orders/{order['id']}/send", headers=buyer))
    assert order["state"] == "sent" and order["sent_at"]
    assert ok(procurement.get(f"/api/rfqs/{rfq['id']}", headers=buyer))["state"] == "ordered"

    # --- the supplier sees the order on the portal and acknowledges it -----------------------------------
    def order_on_portal():
        page = ok(portal.get("/api/orders", headers=owner))
        return next((o for o in page["items"] if o["po_id"] == order["id"]), None)

    portal_order = eventually(order_on_portal, "po.sent on the portal")
    assert portal_order["status"] == "sent" and portal_order["number"] == order["number"]
    assert D(portal_order["total"]) == ordered_total
    portal_order = ok(portal.post(f"/api/orders/{portal_order['id']}/acknowledge", headers=owner,
                                  json={"revision": portal_order["revision"]}))
    assert portal_order["status"] == "acknowledged"

    def procurement_order(state):
        def read():
            current = ok(procurement.get(f"/api/purchase-orders/{order['id']}", headers=buyer))
            return current if current["state"] == state else None
        return read

    eventually(procurement_order("acknowledged"), "po.acknowledged applied by procurement")

    # --- the supplier sends a delivery note, with lots, to each dining hall -------------------------------
    produced_on = today - timedelta(days=10)
    lots = {"rice": (f"R{school.suffix}-A", produced_on + timedelta(days=365)),
            "oil": (f"Y{school.suffix}-B", produced_on + timedelta(days=540))}
    notes = {}
    for hall in ("DH1", "DH2"):
        notes[hall] = ok(portal.post(f"/api/orders/{portal_order['id']}/delivery-notes", headers=owner, json={
            "planned_at": (datetime.now(timezone.utc) + timedelta(hours=1)).isoformat(),
            "lines": [{"po_line_id": po_lines[(name, hall)]["id"], "quantity": str(DEMAND[(name, hall)]),
                       "lot_number": lots[name][0], "production_date": produced_on.isoformat(),
                       "expiry_date": lots[name][1].isoformat(), "certificate_ref": f"合格证 {lots[name][0]}"}
                      for name in ("rice", "oil")]}), 201)
        assert notes[hall]["status"] == "dispatched"
    assert portal.post(f"/api/orders/{portal_order['id']}/delivery-notes", headers=owner, json={
        "planned_at": datetime.now(timezone.utc).isoformat(), "lines": [{
            "po_line_id": po_lines[("rice", "DH1")]["id"], "quantity": "1", "lot_number": "X",
            "production_date": produced_on.isoformat()}]}).status_code == 409  # nothing more is left to deliver

    def notices_in_procurement():
        notices = ok(procurement.get(f"/api/purchase-orders/{order['id']}/deliveries", headers=buyer))
        return notices if len(notices) == len(notes) else None

    notices = eventually(notices_in_procurement, "delivery.dispatched applied by procurement")
    assert {notice["portal_delivery_note_id"]: notice["number"] for notice in notices} == {
        note["id"]: note["number"] for note in notes.values()}
    assert sorted((line["po_line_id"], D(line["quantity"]), line["lot_number"]) for notice in notices
                  for line in notice["lines"]) == sorted(
        (po_lines[key]["id"], quantity, lots[key[0]][0]) for key, quantity in DEMAND.items())

    # --- the storekeeper receives each delivery with the incoming inspection -----------------------------
    def expected_receipt_with_notes():
        page = ok(inventory.get("/api/expected-receipts", headers=keeper))
        expected = next((e for e in page["items"] if e["po_id"] == order["id"]), None)
        if expected is None:
            return None
        arrived = {note["delivery_note_id"] for note in expected["delivery_notes"]}
        return expected if arrived >= {note["id"] for note in notes.values()} else None

    expected = eventually(expected_receipt_with_notes, "po.sent and delivery.dispatched in inventory")
    assert expected["status"] == "expected" and expected["po_number"] == order["number"]
    assert {line["po_line_id"]: D(line["unit_price"]) for line in expected["lines"]} == {
        line["id"]: price_of[name] for (name, _), line in po_lines.items()}
    announced = {note["delivery_note_id"]: note for note in expected["delivery_notes"]}

    def inspection(hall, inspectors):
        note = announced[notes[hall]["id"]]
        lines = []
        for line in note["lines"]:
            key = (item_name[line["item_id"]], hall)
            rejected = REJECTED.get(key, Decimal(0))
            lines.append({"po_line_id": line["po_line_id"], "accepted_quantity": str(D(line["quantity"]) - rejected),
                          "rejected_quantity": str(rejected), "rejection_reason": REJECTION_REASON if rejected else "",
                          "lot_number": line["lot_number"], "production_date": line["production_date"],
                          "expiry_date": line["expiry_date"]})
        return {"delivery_note_id": note["delivery_note_id"], "inspectors": inspectors,
                "documents_checked": DOCUMENTS_CHECKED, "lines": lines}

    # bulk commodities need two inspectors (双人验收)
    alone = inventory.post(f"/api/expected-receipts/{expected['id']}/inspections", headers=keeper,
                           json=inspection("DH1", ["库管员 刘洋"]))
    assert alone.status_code == 422 and "inspectors" in alone.get_json()["errors"]
    inspections = {}
    inspections["DH1"] = ok(inventory.post(f"/api/expected-receipts/{expected['id']}/inspections", headers=keeper,
                                           json=inspection("DH1", ["库管员 刘洋", "一食堂管理员 王敏"])), 201)
    assert inspections["DH1"]["location_id"] == school.location_ids["DH1"]

    # goods.received: procurement's order is partially received, and the portal shows the inspection
    after_first = eventually(procurement_order("partially_received"), "goods.received applied by procurement")
    first_lines = {(item_name[line["item_id"]], line["destination"]): line for line in after_first["lines"]}
    assert D(first_lines[("rice", "DH1")]["received_quantity"]) == Decimal("3450")
    assert D(first_lines[("rice", "DH1")]["rejected_quantity"]) == Decimal("50")
    assert D(first_lines[("rice", "DH2")]["received_quantity"]) == 0

    inspections["DH2"] = ok(inventory.post(f"/api/expected-receipts/{expected['id']}/inspections", headers=keeper,
                                           json=inspection("DH2", ["库管员 刘洋", "二食堂管理员 李强"])), 201)
    accepted = {key: quantity - REJECTED.get(key, Decimal(0)) for key, quantity in DEMAND.items()}

    def all_received_in_procurement():
        current = ok(procurement.get(f"/api/purchase-orders/{order['id']}", headers=buyer))
        received = {(item_name[line["item_id"]], line["destination"]): D(line["received_quantity"])
                    for line in current["lines"]}
        return current if received == accepted else None

    final_order = eventually(all_received_in_procurement, "both goods.received applied by procurement")
    # 50 kg of rice were refused and not delivered again: the order stays partially received
    assert final_order["state"] == "partially_received"

    def inspected_on_portal():
        current = ok(portal.get(f"/api/orders/{portal_order['id']}", headers=owner))
        return current if len(current["receipts"]) == 2 else None

    inspected = eventually(inspected_on_portal, "goods.received on the portal")
    portal_lines = {(item_name[line["item_id"]], line["destination"]): line for line in inspected["lines"]}
    for key, line in portal_lines.items():
        assert D(line["accepted_quantity"]) == accepted[key]
        assert D(line["rejected_quantity"]) == REJECTED.get(key, Decimal(0))
        assert D(line["in_transit_quantity"]) == 0 and D(line["to_invoice_quantity"]) == accepted[key]
        assert D(line["to_deliver_quantity"]) == REJECTED.get(key, Decimal(0))
    for hall, note in notes.items():
        shown = ok(portal.get(f"/api/delivery-notes/{note['id']}", headers=owner))
        assert shown["status"] == "inspected"
        [receipt] = shown["receipts"]
        assert receipt["location_code"] == hall and len(receipt["inspectors"]) == 2
    rejection = next(line for receipt in inspected["receipts"] for line in receipt["lines"]
                     if D(line["rejected_quantity"]) > 0)
    assert rejection["rejection_reason"] == REJECTION_REASON

    # --- the supplier invoices what was accepted, procurement matches it --------------------------------
    invoice = ok(portal.post(f"/api/orders/{portal_order['id']}/invoices", headers=owner, json={
        "invoice_number": f"3700{school.suffix}", "issued_on": today.isoformat(),
        "lines": [{"po_line_id": po_lines[key]["id"], "quantity": str(quantity)}
                  for key, quantity in accepted.items()]}), 201)
    accepted_value = sum((money(quantity * price_of[name]) for (name, _), quantity in accepted.items()), Decimal(0))
    assert invoice["status"] == "submitted" and D(invoice["total"]) == accepted_value == Decimal("52710.00")

    def matched_in_procurement():
        page = ok(procurement.get(f"/api/invoices?order_id={order['id']}", headers=finance))
        return page["items"][0] if page["items"] else None

    procurement_invoice = eventually(matched_in_procurement, "invoice.submitted applied by procurement")
    assert procurement_invoice["state"] == "matched", procurement_invoice["reasons"]
    assert procurement_invoice["portal_invoice_id"] == invoice["id"]
    assert D(procurement_invoice["total"]) == accepted_value

    def portal_invoice(status):
        def read():
            current = ok(portal.get(f"/api/invoices/{invoice['id']}", headers=owner))
            return current if current["status"] == status else None
        return read

    matched = eventually(portal_invoice("matched"), "invoice.matched on the portal")
    assert D(matched["matched_amount"]) == accepted_value

    # --- finance pays it, and the portal shows it paid ----------------------------------------------------
    payment = ok(procurement.post(f"/api/invoices/{procurement_invoice['id']}/payments", headers=finance, json={
        "amount": str(accepted_value), "paid_on": today.isoformat(), "reference": f"转账 {school.suffix}"}), 201)
    assert ok(procurement.get(f"/api/invoices/{procurement_invoice['id']}", headers=finance))["state"] == "paid"
    paid = eventually(portal_invoice("paid"), "payment.recorded on the portal")
    assert D(paid["paid_amount"]) == accepted_value
    assert [(p["payment_id"], D(p["amount"])) for p in paid["payments"]] == [(payment["id"], accepted_value)]

    # --- every document ends in its state, in every service ---------------------------------------------
    # procurement
    for requisition in requisitions:
        assert ok(procurement.get(f"/api/requisitions/{requisition['id']}", headers=buyer))["state"] == "consolidated"
    assert ok(procurement.get(f"/api/rfqs/{rfq['id']}", headers=buyer))["state"] == "ordered"
    final_order = ok(procurement.get(f"/api/purchase-orders/{order['id']}", headers=buyer))
    assert final_order["state"] == "partially_received" and len(final_order["approvals"]) == 2
    assert {(item_name[line["item_id"]], line["destination"]): (D(line["received_quantity"]),
                                                                 D(line["rejected_quantity"]))
            for line in final_order["lines"]} == {key: (accepted[key], REJECTED.get(key, Decimal(0)))
                                                  for key in DEMAND}
    history = [entry["to_state"] for entry in
               ok(procurement.get(f"/api/purchase-orders/{order['id']}/history", headers=buyer))]
    assert history == ["pending_approval", "pending_approval", "approved", "sent", "acknowledged",
                       "partially_received", "partially_received"]
    final_invoice = ok(procurement.get(f"/api/invoices/{procurement_invoice['id']}", headers=finance))
    assert final_invoice["state"] == "paid" and D(final_invoice["paid_amount"]) == accepted_value
    # supplier portal
    assert ok(portal.get(f"/api/suppliers/{supplier['id']}", headers=owner))["status"] == "approved"
    assert ok(portal.get(f"/api/rfqs/{rfq_copy['id']}", headers=owner))["quote"]["status"] == "submitted"
    assert ok(portal.get(f"/api/orders/{portal_order['id']}", headers=owner))["status"] == "acknowledged"
    final_portal_lines = ok(portal.get(f"/api/orders/{portal_order['id']}", headers=owner))["lines"]
    assert {(item_name[line["item_id"]], line["destination"]): D(line["invoiced_quantity"])
            for line in final_portal_lines} == accepted
    assert all(D(line["to_invoice_quantity"]) == 0 for line in final_portal_lines)
    # inventory: the expected receipt and stock on hand, at the order's prices
    final_expected = ok(inventory.get(f"/api/expected-receipts/{expected['id']}", headers=keeper))
    assert final_expected["status"] == "partially_received"
    assert {line["po_line_id"]: (D(line["accepted_quantity"]), D(line["rejected_quantity"]))
            for line in final_expected["lines"]} == {po_lines[key]["id"]: (accepted[key], REJECTED.get(key, Decimal(0)))
                                                     for key in DEMAND}
    stock = ok(inventory.get("/api/stock", headers=keeper))
    on_hand = {(item_name[row["item_id"]], row["location_code"]): row for row in stock if row["item_id"] in item_name}
    assert set(on_hand) == set(accepted)
    for key, row in on_hand.items():
        name, _ = key
        assert D(row["quantity"]) == accepted[key]
        assert D(row["value"]) == money(accepted[key] * price_of[name])
        [lot] = row["lots"]
        assert (lot["lot_number"], lot["expiry_date"], lot["supplier_id"]) == (
            lots[name][0], lots[name][1].isoformat(), supplier["id"])
        assert D(lot["quantity"]) == accepted[key] and lot["expired"] is False
    valuation = ok(inventory.get("/api/valuation", headers=finance))
    assert D(valuation["total_value"]) == accepted_value
