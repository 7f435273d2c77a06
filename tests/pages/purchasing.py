"""One week's purchasing in the procurement database, made through the domain functions, for page tests.

A dining hall's menu and the requisition it made (approved), the purchase plan consolidating it, an RFQ
with two quotes (one above the price limit), a direct order waiting for approval and an invoice that
three-way matching disputed: every document a procurement page shows, with the people who made them.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta, timezone
from decimal import Decimal
from zoneinfo import ZoneInfo

from sqlalchemy import select

from services.procurement import consolidation, demand, menus, orders, quotations
from services.procurement.catalogue import add_reference_price, create_item
from services.procurement.models import Invoice, StaffUser
from services.procurement.tasks import consumer
from shared.auth import Principal
from tests.procurement.conftest import OIL, RICE, envelope

SUPPLIER_ID, OTHER_SUPPLIER_ID = 501, 502


def school_today() -> date:
    return datetime.now(ZoneInfo("Asia/Shanghai")).date()


@dataclass
class Purchasing:
    manager: StaffUser
    officer: StaffUser
    approver: StaffUser
    finance: StaffUser
    rice_id: int
    menu_id: int
    requisition_id: int
    draft_requisition_id: int
    plan_id: int
    rfq_id: int
    order_id: int
    invoice_id: int

    def principal(self, user: StaffUser) -> Principal:
        return Principal(str(user.id), frozenset(user.roles), school_id=user.school_id)


def seed_purchasing(databases, staff) -> Purchasing:
    database = databases["procurement"]
    manager, _ = staff("canteen_manager")
    officer, _ = staff("procurement_officer")
    approver, _ = staff("approver")
    finance, _ = staff("finance")
    today = school_today()
    monday = today - timedelta(days=today.weekday()) + timedelta(days=7)
    for supplier_id, name in ((SUPPLIER_ID, "山东鲁粮粮油有限公司"), (OTHER_SUPPLIER_ID, "河北粮油贸易公司")):
        consumer.apply(database, envelope("supplier.approved", {
            "supplier_id": supplier_id, "name": name, "categories": ["bulk_grain_oil"],
            "approved_at": datetime(2026, 1, 5, tzinfo=timezone.utc)}))
    with database.unit_of_work() as uow:
        session = uow.session
        points = {point.code: point for point in demand.ensure_demand_points(session, manager.school_id)}
        session.get(StaffUser, manager.id).demand_point_id = points["DH1"].id
        admin = Principal("seed", frozenset({"admin"}), school_id=manager.school_id)
        rice = create_item(session, admin, {**RICE, "code": "RICE-PAGES"})
        oil = create_item(session, admin, {**OIL, "code": "OIL-PAGES"})
        for item, price in ((rice, "4.00"), (oil, "12.00")):
            add_reference_price(session, admin, item.id, Decimal(price), date(2026, 1, 1), "tender")
        as_manager, as_officer = (Principal(str(user.id), frozenset(user.roles), school_id=user.school_id)
                                  for user in (manager, officer))
        dish = menus.create_dish(session, as_manager, "米饭", [{"item_id": rice.id, "quantity": Decimal("0.150")}])
        menu = menus.create_menu(session, as_manager, "DH1", monday, [
            {"date": monday, "meal": "lunch", "diners": 800, "dish_ids": [dish.id]}])
        requisition = menus.requisition_from_menu(session, as_manager, menu.id, today, lambda code: {})
        demand.submit_requisition(session, as_manager, requisition.id)
        demand.decide_requisition(session, as_officer, requisition.id, "approve")
        draft = demand.create_requisition(session, as_manager, "DH1", [
            {"item_id": oil.id, "quantity": Decimal("4"), "unit": "drum5", "needed_by": monday}], today)
        plan = consolidation.consolidate(session, as_officer, today, monday + timedelta(days=6))
        rfq = quotations.issue_rfq(session, as_officer, plan.id, [line.id for line in plan.lines], "大米询价",
                                   datetime.now(timezone.utc) + timedelta(days=2), today)
        order = orders.create_order(session, as_manager, SUPPLIER_ID, [orders.LineInput(
            oil.id, Decimal("200"), "drum5", Decimal("13.00"), "DH1", monday)], today, "食用油补货")
        orders.submit_order(session, as_manager, order.id)
        ids = dict(rice_id=rice.id, menu_id=menu.id, requisition_id=requisition.id, draft_requisition_id=draft.id,
                   plan_id=plan.id, rfq_id=rfq.id, order_id=order.id)
        rfq_line_id, po_line_id = rfq.lines[0].id, order.lines[0].id
        uow.commit()
    for quote_id, supplier_id, price in ((71, SUPPLIER_ID, "4.10"), (72, OTHER_SUPPLIER_ID, "4.60")):
        consumer.apply(database, envelope("quote.submitted", {
            "quote_id": quote_id, "rfq_id": ids["rfq_id"], "supplier_id": supplier_id,
            "submitted_at": datetime.now(timezone.utc), "valid_until": today + timedelta(days=10),
            "lines": [{"rfq_line_id": rfq_line_id, "item_id": ids["rice_id"], "unit_price": Decimal(price)}]}))
    consumer.apply(database, envelope("invoice.submitted", {
        "invoice_id": 91, "po_id": ids["order_id"], "supplier_id": SUPPLIER_ID, "school_id": manager.school_id,
        "invoice_number": "No.91", "issued_on": today, "total": Decimal("13000.00"),
        "submitted_at": datetime.now(timezone.utc), "receipt_ids": [],  # nothing received: the invoice is disputed
        "lines": [{"po_line_id": po_line_id, "quantity": Decimal("1000"), "unit_price": Decimal("13.00")}]}))
    with database.unit_of_work() as uow:
        invoice_id = uow.session.scalar(select(Invoice.id).where(Invoice.portal_invoice_id == 91))
    return Purchasing(manager, officer, approver, finance, invoice_id=invoice_id, **ids)
