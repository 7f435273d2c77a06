"""Menu-driven demand: menu × diners − on hand − on order, rounded up to whole purchase units."""
from datetime import date, timedelta
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from services.procurement import menus
from services.procurement.menus import ingredient_needs

from .conftest import CABBAGE, OIL, RICE

D = Decimal
REAL_STOCK_ON_HAND = menus.stock_on_hand


# --- the arithmetic ---------------------------------------------------------------------------------

def test_needs_are_diners_times_servings_less_stock_rounded_up_to_whole_bags():
    rice, cabbage = 1, 2
    menu = {"mon-lunch": [{rice: D("0.150"), cabbage: D("0.200")}], "mon-dinner": [{rice: D("0.120")}]}
    diners = {"mon-lunch": 800, "mon-dinner": 600}
    # rice: 800 × 0.15 + 600 × 0.12 = 192 kg; less 40 on hand and 25 on order = 127 → 6 bags of 25 kg
    needs = ingredient_needs(menu, diners, {rice: D("40")}, {rice: D("25")},
                             {rice: ("bag", D("25")), cabbage: ("kg", D("1"))})
    assert needs[rice].gross == D("192.000") and needs[rice].net == D("127.000")
    assert (needs[rice].unit, needs[rice].units, needs[rice].quantity) == ("bag", 6, D("150"))
    # cabbage: 800 × 0.2 = 160 kg exactly, nothing in stock → 160 whole kg
    assert (needs[cabbage].units, needs[cabbage].quantity) == (160, D("160"))


def test_an_item_covered_by_stock_is_not_bought():
    needs = ingredient_needs({"m": [{1: D("0.5")}]}, {"m": 10}, {1: D("3")}, {1: D("2")}, {1: ("bag", D("25"))})
    assert needs == {}


def test_a_net_need_of_exactly_whole_units_buys_no_extra_unit():
    needs = ingredient_needs({"m": [{1: D("0.25")}]}, {"m": 200}, {}, {}, {1: ("bag", D("25"))})
    assert (needs[1].units, needs[1].quantity) == (2, D("50"))


def test_a_thousandth_over_a_whole_unit_buys_another_unit():
    needs = ingredient_needs({"m": [{1: D("0.001")}]}, {"m": 1}, {1: D("24.999") - D("24.999")}, {},
                             {1: ("drum5", D("5"))})
    assert needs[1].units == 1
    needs = ingredient_needs({"m": [{1: D("25.001")}]}, {"m": 1}, {}, {}, {1: ("bag", D("25"))})
    assert needs[1].units == 2


quantities = st.decimals(min_value=D("0.001"), max_value=D("5"), places=3)
stock = st.decimals(min_value=D("0"), max_value=D("5000"), places=3)
factors = st.decimals(min_value=D("0.001"), max_value=D("1000"), places=3)


@given(servings=st.lists(st.tuples(st.integers(0, 2000), st.dictionaries(st.integers(1, 5), quantities, min_size=1)),
                         min_size=1, max_size=6),
       on_hand=st.dictionaries(st.integers(1, 5), stock), on_order=st.dictionaries(st.integers(1, 5), stock),
       factor_of=st.fixed_dictionaries({i: factors for i in range(1, 6)}))
def test_what_is_bought_covers_the_net_need_with_less_than_one_purchase_unit_over(servings, on_hand, on_order,
                                                                                  factor_of):
    menu = {index: [dish] for index, (_, dish) in enumerate(servings)}
    diners = {index: count for index, (count, _) in enumerate(servings)}
    needs = ingredient_needs(menu, diners, on_hand, on_order, {i: ("unit", f) for i, f in factor_of.items()})
    for item_id in range(1, 6):
        gross = sum((diners[i] * dish.get(item_id, D(0)) for i, (_, dish) in enumerate(servings)), D(0))
        net = gross - on_hand.get(item_id, D(0)) - on_order.get(item_id, D(0))
        if net <= 0:
            assert item_id not in needs
            continue
        need = needs[item_id]
        assert need.net == net and need.gross == gross
        assert need.quantity == need.units * factor_of[item_id]
        assert need.quantity >= net
        assert need.quantity - net < factor_of[item_id]


# --- asking inventory ---------------------------------------------------------------------------

def test_on_hand_is_read_from_inventorys_stock_for_the_dining_hall_only(monkeypatch):
    from shared.config import Settings

    class FakeResponse:
        status_code = 200

        def json(self):
            return [{"location_code": "DH1", "item_id": 7, "quantity": "12.500"},
                    {"location_code": "DH2", "item_id": 7, "quantity": "99.000"},
                    {"location_code": "DH1", "item_id": 8, "quantity": "3.000"}]

    calls = []

    class FakeClient:
        def __init__(self, base_url, timeout, token):
            calls.append(base_url)

        def get(self, path, **kwargs):
            calls.append(path)
            return FakeResponse()

    monkeypatch.setattr(menus, "ServiceClient", FakeClient)
    config = Settings(service_urls={"inventory": "http://inventory.test"})
    assert menus.stock_on_hand(config, 1, "DH1") == {7: D("12.500"), 8: D("3.000")}
    assert calls == ["http://inventory.test", "/api/stock"]


def test_inventory_not_answering_is_a_503_not_a_500(monkeypatch, procurement, manager, menu):
    import requests as http

    class DownClient:
        def __init__(self, *args, **kwargs):
            pass

        def get(self, path, **kwargs):
            raise http.ConnectionError("refused")

    monkeypatch.setattr(menus, "ServiceClient", DownClient)
    monkeypatch.setattr(menus, "stock_on_hand", REAL_STOCK_ON_HAND)
    body, headers = menu
    response = procurement.get(f"/api/menus/{body['id']}/needs", headers=headers)
    assert response.status_code == 503, response.json


# --- the API --------------------------------------------------------------------------------------

def next_monday():
    today = date.today()
    return today + timedelta(days=7 - today.weekday())


@pytest.fixture
def items(make_item, demand_points):
    return {"rice": make_item(RICE), "cabbage": make_item(CABBAGE), "oil": make_item(OIL)}


@pytest.fixture
def dishes(procurement, staff, items):
    _, headers = staff("procurement_officer")
    made = {}
    for name, ingredients in {
        "米饭": [{"item_id": items["rice"].id, "quantity": "150", "unit": "g"}],
        "炒白菜": [{"item_id": items["cabbage"].id, "quantity": "0.2"},
                 {"item_id": items["oil"].id, "quantity": "10", "unit": "mL"}],
    }.items():
        response = procurement.post("/api/dishes", json={"name": name, "ingredients": ingredients}, headers=headers)
        assert response.status_code == 201, response.json
        made[name] = response.json
    return made


@pytest.fixture
def menu(procurement, manager, dishes, monkeypatch):
    """DH1's menu for next week: lunch Monday and Tuesday for 800 diners, rice and cabbage."""
    monkeypatch.setattr(menus, "stock_on_hand", lambda config, school_id, code: {})
    _, headers = manager("DH1")
    monday = next_monday()
    dish_ids = [dishes["米饭"]["id"], dishes["炒白菜"]["id"]]
    body = {"demand_point": "DH1", "week_start": monday.isoformat(),
            "meals": [{"date": (monday + timedelta(days=day)).isoformat(), "meal": "lunch", "diners": 800,
                       "dish_ids": dish_ids} for day in (0, 1)]}
    response = procurement.post("/api/menus", json=body, headers=headers)
    assert response.status_code == 201, response.json
    return response.json, headers


def test_a_dish_keeps_its_ingredients_per_serving_in_base_units(dishes):
    rice = dishes["米饭"]["ingredients"][0]
    assert (rice["per_serving"], rice["base_unit"]) == ("0.150", "kg")
    oil = dishes["炒白菜"]["ingredients"][1]
    assert (oil["per_serving"], oil["base_unit"]) == ("0.010", "L")


def test_the_menus_needs_subtract_what_inventory_has_on_hand(procurement, menu, items, monkeypatch):
    body, headers = menu
    seen = []

    def fake_stock(config, school_id, code):
        seen.append(code)
        return {items["rice"].id: D("40"), items["oil"].id: D("100")}

    monkeypatch.setattr(menus, "stock_on_hand", fake_stock)
    response = procurement.get(f"/api/menus/{body['id']}/needs", headers=headers)
    assert response.status_code == 200, response.json
    needs = {need["item_id"]: need for need in response.json["needs"]}
    assert seen == ["DH1"]
    # rice 2 × 800 × 0.15 = 240 kg − 40 on hand = 200 → 8 bags; cabbage 320 kg; oil 16 L covered by 100 L
    rice = needs[items["rice"].id]
    assert (rice["gross"], rice["on_hand"], rice["net"], rice["unit"], rice["units"], rice["quantity"]) == (
        "240.000", "40.000", "200.000", "bag", 8, "200.000")
    assert needs[items["cabbage"].id]["units"] == 320
    assert items["oil"].id not in needs


def test_stock_already_on_order_for_the_hall_is_subtracted(procurement, menu, items, databases, monkeypatch):
    from services.procurement.models import DemandPoint, PurchaseOrder, PurchaseOrderLine
    body, headers = menu
    with databases["procurement"].unit_of_work() as uow:
        point = uow.session.query(DemandPoint).filter_by(school_id=items["rice"].school_id, code="DH1").one()
        order = PurchaseOrder(school_id=point.school_id, number="PO-2026-900001", supplier_id=501,
                              supplier_name="粮油公司", state="sent", total=D("0"), created_by="1")
        order.lines = [PurchaseOrderLine(school_id=point.school_id, line_no=1, item_id=items["rice"].id,
                                         quantity=D("4"), unit="bag", base_quantity=D("100"), unit_price=D("5"),
                                         amount=D("500"), demand_point_id=point.id, delivery_date=next_monday(),
                                         received_quantity=D("30"), rejected_quantity=D("0"))]
        uow.session.add(order)
        uow.commit()
    response = procurement.get(f"/api/menus/{body['id']}/needs", headers=headers)
    assert response.status_code == 200, response.json
    rice = {need["item_id"]: need for need in response.json["needs"]}[items["rice"].id]
    # 70 kg still to come: 240 − 70 = 170 → 7 bags (175 kg)
    assert (rice["on_order"], rice["net"], rice["units"]) == ("70.000", "170.000", 7)


def test_the_manager_gets_a_draft_requisition_in_whole_bags_to_review(procurement, menu, items):
    body, headers = menu
    response = procurement.post(f"/api/menus/{body['id']}/requisition", headers=headers)
    assert response.status_code == 201, response.json
    requisition = response.json
    assert (requisition["state"], requisition["source"], requisition["demand_point"]) == ("draft", "menu", "DH1")
    lines = {line["item_id"]: line for line in requisition["lines"]}
    assert (lines[items["rice"].id]["quantity"], lines[items["rice"].id]["unit"],
            lines[items["rice"].id]["base_quantity"]) == ("10.000", "bag", "250.000")
    assert lines[items["rice"].id]["needed_by"] == body["week_start"]
    assert lines[items["oil"].id]["unit"] == "drum5" and lines[items["oil"].id]["quantity"] == "4.000"
    assert procurement.get(f"/api/menus/{body['id']}", headers=headers).json["requisition_id"] == requisition["id"]
    # the manager reviews it and submits it like any other
    assert procurement.post(f"/api/requisitions/{requisition['id']}/submit", headers=headers).status_code == 200


def test_a_menu_covered_by_stock_makes_no_requisition(procurement, menu, items, monkeypatch):
    body, headers = menu
    monkeypatch.setattr(menus, "stock_on_hand",
                        lambda config, school_id, code: {item.id: D("10000") for item in items.values()})
    assert procurement.post(f"/api/menus/{body['id']}/requisition", headers=headers).status_code == 409


@pytest.mark.parametrize("change, status", [
    ({"week_start": "tuesday"}, 422),
    ({"demand_point": "DH2"}, 403),
    ({"demand_point": "STORE"}, 422),
])
def test_menus_are_refused_off_a_monday_for_another_hall_or_for_the_store(procurement, manager, dishes, change,
                                                                         status):
    _, headers = manager("DH1")
    monday = next_monday()
    body = {"demand_point": "DH1", "week_start": monday.isoformat(),
            "meals": [{"date": monday.isoformat(), "meal": "lunch", "diners": 10, "dish_ids": [dishes["米饭"]["id"]]}]}
    if change.get("week_start") == "tuesday":
        body["week_start"] = body["meals"][0]["date"] = (monday + timedelta(days=1)).isoformat()
    elif change:
        body.update(change)
    assert procurement.post("/api/menus", json=body, headers=headers).status_code == status


def test_a_meal_outside_the_week_or_listed_twice_is_refused(procurement, manager, dishes):
    _, headers = manager("DH1")
    monday = next_monday()
    meal = {"date": monday.isoformat(), "meal": "lunch", "diners": 10, "dish_ids": [dishes["米饭"]["id"]]}
    outside = {**meal, "date": (monday + timedelta(days=7)).isoformat()}
    for meals, field in (([meal, outside], "meals.1.date"), ([meal, meal], "meals.1.meal")):
        response = procurement.post("/api/menus", json={"demand_point": "DH1", "week_start": monday.isoformat(),
                                                        "meals": meals}, headers=headers)
        assert response.status_code == 422 and field in response.json["errors"], response.json


def test_a_second_menu_for_the_same_hall_and_week_is_a_conflict(procurement, menu, dishes):
    body, headers = menu
    again = {"demand_point": "DH1", "week_start": body["week_start"],
             "meals": [{"date": body["week_start"], "meal": "dinner", "diners": 5, "dish_ids": [dishes["米饭"]["id"]]}]}
    assert procurement.post("/api/menus", json=again, headers=headers).status_code == 409


def test_who_may_plan_menus_and_see_them(procurement, staff, menu):
    body, _ = menu
    _, storekeeper = staff("storekeeper")
    assert procurement.post(f"/api/menus/{body['id']}/requisition", headers=storekeeper).status_code == 403
    dish = {"name": "x", "ingredients": []}
    assert procurement.post("/api/dishes", json=dish, headers=storekeeper).status_code == 403
    assert procurement.get(f"/api/menus/{body['id']}", headers=storekeeper).status_code == 200
    assert procurement.get("/api/menus/999999", headers=storekeeper).status_code == 404


def test_another_schools_menu_is_not_found(procurement, staff, menu, school, databases):
    from services.procurement.models import School
    body, _ = menu
    with databases["procurement"].unit_of_work() as uow:
        other = School(name="另一所学校")
        uow.session.add(other)
        uow.commit()
    _, headers = staff("admin", school_id=other.id)
    assert procurement.get(f"/api/menus/{body['id']}", headers=headers).status_code == 404
    assert procurement.post(f"/api/menus/{body['id']}/requisition", headers=headers).status_code == 404


def test_another_halls_menu_is_not_found_by_its_manager(procurement, manager, menu):
    """A manager's list shows their own hall's menus only; naming another hall's by URL finds nothing either."""
    body, _ = menu
    _, other_hall = manager("DH2")
    for path in (f"/api/menus/{body['id']}", f"/api/menus/{body['id']}/needs"):
        assert procurement.get(path, headers=other_hall).status_code == 404, path
    assert procurement.post(f"/api/menus/{body['id']}/requisition", headers=other_hall).status_code == 404
    _, store = manager("STORE", role="store_manager")
    assert procurement.get(f"/api/menus/{body['id']}", headers=store).status_code == 404


def test_a_menu_makes_one_live_requisition_and_another_only_after_a_rejection(procurement, menu, staff):
    body, headers = menu
    first = procurement.post(f"/api/menus/{body['id']}/requisition", headers=headers)
    assert first.status_code == 201, first.json
    assert procurement.post(f"/api/menus/{body['id']}/requisition", headers=headers).status_code == 409
    assert procurement.post(f"/api/requisitions/{first.json['id']}/submit", headers=headers).status_code == 200
    _, approver = staff("approver")
    rejected = procurement.post(f"/api/requisitions/{first.json['id']}/reject", json={"reason": "米量偏多，请重算"},
                                headers=approver)
    assert rejected.status_code == 200, rejected.json
    again = procurement.post(f"/api/menus/{body['id']}/requisition", headers=headers)
    assert again.status_code == 201 and again.json["id"] != first.json["id"]


def test_inventorys_service_token_lists_the_weeks_menus_with_their_dishes_and_nothing_else(procurement, menu,
                                                                                            school, manager, items):
    """The weekly disclosure reads the week's menus with inventory's service token; that is all it may read."""
    from shared.auth import service_token
    from tests.support import TEST_SECRET
    body, _ = menu
    service = {"Authorization": f"Bearer {service_token('inventory', school.id, TEST_SECRET)}"}
    listed = procurement.get("/api/menus", query_string={"week_start": body["week_start"]}, headers=service)
    assert listed.status_code == 200, listed.json
    [found] = listed.json["items"]
    assert (found["id"], found["demand_point"], listed.json["total"]) == (body["id"], "DH1", 1)
    lunch = found["meals"][0]
    assert (lunch["date"], lunch["meal"], lunch["diners"]) == (body["week_start"], "lunch", 800)
    assert [(dish["name"], [(i["item_name"], i["per_serving"], i["base_unit"]) for i in dish["ingredients"]])
            for dish in lunch["dishes"]] == [
        ("米饭", [(items["rice"].name_zh, "0.150", "kg")]),
        ("炒白菜", [(items["cabbage"].name_zh, "0.200", "kg"), (items["oil"].name_zh, "0.010", "L")])]
    assert procurement.get("/api/menus", query_string={"week_start": "2020-01-06"},
                           headers=service).json["total"] == 0
    for path in (f"/api/menus/{body['id']}", f"/api/menus/{body['id']}/needs", "/api/dishes"):
        assert procurement.get(path, headers=service).status_code == 403, path
    assert procurement.post("/api/menus", json={}, headers=service).status_code in (403, 422)
    assert procurement.get("/api/menus").status_code == 401
    _, other_hall = manager("DH2")  # a manager lists only their own hall's menus
    assert procurement.get("/api/menus", headers=other_hall).json["total"] == 0
