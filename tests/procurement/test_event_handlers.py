from datetime import date, datetime, timedelta, timezone
from decimal import Decimal

from sqlalchemy import select

from services.procurement.models import ApprovedSupplier, Requisition

from .conftest import CABBAGE, RICE

NOW = datetime(2026, 3, 1, 20, 0, tzinfo=timezone.utc)  # 04:00 on 2 March in Shanghai


def test_supplier_approval_and_suspension_keep_the_local_list_of_approved_suppliers(deliver, databases):
    deliver("supplier.approved", {"supplier_id": 7, "name": "城郊蔬菜合作社", "categories": ["vegetables"],
                                  "approved_at": NOW})
    deliver("supplier.approved", {"supplier_id": 7, "name": "城郊蔬菜合作社", "categories": ["vegetables", "meat_eggs"],
                                  "approved_at": NOW})
    with databases["procurement"].unit_of_work() as uow:
        [supplier] = uow.session.scalars(select(ApprovedSupplier)).all()
        assert (supplier.status, supplier.categories) == ("approved", ["meat_eggs", "vegetables"])
    deliver("supplier.suspended", {"supplier_id": 7, "reason": "食品经营许可证过期", "suspended_at": NOW})
    with databases["procurement"].unit_of_work() as uow:
        assert uow.session.scalar(select(ApprovedSupplier.status)) == "suspended"
    deliver("supplier.approved", {"supplier_id": 7, "name": "城郊蔬菜合作社", "categories": ["vegetables"],
                                  "approved_at": NOW})
    with databases["procurement"].unit_of_work() as uow:
        assert uow.session.scalar(select(ApprovedSupplier.status)) == "approved"


def test_suspending_an_unknown_supplier_changes_nothing(deliver, databases):
    assert deliver("supplier.suspended", {"supplier_id": 8, "reason": "x", "suspended_at": NOW}) is True
    with databases["procurement"].unit_of_work() as uow:
        assert uow.session.scalars(select(ApprovedSupplier)).all() == []


def reorder(item, school, location="CSR", suggested="300"):
    return {"school_id": school.id, "location_code": location, "item_id": item.id, "on_hand": Decimal("40"),
            "minimum": Decimal("100"), "maximum": Decimal("340"), "suggested_quantity": Decimal(suggested),
            "detected_at": NOW}


def test_stock_below_reorder_makes_a_draft_requisition_for_that_demand_point(deliver, databases, make_item, school,
                                                                             demand_points):
    rice = make_item(RICE)
    deliver("stock.below_reorder", reorder(rice, school))
    with databases["procurement"].unit_of_work() as uow:
        [requisition] = uow.session.scalars(select(Requisition)).all()
        [line] = requisition.lines
        assert (requisition.state, requisition.source, requisition.demand_point.code) == ("draft", "reorder", "CSR")
        assert (line.quantity, line.entered_unit) == (Decimal("300.000"), "kg")
        assert line.needed_by == date(2026, 3, 2) + timedelta(days=2)
        assert "40" in requisition.note


def test_a_redelivered_reorder_event_makes_one_requisition(deliver, databases, make_item, school, demand_points):
    cabbage = make_item(CABBAGE)
    event_id = "22222222-2222-2222-2222-222222222222"
    assert deliver("stock.below_reorder", reorder(cabbage, school, "DH2", "80"), event_id=event_id) is True
    assert deliver("stock.below_reorder", reorder(cabbage, school, "DH2", "80"), event_id=event_id) is False
    with databases["procurement"].unit_of_work() as uow:
        assert len(uow.session.scalars(select(Requisition)).all()) == 1


def test_a_reorder_for_an_unknown_item_or_location_is_dropped(deliver, databases, make_item, school, demand_points):
    rice = make_item(RICE)
    assert deliver("stock.below_reorder", {**reorder(rice, school), "item_id": 999999}) is True
    assert deliver("stock.below_reorder", reorder(rice, school, location="GARAGE")) is True
    assert deliver("stock.below_reorder", {**reorder(rice, school), "school_id": school.id + 1000}) is True
    with databases["procurement"].unit_of_work() as uow:
        assert uow.session.scalars(select(Requisition)).all() == []
