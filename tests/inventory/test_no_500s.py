"""Plausible documents with any value in one field reach the domain rules and never answer 500.

Arbitrary bodies and queries on every route are fuzzed by tests/contract/test_openapi_fuzz.py."""
from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

import pytest
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from .conftest import ITEMS

WRITES = [("post", "/api/receipts"), ("post", "/api/issues"), ("post", "/api/transfers"), ("post", "/api/waste"),
          ("post", "/api/supplier-returns"), ("post", "/api/stocktakes"), ("put", "/api/reorder-rules"),
          ("put", "/api/costing/meals-served"), ("post", "/api/store-sales"),
          ("post", "/api/expected-receipts/1/inspections"), ("put", "/api/stocktakes/1/counts")]
KEYS = ["location_id", "from_location_id", "to_location_id", "supplier_id", "meal_date", "meal", "reason", "lines",
        "item_id", "lot_id", "quantity", "unit_price", "lot_number", "production_date", "expiry_date", "minimum",
        "maximum", "multiple", "diners", "inspectors", "documents_checked", "accepted_quantity", "line_id",
        "counted_quantity", "po_line_id", "shelf_life_days", "delivery_note_id", "received_at"]
scalars = (st.none() | st.booleans() | st.integers(-2**70, 2**70) | st.floats(allow_nan=True)
           | st.text(max_size=20) | st.sampled_from(["1", "0.001", "-1", "1e400", "NaN", "2026-02-30", "lunch",
                                                    "2026-11-26", "9999-12-31", "0001-01-01", "licence", "1.0001"]))
values = st.recursive(scalars, lambda inner: st.lists(inner, max_size=3)
                      | st.dictionaries(st.sampled_from(KEYS), inner, max_size=6), max_leaves=12)
bodies = values | st.dictionaries(st.sampled_from(KEYS), values, max_size=8)


@pytest.fixture
def writer_headers(staff, setup):
    return staff("admin", "canteen_manager", "store_manager")[1]


TODAY = date.today()
ITEM_IDS = [item["id"] for item in ITEMS]
LINE_KEYS = {"/api/receipts": {"item_id", "quantity", "unit_price", "lot_number", "production_date", "expiry_date"},
             "/api/issues": {"item_id", "quantity"}, "/api/store-sales": {"item_id", "quantity"},
             "/api/transfers": {"item_id", "quantity", "lot_id"}, "/api/waste": {"item_id", "quantity", "lot_id"}}
plausible_line = st.fixed_dictionaries({
    "item_id": st.sampled_from(ITEM_IDS),
    "quantity": st.decimals(min_value=Decimal("0.001"), max_value=1000, places=3).map(str),
    "unit_price": st.decimals(min_value=0, max_value=500, places=2).map(str),
    "lot_number": st.sampled_from(["L-1", "L-2", "批次3"]),
    "production_date": st.dates(TODAY - timedelta(400), TODAY + timedelta(3)).map(date.isoformat),
    "expiry_date": st.none() | st.dates(TODAY - timedelta(10), TODAY + timedelta(400)).map(date.isoformat),
    "lot_id": st.integers(1, 30),
})


@settings(max_examples=200, suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(st.data())
def test_well_shaped_documents_with_any_values_never_answer_500(inventory, writer_headers, setup, data):
    """Plausible documents reach the domain rules (FEFO, expiry, short stock); one field may hold anything."""
    location, other = (data.draw(st.sampled_from(sorted(setup.values()))) for _ in range(2))
    line = data.draw(plausible_line)
    path, body = data.draw(st.sampled_from([
        ("/api/receipts", {"location_id": location, "lines": [line]}),
        ("/api/receipts", {"location_id": location, "lines": [line, {**line, "lot_number": "L-9"}]}),
        ("/api/issues", {"location_id": location, "meal": "lunch", "lines": [line],
                         "meal_date": data.draw(st.dates(TODAY - timedelta(5), TODAY + timedelta(30))).isoformat()}),
        ("/api/transfers", {"from_location_id": location, "to_location_id": other, "lines": [line]}),
        ("/api/waste", {"location_id": location, "reason": "破损", "lines": [line]}),
        ("/api/store-sales", {"location_id": location, "lines": [line]}),
    ]))
    body["lines"] = [{key: value for key, value in entry.items() if key in LINE_KEYS[path]} for entry in body["lines"]]
    if data.draw(st.booleans()):  # one field, anywhere, holds anything
        target = body["lines"][0] if data.draw(st.booleans()) else body
        target[data.draw(st.sampled_from(sorted(target)))] = data.draw(values)
    response = inventory.post(path, json=body, headers=writer_headers)
    event(f"{path} {response.status_code}")
    assert response.status_code < 500, (path, body, response.json)
