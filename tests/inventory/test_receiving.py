"""Expected receipts from po.sent and delivery.dispatched, and the incoming inspection (进货查验)."""
from __future__ import annotations

import uuid
from datetime import datetime, timedelta, timezone
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import event, select

from services.inventory.inspection import notes_awaiting_inspection
from services.inventory.locations import ensure_standard_locations
from services.inventory.models import ExpectedReceipt, Item, Outbox, StockValuation
from services.inventory.tasks import consumer

TODAY = datetime.now(ZoneInfo("Asia/Shanghai")).date()
ALL_DOCUMENTS = ["licence", "product_certificate", "delivery_note"]


def po_line(po_line_id, item_id, code, category, quantity, price, destination="CSR", name="物资"):
    return {"po_line_id": po_line_id, "item_id": item_id, "item_code": code, "item_name": name,
            "category": category, "unit": "kg", "quantity": quantity, "unit_price": price,
            "delivery_date": TODAY.isoformat(), "destination": destination}


def send(databases, event_type, payload):
    envelope = {"id": str(uuid.uuid4()), "type": event_type, "payload": payload}
    return envelope, consumer.apply(databases["inventory"], envelope)


@pytest.fixture
def order(databases, school):
    with databases["inventory"].unit_of_work() as uow:
        ensure_standard_locations(uow.session, school.id)
        uow.commit()
    payload = {"po_id": 501, "school_id": school.id, "number": "PO-2026-000501", "revision": 1, "supplier_id": 31,
               "total": "4430.00", "sent_at": datetime.now(timezone.utc).isoformat(),
               "lines": [po_line(1, 201, "RICE-25", "rice", "1000.000", "4.20", name="大米"),
                         po_line(2, 202, "TOMATO", "vegetables", "50.000", "4.60", name="番茄"),
                         po_line(3, 203, "EGG", "meat_eggs", "20.000", "9.00", destination="DH1")]}
    envelope, applied = send(databases, "po.sent", payload)
    assert applied
    with databases["inventory"].unit_of_work() as uow:
        expected = uow.session.scalars(select(ExpectedReceipt).where(ExpectedReceipt.po_id == 501)).one()
    return {"payload": payload, "envelope": envelope, "id": expected.id}


def inspect(client, headers, order, lines, inspectors=("张三", "李四"), documents=ALL_DOCUMENTS, **extra):
    return client.post(f"/api/expected-receipts/{order['id']}/inspections", json={
        "inspectors": list(inspectors), "documents_checked": list(documents), "lines": lines, **extra},
        headers=headers)


def outbox(databases, event_type):
    with databases["inventory"].unit_of_work() as uow:
        return [row.payload for row in uow.session.scalars(select(Outbox).where(Outbox.type == event_type))]


def test_po_sent_makes_an_expected_receipt_once_and_caches_its_items(databases, order, inventory, staff):
    _, headers = staff("storekeeper")
    assert consumer.apply(databases["inventory"], order["envelope"]) is False  # redelivered: nothing changes
    with databases["inventory"].unit_of_work() as uow:
        assert len(uow.session.scalars(select(ExpectedReceipt)).all()) == 1
    response = inventory.get(f"/api/expected-receipts/{order['id']}", headers=headers)
    assert response.status_code == 200
    assert (response.json["po_number"], response.json["status"], len(response.json["lines"])) == (
        "PO-2026-000501", "expected", 3)
    with databases["inventory"].unit_of_work() as uow:
        assert uow.session.get(Item, 201).name == "大米"


def test_an_amended_order_updates_the_lines_and_an_older_revision_is_ignored(databases, order, inventory, staff):
    _, headers = staff("storekeeper")
    amended = {**order["payload"], "revision": 2,
               "lines": [po_line(1, 201, "RICE-25", "rice", "800.000", "4.10"),
                         po_line(2, 202, "TOMATO", "vegetables", "50.000", "4.60")]}
    send(databases, "po.sent", amended)
    send(databases, "po.sent", {**order["payload"], "revision": 1})
    lines = {line["po_line_id"]: line for line in
             inventory.get(f"/api/expected-receipts/{order['id']}", headers=headers).json["lines"]}
    assert (lines[1]["quantity"], lines[1]["unit_price"]) == ("800.000", "4.10")
    assert lines[3]["quantity"] == "0.000"  # dropped from the order: nothing more expected


def test_inspected_goods_post_at_the_order_price_and_goods_received_is_emitted(databases, order, inventory, staff):
    _, headers = staff("storekeeper")
    send(databases, "delivery.dispatched", {
        "delivery_note_id": 71, "po_id": 501, "supplier_id": 31, "school_id": order["payload"]["school_id"],
        "number": "DN-71", "planned_at": datetime.now(timezone.utc).isoformat(),
        "lines": [{"po_line_id": 1, "item_id": 201, "quantity": "1000", "lot_number": "LR-9",
                   "production_date": (TODAY - timedelta(20)).isoformat()}]})
    notes = inventory.get(f"/api/expected-receipts/{order['id']}", headers=headers).json["delivery_notes"]
    assert notes[0]["lines"][0]["lot_number"] == "LR-9"
    response = inspect(inventory, headers, order, [
        {"po_line_id": 1, "accepted_quantity": "975", "rejected_quantity": "25", "rejection_reason": "受潮霉变",
         "lot_number": "LR-9", "production_date": (TODAY - timedelta(20)).isoformat(), "shelf_life_days": 365},
        {"po_line_id": 2, "accepted_quantity": "0", "rejected_quantity": "50", "rejection_reason": "腐烂"}],
        delivery_note_id=71)
    assert response.status_code == 201, response.json
    assert [(m["kind"], m["quantity"], m["value"], m["lot_number"]) for m in response.json["movements"]] == [
        ("receipt", "975.000", "4095.00", "LR-9")]
    assert response.json["lines"][0]["expiry_date"] == (TODAY - timedelta(20) + timedelta(365)).isoformat()
    [event] = outbox(databases, "goods.received")
    assert (event["po_id"], event["supplier_id"], event["location_code"], event["delivery_note_id"]) == (
        501, 31, "CSR", 71)
    assert event["inspectors"] == ["张三", "李四"]
    assert [(line["po_line_id"], line["accepted_quantity"], line["rejected_quantity"], line["rejection_reason"])
            for line in event["lines"]] == [(1, "975.000", "25.000", "受潮霉变"), (2, "0.000", "50.000", "腐烂")]
    expected = inventory.get(f"/api/expected-receipts/{order['id']}", headers=headers).json
    assert expected["status"] == "partially_received"
    assert [line["accepted_quantity"] for line in expected["lines"]] == ["975.000", "0.000", "0.000"]



def awaiting(databases, order):
    with databases["inventory"].unit_of_work() as uow:
        return notes_awaiting_inspection(uow.session, uow.session.get(ExpectedReceipt, order["id"]))


def test_a_delivery_note_inspected_twice_posted_its_goods_twice(databases, order, inventory, staff):
    _, headers = staff("storekeeper")
    send(databases, "delivery.dispatched", {
        "delivery_note_id": 72, "po_id": 501, "supplier_id": 31, "school_id": order["payload"]["school_id"],
        "number": "DN-72", "planned_at": datetime.now(timezone.utc).isoformat(),
        "lines": [{"po_line_id": 1, "item_id": 201, "quantity": "400", "lot_number": "LR-7",
                   "production_date": (TODAY - timedelta(5)).isoformat()}]})
    line = {"po_line_id": 1, "accepted_quantity": "400", "lot_number": "LR-7",
            "production_date": (TODAY - timedelta(5)).isoformat()}
    assert [note.number for note in awaiting(databases, order)] == ["DN-72"]
    assert inspect(inventory, headers, order, [line], delivery_note_id=72).status_code == 201
    assert awaiting(databases, order) == []  # the receiving page no longer offers it
    again = inspect(inventory, headers, order, [line], delivery_note_id=72)
    assert again.status_code == 409 and "DN-72" in again.json["detail"]
    expected = inventory.get(f"/api/expected-receipts/{order['id']}", headers=headers).json
    assert expected["lines"][0]["accepted_quantity"] == "400.000"
    assert len(outbox(databases, "goods.received")) == 1

@pytest.mark.parametrize("lines, extra, field", [
    ([{"po_line_id": 2, "accepted_quantity": "10", "lot_number": "T-1",
       "production_date": (TODAY - timedelta(10)).isoformat(), "shelf_life_days": 5}], {}, "lines.0.accepted_quantity"),
    ([{"po_line_id": 2, "accepted_quantity": "0", "rejected_quantity": "5"}], {}, "lines.0.rejection_reason"),
    ([{"po_line_id": 2, "accepted_quantity": "51", "lot_number": "T-1", "production_date": TODAY.isoformat()}], {},
     "lines.0.accepted_quantity"),
    ([{"po_line_id": 2, "accepted_quantity": "5", "lot_number": "T-1"}], {}, "lines.0.production_date"),
    ([{"po_line_id": 9, "accepted_quantity": "5", "lot_number": "T-1", "production_date": TODAY.isoformat()}], {},
     "lines.0.po_line_id"),
    ([{"po_line_id": 1, "accepted_quantity": "5", "lot_number": "R-1", "production_date": TODAY.isoformat()}],
     {"inspectors": ["张三"]}, "inspectors"),
    ([{"po_line_id": 2, "accepted_quantity": "5", "lot_number": "T-1", "production_date": TODAY.isoformat()}],
     {"documents_checked": ["licence"]}, "documents_checked"),
    ([{"po_line_id": 2, "accepted_quantity": "5", "lot_number": "T-1", "production_date": TODAY.isoformat()},
      {"po_line_id": 3, "accepted_quantity": "5", "lot_number": "E-1", "production_date": TODAY.isoformat()}], {},
     "lines"),
])
def test_an_inspection_that_breaks_a_rule_is_refused_and_posts_nothing(databases, order, inventory, staff, lines,
                                                                       extra, field):
    _, headers = staff("storekeeper")
    response = inspect(inventory, headers, order, lines, **extra)
    assert response.status_code == 422, response.json
    assert field in response.json["errors"]
    assert outbox(databases, "goods.received") == []
    with databases["inventory"].unit_of_work() as uow:
        assert uow.session.scalars(select(StockValuation)).all() == []


def test_one_inspector_is_enough_for_goods_that_are_not_bulk_commodities(order, inventory, staff):
    _, headers = staff("storekeeper")
    response = inspect(inventory, headers, order, [{"po_line_id": 2, "accepted_quantity": "50", "lot_number": "T-1",
                                                    "production_date": TODAY.isoformat(), "shelf_life_days": 5}],
                       inspectors=["王五"])
    assert response.status_code == 201, response.json


def test_expired_goods_can_be_rejected_with_a_reason(databases, order, inventory, staff):
    _, headers = staff("storekeeper")
    response = inspect(inventory, headers, order, [
        {"po_line_id": 2, "accepted_quantity": "0", "rejected_quantity": "50", "rejection_reason": "已过期",
         "lot_number": "T-0", "production_date": (TODAY - timedelta(10)).isoformat(), "shelf_life_days": 5}])
    assert response.status_code == 201
    assert response.json["movements"] == []


def test_a_supervisor_may_read_expected_receipts_but_not_inspect(order, inventory, staff):
    _, headers = staff("supervisor")
    assert inventory.get("/api/expected-receipts", headers=headers).json["total"] == 1
    response = inspect(inventory, headers, order, [{"po_line_id": 2, "accepted_quantity": "1", "lot_number": "T",
                                                    "production_date": TODAY.isoformat()}])
    assert response.status_code == 403


def test_another_schools_expected_receipt_is_not_found(order, inventory, staff, databases):
    from services.procurement.models import School
    with databases["procurement"].unit_of_work() as uow:
        other = School(name="另一所学校")
        uow.session.add(other)
        uow.commit()
    _, theirs = staff("storekeeper", school_id=other.id)
    assert inventory.get(f"/api/expected-receipts/{order['id']}", headers=theirs).status_code == 404
    assert inspect(inventory, theirs, order, [{"po_line_id": 2, "accepted_quantity": "1", "lot_number": "T",
                                               "production_date": TODAY.isoformat()}]).status_code == 404


def cancellation(order, revision=1):
    return {"po_id": 501, "school_id": order["payload"]["school_id"], "revision": revision, "supplier_id": 31,
            "reason": "菜单调整", "cancelled_at": datetime.now(timezone.utc).isoformat()}


def test_a_cancelled_order_takes_no_more_inspections(databases, order, inventory, staff):
    _, headers = staff("storekeeper")
    send(databases, "po.cancelled", cancellation(order))
    expected = inventory.get(f"/api/expected-receipts/{order['id']}", headers=headers).json
    assert (expected["status"], expected["cancel_reason"]) == ("cancelled", "菜单调整")
    response = inspect(inventory, headers, order, [{"po_line_id": 2, "accepted_quantity": "1", "lot_number": "T",
                                                    "production_date": TODAY.isoformat()}])
    assert response.status_code == 409
    send(databases, "po.sent", {**order["payload"], "revision": 2})  # a late amendment does not revive it
    assert inventory.get(f"/api/expected-receipts/{order['id']}", headers=headers).json["status"] == "cancelled"


def test_a_cancellation_arriving_before_its_order_keeps_the_order_from_being_expected(databases, school, inventory,
                                                                                      staff):
    _, headers = staff("storekeeper")
    payload = {"po_id": 777, "school_id": school.id, "number": "PO-2026-000777", "revision": 1, "supplier_id": 31,
               "total": "10.00", "sent_at": datetime.now(timezone.utc).isoformat(),
               "lines": [po_line(1, 201, "RICE-25", "rice", "1.000", "10.00")]}
    send(databases, "po.cancelled", {"po_id": 777, "school_id": school.id, "revision": 1, "supplier_id": 31,
                                     "reason": "重复下单", "cancelled_at": datetime.now(timezone.utc).isoformat()})
    send(databases, "po.sent", payload)
    [expected] = inventory.get("/api/expected-receipts", headers=headers).json["items"]
    assert (expected["po_id"], expected["status"], expected["lines"]) == (777, "cancelled", [])


def test_closing_an_order_emitted_nothing_so_inventory_kept_receiving_against_it(databases, order, inventory, staff):
    _, headers = staff("storekeeper")
    tomatoes = [{"po_line_id": 2, "accepted_quantity": "20", "rejected_quantity": "0", "lot_number": "T",
                 "production_date": TODAY.isoformat()}]
    assert inspect(inventory, headers, order, tomatoes).status_code == 201
    closed = {"po_id": 501, "school_id": order["payload"]["school_id"], "revision": 1, "supplier_id": 31,
              "reason": "余量不再供应", "closed_at": datetime.now(timezone.utc).isoformat()}
    envelope, applied = send(databases, "po.closed", closed)
    assert applied and consumer.apply(databases["inventory"], envelope) is False
    expected = inventory.get(f"/api/expected-receipts/{order['id']}", headers=headers).json
    assert (expected["status"], expected["close_reason"]) == ("closed", "余量不再供应")
    response = inspect(inventory, headers, order, tomatoes)
    assert response.status_code == 409 and "closed" in response.json["detail"]


def test_a_closure_arriving_before_its_order_waits_for_it(databases, school):
    from shared.events import NotYetKnown
    with pytest.raises(NotYetKnown):
        send(databases, "po.closed", {"po_id": 778, "school_id": school.id, "revision": 1, "supplier_id": 31,
                                      "reason": "x", "closed_at": datetime.now(timezone.utc).isoformat()})


def test_a_page_of_expected_receipts_reads_the_delivery_notes_of_all_its_orders_at_once(databases, school, inventory,
                                                                                      staff):
    _, headers = staff("storekeeper")
    with databases["inventory"].unit_of_work() as uow:
        ensure_standard_locations(uow.session, school.id)
        uow.commit()
    for po_id in (601, 602, 603):
        send(databases, "po.sent", {
            "po_id": po_id, "school_id": school.id, "number": f"PO-2026-000{po_id}", "revision": 1, "supplier_id": 31,
            "total": "420.00", "sent_at": datetime.now(timezone.utc).isoformat(),
            "lines": [po_line(po_id, 201, "RICE-25", "rice", "100.000", "4.20", name="大米")]})
        send(databases, "delivery.dispatched", {
            "delivery_note_id": po_id, "po_id": po_id, "supplier_id": 31, "school_id": school.id,
            "number": f"DN-{po_id}", "planned_at": datetime.now(timezone.utc).isoformat(),
            "lines": [{"po_line_id": po_id, "item_id": 201, "quantity": "100", "lot_number": f"L-{po_id}",
                       "production_date": (TODAY - timedelta(5)).isoformat()}]})
    statements = []

    def note_reads(_connection, _cursor, statement, *_):
        if "FROM delivery_notes" in statement:
            statements.append(statement)

    event.listen(databases["inventory"].engine, "before_cursor_execute", note_reads)
    try:
        page = inventory.get("/api/expected-receipts", headers=headers).json
    finally:
        event.remove(databases["inventory"].engine, "before_cursor_execute", note_reads)
    assert {(item["po_id"], note["number"]) for item in page["items"] for note in item["delivery_notes"]} == {
        (601, "DN-601"), (602, "DN-602"), (603, "DN-603")}
    assert len(statements) == 1, statements


def test_a_canteen_manager_inspects_only_what_comes_to_their_own_hall(order, inventory, staff):
    egg = [{"po_line_id": 3, "accepted_quantity": "20", "lot_number": "E-1", "production_date": TODAY.isoformat(),
            "shelf_life_days": 20}]
    _, dh2_manager = staff("canteen_manager", demand_point="DH2")
    _, dh1_manager = staff("canteen_manager", demand_point="DH1")
    assert inspect(inventory, dh2_manager, order, egg).status_code == 404  # nothing on it is for DH2
    tomato = [{**egg[0], "po_line_id": 2, "accepted_quantity": "50", "lot_number": "T-1"}]
    assert inspect(inventory, dh1_manager, order, tomato).status_code == 403  # the central store room's
    assert inspect(inventory, dh1_manager, order, egg).status_code == 201
