import json
import logging
from urllib.parse import urlsplit

import pytest
import requests
from sqlalchemy import func, select

from services.inventory.items import (
    is_bulk_commodity,
    procurement_client,
    refresh_items,
    run_item_refresh,
    upsert_items,
)
from services.inventory.locations import ensure_standard_locations
from services.inventory.models import Item
from shared.errors import DomainError
from tests.support import TEST_SECRET

from .conftest import COAL, MILK, RICE


def test_upsert_inserts_new_items_and_refreshes_known_ones(session):
    upsert_items(session, 1, [RICE, MILK])
    first_sync = session.get(Item, RICE["id"]).synced_at
    [rice, coal] = upsert_items(session, 1, [{**RICE, "name": "东北大米", "shelf_life_days": 540}, COAL])
    assert session.scalar(select(func.count()).select_from(Item)) == 3
    assert (rice.name, rice.shelf_life_days, rice.base_unit) == ("东北大米", 540, "kg")
    assert rice.synced_at >= first_sync
    assert coal.shelf_life_days is None and not coal.restricted
    assert is_bulk_commodity(rice) and is_bulk_commodity(coal) and not is_bulk_commodity(session.get(Item, MILK["id"]))


def test_the_later_record_of_the_same_item_wins(session):
    [first, second] = upsert_items(session, 1, [RICE, {**RICE, "restricted": True}])
    assert first is second and second.restricted


def test_a_retired_item_stays_cached_but_inactive(session):
    upsert_items(session, 1, [RICE])
    upsert_items(session, 1, [{**RICE, "active": False}])
    assert session.get(Item, RICE["id"]).active is False


@pytest.mark.parametrize("record", [
    {k: v for k, v in RICE.items() if k != "code"},
    {**RICE, "id": "101"},
    {**RICE, "shelf_life_days": 0},
    {**RICE, "base_unit": ""},
])
def test_invalid_item_records_are_refused_whole(session, record):
    with pytest.raises(DomainError):
        upsert_items(session, 1, [MILK, record])
    assert session.scalar(select(func.count()).select_from(Item)) == 0


def test_an_item_id_of_another_schools_catalogue_is_refused(session):
    upsert_items(session, 1, [RICE])
    with pytest.raises(DomainError):
        upsert_items(session, 2, [RICE])
    assert session.get(Item, RICE["id"]).school_id == 1


def test_two_schools_may_use_the_same_item_code(session):
    upsert_items(session, 1, [RICE])
    [theirs] = upsert_items(session, 2, [{**RICE, "id": 901}])
    assert theirs.code == RICE["code"] and theirs.school_id == 2


class FlaskTransport(requests.adapters.BaseAdapter):
    """requests → a Flask test client: the real procurement app answers, no server needed."""

    def __init__(self, client):
        super().__init__()
        self.client = client

    def send(self, request, **kwargs):
        url = urlsplit(request.url)
        answer = self.client.open(url.path + (f"?{url.query}" if url.query else ""), method=request.method,
                                  headers=dict(request.headers), data=request.body)
        response = requests.Response()
        response.status_code, response._content = answer.status_code, answer.get_data()
        response.headers.update(answer.headers)
        response.url, response.request = request.url, request
        return response

    def close(self):
        pass


def test_the_cache_is_refreshed_from_procurements_item_list_page_by_page(procurement, staff, school, session):
    _, buyer = staff("procurement_officer")
    for index in range(5):
        response = procurement.post("/api/items", json={
            "code": f"VEG-{index}", "name_zh": f"蔬菜{index}", "name_en": f"vegetable {index}",
            "category": "vegetables", "base_unit": "kg", "shelf_life_days": 3}, headers=buyer)
        assert response.status_code == 201, response.json
    crisps = procurement.post("/api/items", json={
        "code": "CRISPS", "name_zh": "薯片", "name_en": "crisps", "category": "store_goods", "base_unit": "piece",
        "restricted_food": True}, headers=buyer).json
    client = procurement_client("http://procurement.test", TEST_SECRET, school.id)
    client.session.mount("http://procurement.test", FlaskTransport(procurement))
    assert refresh_items(session, school.id, client, per_page=2) == 6
    cached = session.get(Item, crisps["id"])
    assert (cached.code, cached.name, cached.restricted, cached.school_id) == ("CRISPS", "薯片", True, school.id)
    assert session.scalar(select(func.count()).select_from(Item).where(Item.school_id == school.id)) == 6


class Unreachable(requests.adapters.BaseAdapter):
    def send(self, request, **kwargs):
        raise requests.ConnectionError("procurement is down")

    def close(self):
        pass


def test_the_hourly_job_refreshes_every_schools_cache_and_logs_a_failing_one_without_raising(
        procurement, staff, school, setup, inventory_db, caplog):
    _, buyer = staff("procurement_officer")
    assert procurement.post("/api/items", json={
        "code": "TOFU", "name_zh": "豆腐", "name_en": "tofu", "category": "vegetables", "base_unit": "kg",
        "shelf_life_days": 2}, headers=buyer).status_code == 201
    with inventory_db.unit_of_work() as uow:
        ensure_standard_locations(uow.session, 4242)  # a second school, whose procurement cannot be reached
        uow.commit()

    def client_for(school_id):
        client = procurement_client("http://procurement.test", TEST_SECRET, school_id)
        client.session.mount("http://procurement.test",
                             FlaskTransport(procurement) if school_id == school.id else Unreachable())
        return client

    with caplog.at_level(logging.ERROR, logger="services.inventory.items"):
        result = run_item_refresh(inventory_db, client_for)
    assert result == {"schools": 2, "items": 1, "failed": [4242]}
    assert "item cache refresh failed for school 4242" in caplog.text and "procurement is down" in caplog.text
    with inventory_db.unit_of_work() as uow:
        assert uow.session.scalar(select(Item).where(Item.code == "TOFU")).school_id == school.id
        assert uow.session.scalar(select(func.count()).select_from(Item).where(Item.school_id == 4242)) == 0


def test_a_refresh_that_fails_midway_keeps_the_schools_cache_as_it_was(procurement, staff, school, setup,
                                                                       inventory_db, caplog):
    _, buyer = staff("procurement_officer")
    for code in ("A", "B", "C"):
        assert procurement.post("/api/items", json={"code": code, "name_zh": code, "name_en": code,
                                                    "category": "vegetables", "base_unit": "kg",
                                                    "shelf_life_days": 3}, headers=buyer).status_code == 201
    pages = []

    class SecondPageFails(FlaskTransport):
        def send(self, request, **kwargs):
            pages.append(request.url)
            if len(pages) == 2:
                raise requests.ConnectionError("lost mid-way")
            response = super().send(request, **kwargs)
            body = response.json()
            response._content = json.dumps({**body, "total": body["total"] + 200}).encode()  # more pages to come
            return response

    def client_for(school_id):
        client = procurement_client("http://procurement.test", TEST_SECRET, school_id)
        client.session.mount("http://procurement.test", SecondPageFails(procurement))
        return client

    with caplog.at_level(logging.ERROR, logger="services.inventory.items"):
        assert run_item_refresh(inventory_db, client_for)["failed"] == [school.id]
    assert len(pages) == 2
    with inventory_db.unit_of_work() as uow:
        # the first page was not kept: the school's refresh is one transaction
        assert uow.session.scalar(select(func.count()).select_from(Item).where(Item.code.in_(["A", "B", "C"]))) == 0


def test_the_item_refresh_is_an_hourly_job_of_the_worker():
    from services.inventory.tasks import PERIODIC_JOBS
    [job] = [job for job in PERIODIC_JOBS if job.name == "refresh_items"]
    assert job.run is run_item_refresh and job.every_seconds == 3600
