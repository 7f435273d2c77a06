"""The daily expiry-alert job: lots expiring within each location's horizon, recorded once per lot and day."""
from __future__ import annotations

from decimal import Decimal

from sqlalchemy import func, select

from services.inventory.expiry_alerts import DEFAULT_DAYS, record_expiry_alerts, run_expiry_alerts
from services.inventory.models import ExpiryAlert
from services.inventory.receipts import post_receipt as post
from services.inventory.tasks import PERIODIC_JOBS
from services.inventory.waste import record_waste
from shared.auth import Principal
from tests.conftest import bearer

from .conftest import COAL, MILK, RICE, TODAY, days, receipt_line
from .test_api import line, post_receipt


def receive_milk(inventory, headers, location_id):
    response = post_receipt(inventory, headers, location_id,
                            line(MILK, "4", "6", "M-SOON", TODAY - days(5), TODAY + days(2)),
                            line(MILK, "5", "6", "M-TODAY", TODAY - days(6), TODAY),
                            line(MILK, "6", "6", "M-LATER", TODAY, TODAY + days(6)),
                            line(COAL, "100", "1", "C-1"),
                            line(RICE, "10", "4", "R-1", TODAY - days(10)))
    assert response.status_code == 201, response.json


def alerts(session):
    return [(a.location.code, a.lot.lot_number, a.days_left) for a in session.scalars(
        select(ExpiryAlert).order_by(ExpiryAlert.location_id, ExpiryAlert.expiry_date)).unique()]


def test_the_job_records_lots_expiring_within_three_days_expired_ones_included(
        inventory, keeper_headers, setup, inventory_db):
    receive_milk(inventory, keeper_headers, setup["DH1"])
    assert DEFAULT_DAYS == 3
    assert run_expiry_alerts(inventory_db, TODAY) == 2
    with inventory_db.unit_of_work() as uow:
        assert alerts(uow.session) == [("DH1", "M-TODAY", 0), ("DH1", "M-SOON", 2)]
    # two days on, the milk of today has expired and is still on hand: still alerted
    assert run_expiry_alerts(inventory_db, TODAY + days(3)) == 3
    with inventory_db.unit_of_work() as uow:
        assert [(a.lot.lot_number, a.days_left) for a in uow.session.scalars(
            select(ExpiryAlert).where(ExpiryAlert.alert_date == TODAY + days(3))
            .order_by(ExpiryAlert.expiry_date)).unique()] == [("M-TODAY", -3), ("M-SOON", -1), ("M-LATER", 3)]


def test_running_the_job_twice_on_one_day_records_each_alert_once(inventory, keeper_headers, setup, inventory_db):
    receive_milk(inventory, keeper_headers, setup["DH1"])
    assert run_expiry_alerts(inventory_db, TODAY) == 2
    assert run_expiry_alerts(inventory_db, TODAY) == 0
    # the next day is a new day's alert for the lots still in stock
    assert run_expiry_alerts(inventory_db, TODAY + days(1)) == 2
    with inventory_db.unit_of_work() as uow:
        assert uow.session.scalar(select(func.count()).select_from(ExpiryAlert)) == 4


def test_each_location_looks_as_far_ahead_as_its_own_setting(inventory, keeper_headers, setup, inventory_db):
    receive_milk(inventory, keeper_headers, setup["DH1"])
    receive_milk(inventory, keeper_headers, setup["DH2"])
    response = inventory.put(f"/api/locations/{setup['DH2']}/expiry-alert-days", json={"expiry_alert_days": 7},
                             headers=keeper_headers)
    assert response.status_code == 200 and response.json["expiry_alert_days"] == 7
    assert inventory.put(f"/api/locations/{setup['DH1']}/expiry-alert-days", json={"expiry_alert_days": 0},
                         headers=keeper_headers).status_code == 200
    run_expiry_alerts(inventory_db, TODAY)
    with inventory_db.unit_of_work() as uow:
        assert alerts(uow.session) == [("DH1", "M-TODAY", 0),
                                       ("DH2", "M-TODAY", 0), ("DH2", "M-SOON", 2), ("DH2", "M-LATER", 6)]
    back = inventory.put(f"/api/locations/{setup['DH2']}/expiry-alert-days", json={"expiry_alert_days": None},
                         headers=keeper_headers)
    assert back.status_code == 200 and back.json["expiry_alert_days"] is None


def test_an_invalid_horizon_or_another_schools_location_is_refused(inventory, keeper_headers, setup, staff):
    for body in ({"expiry_alert_days": -1}, {"expiry_alert_days": 366}, {"expiry_alert_days": "3"}, {}):
        assert inventory.put(f"/api/locations/{setup['DH1']}/expiry-alert-days", json=body,
                             headers=keeper_headers).status_code == 422
    assert inventory.put("/api/locations/999999/expiry-alert-days", json={"expiry_alert_days": 2},
                         headers=keeper_headers).status_code == 422
    _, supervisor = staff("supervisor")
    assert inventory.put(f"/api/locations/{setup['DH1']}/expiry-alert-days", json={"expiry_alert_days": 2},
                         headers=supervisor).status_code == 403


def test_lots_with_no_stock_left_raise_no_alert(session, keeper, locations, items):
    receipt = post(session, keeper, locations["DH1"].id,
                   [receipt_line(MILK, "2", "6", "M-1", TODAY, TODAY + days(1))], TODAY, supplier_id=7,
                   delivery_reference="DN-1")
    record_waste(session, keeper, locations["DH1"].id, "spoiled",
                 [{"item_id": MILK["id"], "lot_id": receipt.movements[0].lot_id, "quantity": Decimal(2)}])
    assert record_expiry_alerts(session, TODAY) == 0


def test_storekeepers_list_the_days_alerts_per_location(inventory, keeper_headers, setup, inventory_db, staff):
    receive_milk(inventory, keeper_headers, setup["DH1"])
    run_expiry_alerts(inventory_db, TODAY)
    run_expiry_alerts(inventory_db, TODAY + days(1))
    expired = inventory.get(f"/api/expiry-alerts?alert_date={(TODAY + days(1)).isoformat()}",
                            headers=keeper_headers).json
    assert [(r["lot_number"], r["days_left"], r["expired"]) for r in expired] == [("M-TODAY", -1, True),
                                                                                  ("M-SOON", 1, False)]
    rows = inventory.get(f"/api/expiry-alerts?alert_date={TODAY.isoformat()}", headers=keeper_headers).json
    assert [(r["location_code"], r["item_code"], r["lot_number"], r["days_left"], r["expired"], r["quantity"])
            for r in rows] == [("DH1", "MILK-1", "M-TODAY", 0, False, "5.000"),
                               ("DH1", "MILK-1", "M-SOON", 2, False, "4.000")]
    assert inventory.get(f"/api/expiry-alerts?alert_date={TODAY.isoformat()}&location_id={setup['DH2']}",
                         headers=keeper_headers).json == []
    assert inventory.get(f"/api/expiry-alerts?alert_date={(TODAY + days(2)).isoformat()}",
                         headers=keeper_headers).json == []
    assert inventory.get("/api/expiry-alerts?alert_date=yesterday", headers=keeper_headers).status_code == 422
    other_school = bearer(Principal("9", frozenset({"storekeeper"}), school_id=4242))
    assert inventory.get(f"/api/expiry-alerts?alert_date={TODAY.isoformat()}", headers=other_school).json == []
    assert inventory.get("/api/expiry-alerts").status_code == 401


def test_the_expiry_alerts_are_a_daily_job_of_the_worker():
    [job] = [job for job in PERIODIC_JOBS if job.name == "expiry_alerts"]
    assert job.run is run_expiry_alerts and job.every_seconds == 86400
