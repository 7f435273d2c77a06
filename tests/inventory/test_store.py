"""The campus store sells at unified prices only, first-expiry-first-out, with restricted goods flagged."""
from __future__ import annotations

import uuid
from datetime import timedelta

import pytest

from services.inventory.tasks import consumer

from .conftest import CHIPS, MILK, RICE
from .test_api import TODAY, line, post_receipt


def publish_prices(databases, effective_from, *prices, supplier_id=61):
    envelope = {"id": str(uuid.uuid4()), "type": "unified_prices.published", "payload": {
        "supplier_id": supplier_id, "effective_from": effective_from.isoformat(),
        "prices": [{"item_id": item["id"], "item_code": item["code"], "unit_price": price} for item, price in prices]}}
    return consumer.apply(databases["inventory"], envelope)


@pytest.fixture
def store_manager(staff, setup):
    return staff("store_manager")[1]


def sale(client, headers, location_id, *lines):
    return client.post("/api/store-sales", json={"location_id": location_id, "lines": [
        {"item_id": item["id"], "quantity": quantity} for item, quantity in lines]}, headers=headers)


def test_a_sale_is_priced_at_the_unified_price_in_force_and_costed_fefo(inventory, databases, setup, keeper_headers,
                                                                         store_manager):
    post_receipt(inventory, keeper_headers, setup["STORE"],
                 line(CHIPS, "10", "2.00", "LATE", TODAY, TODAY + timedelta(90)),
                 line(CHIPS, "3", "2.00", "EARLY", TODAY, TODAY + timedelta(30)),
                 line(MILK, "10", "5.00", "M-1", TODAY))
    assert publish_prices(databases, TODAY - timedelta(10), (CHIPS, "3.50"), (MILK, "6.00"))
    publish_prices(databases, TODAY + timedelta(1), (CHIPS, "9.99"))  # not yet in force
    response = sale(inventory, store_manager, setup["STORE"], (CHIPS, "4"), (MILK, "1"))
    assert response.status_code == 201, response.json
    assert [(s["item_id"], s["unit_price"], s["amount"], s["restricted"]) for s in response.json["sold"]] == [
        (CHIPS["id"], "3.50", "14.00", True), (MILK["id"], "6.00", "6.00", False)]
    assert response.json["revenue"] == "20.00"
    assert [(m["kind"], m["lot_number"], m["quantity"], m["value"]) for m in response.json["movements"]] == [
        ("store_sale", "EARLY", "-3.000", "-6.00"), ("store_sale", "LATE", "-1.000", "-2.00"),
        ("store_sale", "M-1", "-1.000", "-5.00")]
    assert inventory.get(f"/api/store-sales/{response.json['id']}", headers=keeper_headers).json == response.json


def test_an_item_without_a_unified_price_is_not_sold(inventory, setup, keeper_headers, store_manager):
    post_receipt(inventory, keeper_headers, setup["STORE"], line(CHIPS, "10", "2.00", "C-1", TODAY))
    response = sale(inventory, store_manager, setup["STORE"], (CHIPS, "1"))
    assert response.status_code == 422
    assert "no unified price" in response.json["errors"]["lines.0.item_id"][0]


def test_sales_happen_only_in_the_campus_store_and_only_by_its_manager(inventory, databases, setup, keeper_headers,
                                                                        store_manager):
    publish_prices(databases, TODAY, (RICE, "5.00"))
    assert sale(inventory, store_manager, setup["DH1"], (RICE, "1")).status_code == 422
    assert sale(inventory, keeper_headers, setup["STORE"], (RICE, "1")).status_code == 403
    short = sale(inventory, store_manager, setup["STORE"], (RICE, "1"))
    assert short.status_code == 409 and "lines.0.quantity" in short.json["errors"]


def test_prices_for_items_inventory_does_not_know_are_skipped(inventory, databases, setup, keeper_headers):
    unknown = {"id": 999_999, "code": "NOPE"}
    assert publish_prices(databases, TODAY, (unknown, "1.00"), (CHIPS, "3.00"))
    assert [(p["item_id"], p["unit_price"]) for p in inventory.get("/api/unified-prices", headers=keeper_headers).json
            ] == [(CHIPS["id"], "3.00")]
