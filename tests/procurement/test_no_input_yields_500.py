"""Whatever a client sends, procurement answers 2xx/4xx with problem+json, never 500."""
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

json_values = st.recursive(
    st.none() | st.booleans() | st.integers(min_value=-2**70, max_value=2**70) | st.text(max_size=30)
    | st.sampled_from(["4.20", "-1", "1e400", "NaN", "2026-02-30", "DH1", "bag", "kg", "0.0001", "", "9" * 40]),
    lambda children: st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=12), children, max_size=5),
    max_leaves=12)
FIELDS = ["code", "name_zh", "name_en", "category", "base_unit", "packaging", "demand_point", "lines", "item_id",
          "quantity", "unit", "needed_by", "supplier_id", "unit_price", "destination", "delivery_date", "window_start",
          "window_end", "window_days", "prices", "plan_line_id", "reason", "price", "effective_from", "source",
          "rules", "above_amount", "approvers", "awards", "quote_line_id", "rfq_line_id", "plan_line_ids", "title",
          "quote_deadline", "amount", "paid_on", "kind", "rate", "name", "ingredients", "week_start", "meals",
          "dish_ids", "diners", "date", "meal", "valid_from", "valid_to", "reference"]
bodies = st.dictionaries(st.sampled_from(FIELDS), json_values, max_size=6) | json_values
POSTS = ["/api/items", "/api/items/1/reference-prices", "/api/requisitions", "/api/requisitions/1/reject",
         "/api/purchase-plans", "/api/purchase-orders", "/api/purchase-plans/1/purchase-orders",
         "/api/purchase-orders/1/approve", "/api/purchase-orders/1/amend", "/api/purchase-plans/1/rfqs",
         "/api/rfqs/1/award", "/api/invoices/1/payments", "/api/dishes", "/api/menus", "/api/menus/1/requisition",
         "/api/agreements", "/api/agreements/1/purchase-orders"]
PUTS = ["/api/price-rules", "/api/approval-rules", "/api/matching-tolerances", "/api/staff/1/demand-point"]


@pytest.fixture
def everyone(staff, demand_points, make_item):
    make_item()
    _, headers = staff("admin", "procurement_officer", "approver", "finance", "canteen_manager")
    return headers


@settings(max_examples=60, suppress_health_check=[HealthCheck.function_scoped_fixture], deadline=None)
@given(body=bodies, path=st.sampled_from(POSTS + PUTS))
def test_no_body_makes_a_500(procurement, everyone, body, path):
    method = procurement.put if path in PUTS else procurement.post
    response = method(path, json=body, headers=everyone)
    assert response.status_code < 500, (path, body, response.get_data(as_text=True))


@settings(max_examples=60, suppress_health_check=[HealthCheck.function_scoped_fixture], deadline=None)
@given(query=st.dictionaries(st.sampled_from(["page", "per_page", "state", "category", "q", "bulk", "on", "unit",
                                              "supplier_id", "demand_point", "restricted_food", "order_id",
                                              "group_by", "date_from", "date_to", "format", "only_above", "overdue",
                                              "item_id", "in_force_on"]),
                             st.text(max_size=20), max_size=4),
       path=st.sampled_from(["/api/items", "/api/requisitions", "/api/purchase-orders", "/api/purchase-plans",
                             "/api/rfqs", "/api/invoices", "/api/items/1/price-limit", "/api/agreements",
                             "/api/reports/spend", "/api/reports/price-compliance", "/api/reports/open-orders"]))
def test_no_query_makes_a_500(procurement, everyone, query, path):
    response = procurement.get(path, query_string=query, headers=everyone)
    assert response.status_code < 500, (path, query, response.get_data(as_text=True))


weird = st.sampled_from(["1e400", "1E-400", "0.001", "99999999999999999999", "-0", "1.5", 1.5, 10**30, True, None,
                         "bag", "jin", "t", "g", "mL", "L", "piece", "drum20", "斤", "2026-02-29", "9999-12-31",
                         "0001-01-01", "DH1", "STORE", "", " "])
LINE_FIELDS = ["item_id", "quantity", "unit", "needed_by", "unit_price", "destination", "delivery_date",
               "plan_line_id"]


@settings(max_examples=60, suppress_health_check=[HealthCheck.function_scoped_fixture], deadline=None)
@given(field=st.sampled_from(LINE_FIELDS), value=weird, path=st.sampled_from(["/api/requisitions",
                                                                               "/api/purchase-orders"]))
def test_a_nearly_valid_line_with_one_odd_value_makes_no_500(procurement, everyone, deliver_supplier, field, value,
                                                              path):
    item_id = deliver_supplier
    line = {"item_id": item_id, "quantity": "2", "unit": "bag", "needed_by": "2099-01-01", "unit_price": "4.00",
            "destination": "DH1", "delivery_date": "2099-01-01", field: value}
    body = {"demand_point": "DH1", "supplier_id": 501, "lines": [line]}
    response = procurement.post(path, json=body, headers=everyone)
    assert response.status_code < 500, (path, body, response.get_data(as_text=True))


@pytest.fixture
def deliver_supplier(supplier, databases, school):
    from sqlalchemy import select

    from services.procurement.models import Item
    with databases["procurement"].unit_of_work() as uow:
        return uow.session.scalar(select(Item.id).where(Item.school_id == school.id))


def test_absurd_ids_and_dates_on_menus_agreements_and_reports_are_refused_not_500(procurement, staff, demand_points,
                                                                                  make_item):
    from datetime import date, timedelta
    item = make_item()
    _, headers = staff("admin", "procurement_officer")
    monday = date.today() + timedelta(days=7 - date.today().weekday())
    huge = 2**70
    answers = {
        "dish with a huge item id": procurement.post("/api/dishes", json={
            "name": "a", "ingredients": [{"item_id": huge, "quantity": "1"}]}, headers=headers),
        "dish with a huge quantity": procurement.post("/api/dishes", json={
            "name": "a", "ingredients": [{"item_id": item.id, "quantity": "9" * 20}]}, headers=headers),
        "menu with a huge dish id": procurement.post("/api/menus", json={
            "demand_point": "DH1", "week_start": monday.isoformat(),
            "meals": [{"date": monday.isoformat(), "meal": "lunch", "diners": 5, "dish_ids": [huge]}]},
            headers=headers),
        "menu in the last week of time": procurement.post("/api/menus", json={
            "demand_point": "DH1", "week_start": "9999-12-27",
            "meals": [{"date": "9999-12-31", "meal": "lunch", "diners": 5, "dish_ids": [1]}]}, headers=headers),
        "spend to the end of time": procurement.get("/api/reports/spend?group_by=item&date_from=0001-01-01"
                                                    "&date_to=9999-12-31", headers=headers),
        "open orders to the end of time": procurement.get("/api/reports/open-orders?date_to=9999-12-31",
                                                          headers=headers),
    }
    assert {name: response.status_code for name, response in answers.items()} == dict.fromkeys(answers, 422)
    assert procurement.post(f"/api/menus/{huge}/requisition", headers=headers).status_code == 404
    assert procurement.get(f"/api/agreements/{huge}", headers=headers).status_code == 404
