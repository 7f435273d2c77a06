import pytest
from sqlalchemy import func, select

from services.inventory.items import is_bulk_commodity, upsert_items
from services.inventory.models import Item
from shared.errors import DomainError

from .conftest import COAL, MILK, RICE


def test_upsert_inserts_new_items_and_refreshes_known_ones(session):
    upsert_items(session, [RICE, MILK])
    first_sync = session.get(Item, RICE["id"]).synced_at
    [rice, coal] = upsert_items(session, [{**RICE, "name": "东北大米", "shelf_life_days": 540}, COAL])
    assert session.scalar(select(func.count()).select_from(Item)) == 3
    assert (rice.name, rice.shelf_life_days, rice.base_unit) == ("东北大米", 540, "kg")
    assert rice.synced_at >= first_sync
    assert coal.shelf_life_days is None and not coal.restricted
    assert is_bulk_commodity(rice) and is_bulk_commodity(coal) and not is_bulk_commodity(session.get(Item, MILK["id"]))


def test_the_later_record_of_the_same_item_wins(session):
    [first, second] = upsert_items(session, [RICE, {**RICE, "restricted": True}])
    assert first is second and second.restricted


def test_a_retired_item_stays_cached_but_inactive(session):
    upsert_items(session, [RICE])
    upsert_items(session, [{**RICE, "active": False}])
    assert session.get(Item, RICE["id"]).active is False


@pytest.mark.parametrize("record", [
    {k: v for k, v in RICE.items() if k != "code"},
    {**RICE, "id": "101"},
    {**RICE, "shelf_life_days": 0},
    {**RICE, "base_unit": ""},
])
def test_invalid_item_records_are_refused_whole(session, record):
    with pytest.raises(DomainError):
        upsert_items(session, [MILK, record])
    assert session.scalar(select(func.count()).select_from(Item)) == 0
