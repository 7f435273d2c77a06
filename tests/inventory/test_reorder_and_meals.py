"""Reorder rules publish stock.below_reorder once per shortfall; meals served give the meal cost."""
from __future__ import annotations

from dataclasses import replace
from decimal import Decimal

import pytest
from sqlalchemy import select

from services.inventory.costing.accounts import period_accounts
from services.inventory.costing.entries import record_meals_served
from services.inventory.issues import issue_to_kitchen
from services.inventory.models import Outbox
from services.inventory.receipts import post_receipt
from services.inventory.reorder import set_rule, suggested_quantity, sweep
from shared.errors import InvalidInput

from .conftest import RICE, TODAY, receipt_line


def shortfalls(session):
    return [row.payload for row in session.scalars(select(Outbox).where(Outbox.type == "stock.below_reorder")
                                                   .order_by(Outbox.occurred_at))]


def issue(session, keeper, location, quantity):
    return issue_to_kitchen(session, keeper, location.id, TODAY, "lunch",
                            [{"item_id": RICE["id"], "quantity": Decimal(quantity)}], TODAY)


@pytest.mark.parametrize("on_hand, maximum, multiple, suggested", [
    ("40", "200", "25", "175"), ("40", "200", "1", "160"), ("0", "100", "30", "120"), ("99.5", "100", "0.5", "0.5")])
def test_the_suggested_quantity_reaches_the_maximum_in_whole_purchase_multiples(on_hand, maximum, multiple,
                                                                                   suggested):
    assert suggested_quantity(Decimal(on_hand), Decimal(maximum), Decimal(multiple)) == Decimal(suggested)


def test_a_shortfall_is_published_once_and_again_only_after_stock_recovers(session, keeper, locations, items):
    dh1 = locations["DH1"]
    set_rule(session, keeper, RICE["id"], dh1.id, Decimal("50"), Decimal("200"), Decimal("25"))
    post_receipt(session, keeper, dh1.id, [receipt_line(RICE, "100", "4", "R-1", TODAY)], TODAY)
    issue(session, keeper, dh1, "40")
    assert shortfalls(session) == []
    issue(session, keeper, dh1, "20")  # 40 left: below 50
    issue(session, keeper, dh1, "10")  # still the same shortfall
    [event] = shortfalls(session)
    assert (event["location_code"], event["item_id"], event["on_hand"], event["minimum"], event["maximum"],
            event["suggested_quantity"]) == ("DH1", RICE["id"], "40.000", "50.000", "200.000", "175.000")
    post_receipt(session, keeper, dh1.id, [receipt_line(RICE, "150", "4", "R-2", TODAY)], TODAY)
    issue(session, keeper, dh1, "150")  # 30 left: a new shortfall
    assert [e["on_hand"] for e in shortfalls(session)] == ["40.000", "30.000"]


def test_the_sweep_publishes_a_rule_set_while_stock_was_already_low_and_only_once(session, keeper, locations, items):
    csr = locations["CSR"]
    post_receipt(session, keeper, csr.id, [receipt_line(RICE, "10", "4", "R-1", TODAY)], TODAY)
    set_rule(session, keeper, RICE["id"], csr.id, Decimal("100"), Decimal("1000"), Decimal("500"))
    assert sweep(session) == 1
    assert sweep(session) == 0
    assert shortfalls(session)[0]["suggested_quantity"] == "1000.000"


def test_a_rule_needs_a_maximum_at_least_its_minimum(session, keeper, locations, items):
    with pytest.raises(InvalidInput) as refused:
        set_rule(session, keeper, RICE["id"], locations["CSR"].id, Decimal("10"), Decimal("5"), Decimal("1"))
    assert "maximum" in refused.value.errors


def test_meal_cost_is_the_value_issued_for_the_meals_divided_by_meals_served(session, keeper, manager, locations,
                                                                              items):
    dh1, dh2 = locations["DH1"], locations["DH2"]
    post_receipt(session, keeper, dh1.id, [receipt_line(RICE, "100", "4.00", "R-1", TODAY)], TODAY)
    issue(session, keeper, dh1, "30")
    record_meals_served(session, manager, dh1.id, TODAY, "lunch", 300)
    record_meals_served(session, manager, dh1.id, TODAY, "lunch", 290)  # a correction replaces the count
    record_meals_served(session, replace(manager, demand_point="DH2"), dh2.id, TODAY, "lunch", 100)
    # one meal-cost view: the costing package's accounts, which finance signs
    accounts = period_accounts(session, keeper.school_id, TODAY, TODAY, "Asia/Shanghai")
    costs = {hall.location.code: hall.statement.as_dict() for hall in accounts.halls}
    assert (costs["DH1"]["ingredient_total"], costs["DH1"]["diner_meals"],
            costs["DH1"]["ingredient_cost_per_diner_meal"]) == ("120.00", 290, "0.41")
    assert (costs["DH2"]["ingredient_total"], costs["DH2"]["ingredient_cost_per_diner_meal"]) == ("0.00", "0.00")
    assert costs["DH3"]["ingredient_cost_per_diner_meal"] is None
    with pytest.raises(InvalidInput):
        record_meals_served(session, manager, locations["CSR"].id, TODAY, "lunch", 10)


def test_reorder_rules_and_meals_through_the_api(inventory, staff, school, databases):
    from services.inventory.items import upsert_items
    from services.inventory.locations import ensure_standard_locations
    with databases["inventory"].unit_of_work() as uow:
        dh1 = ensure_standard_locations(uow.session, school.id)[0].id
        upsert_items(uow.session, school.id, [RICE])
        uow.commit()
    _, keeper = staff("storekeeper")
    _, manager = staff("canteen_manager", demand_point="DH1")
    rule = {"item_id": RICE["id"], "location_id": dh1, "minimum": "50", "maximum": "200", "multiple": "25"}
    assert inventory.put("/api/reorder-rules", json=rule, headers=keeper).status_code == 200
    assert inventory.put("/api/reorder-rules", json={**rule, "multiple": "0"}, headers=keeper).status_code == 422
    assert [r["maximum"] for r in inventory.get("/api/reorder-rules", headers=keeper).json] == ["200.000"]
    meals = {"location_id": dh1, "meal_date": TODAY.isoformat(), "meal": "dinner", "diners": 512}
    assert inventory.put("/api/costing/meals-served", json=meals, headers=keeper).status_code == 403
    assert inventory.put("/api/costing/meals-served", json=meals, headers=manager).status_code == 200
    served = inventory.get(f"/api/costing/meals-served?start={TODAY.isoformat()}&end={TODAY.isoformat()}",
                           headers=manager).json["items"]
    assert [m["diners"] for m in served] == [512]
    # one meals-served resource: inventory's copy of it is gone
    assert inventory.put("/api/meals-served", json=meals, headers=manager).status_code == 404
    # the second meal-cost view (by meal date) is gone: meal costs are the costing accounts
    period = f"date_from={TODAY.isoformat()}&date_to={TODAY.isoformat()}"
    assert inventory.get(f"/api/meal-costs?{period}", headers=keeper).status_code == 404


def test_the_reorder_sweep_runs_from_the_command_line(test_settings, databases, school):
    from services.inventory import create_app
    from services.inventory.items import upsert_items
    from services.inventory.locations import ensure_standard_locations
    from shared.auth import Principal
    with databases["inventory"].unit_of_work() as uow:
        dh1 = ensure_standard_locations(uow.session, school.id)[0]
        upsert_items(uow.session, school.id, [RICE])
        set_rule(uow.session, Principal("1", frozenset({"admin"}), school_id=school.id), RICE["id"], dh1.id,
                 Decimal("5"), Decimal("10"), Decimal("1"))
        uow.commit()
    app = create_app(test_settings, databases["inventory"])
    runner = app.test_cli_runner()
    with app.app_context():  # the `flask` command pushes one for every command
        assert "1 shortfalls published" in runner.invoke(args=["reorder-sweep"]).output
        assert "0 shortfalls published" in runner.invoke(args=["reorder-sweep"]).output


def test_the_reorder_sweep_is_a_periodic_job_of_the_worker():
    from services.inventory import SPEC
    from services.inventory.reorder import run_sweep
    [job] = [job for job in SPEC.periodic if job.name == "reorder_sweep"]
    assert job.run is run_sweep and job.every_seconds <= 3600
