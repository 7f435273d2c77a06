"""Nearly valid documents with one odd value, and absurd ids and dates, are refused, never answered 500.

Arbitrary bodies and queries on every route are fuzzed by tests/contract/test_openapi_fuzz.py."""
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st


@pytest.fixture
def everyone(staff, demand_points, make_item):
    make_item()
    _, headers = staff("admin", "procurement_officer", "approver", "finance", "canteen_manager")
    return headers


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
