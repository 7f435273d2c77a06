"""Purchase orders: numbering, pricing against the price rule, approval by amount, and their life.

draft → pending_approval → approved → sent → acknowledged → partially_received → received →
closed, plus cancelled and declined (workflow.PURCHASE_ORDER); every move is audited.
"""
from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import bindparam, func, insert, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, joinedload, selectinload

from shared.auth import Principal
from shared.db import utcnow
from shared.errors import Conflict, Forbidden, InvalidInput, NotFound
from shared.events import emit
from shared.money import money
from shared.pagination import Page, paginate

from . import workflow
from .catalogue import base_quantity
from .consolidation import get_plan
from .demand import SYSTEM, own_demand_point
from .models import (
    ApprovalRule,
    ApprovedSupplier,
    DeliveryNotice,
    DemandPoint,
    DocumentCounter,
    GoodsReceipt,
    Item,
    PlanLine,
    PurchaseOrder,
    PurchaseOrderApproval,
    PurchaseOrderLine,
)
from .pricing import PriceCheck, check_for, checks_for

# DESIGN.md §5 / issue: above ¥10,000 one approver, above ¥50,000 two distinct approvers.
DEFAULT_APPROVAL_RULES = ((Decimal("10000.00"), 1), (Decimal("50000.00"), 2))
# What kind of supplier may supply an item of each catalogue category.
SUPPLIER_CATEGORY = {"rice": "bulk_grain_oil", "flour": "bulk_grain_oil", "cooking_oil": "bulk_grain_oil",
                     "seasonings": "bulk_grain_oil", "coal": "coal", "vegetables": "vegetables",
                     "meat_eggs": "meat_eggs", "store_goods": "store_goods"}
LIVE_STATES = ("draft", "pending_approval", "approved", "sent", "acknowledged", "partially_received", "received",
               "closed")
CREATORS = ("procurement_officer", "canteen_manager", "store_manager", "admin")
BUYERS = ("procurement_officer", "admin")


def approvals_required(total: Decimal, rules) -> int:
    """Distinct approvals an order of `total` needs: the most any rule it is above asks for."""
    return max((approvers for above, approvers in rules if total > above), default=0)


# The statements of creating an order, built once and bound per call: building one costs more than
# running it.
_APPROVAL_RULES = (select(ApprovalRule).where(ApprovalRule.school_id == bindparam("school_id"))
                   .order_by(ApprovalRule.above_amount))
_INCREMENT = (update(DocumentCounter)
              .where(DocumentCounter.school_id == bindparam("counter_school"),
                     DocumentCounter.kind == bindparam("counter_kind"),
                     DocumentCounter.year == bindparam("counter_year"))
              .values(last=DocumentCounter.last + 1).returning(DocumentCounter.last))
_SUPPLIER = select(ApprovedSupplier).where(ApprovedSupplier.supplier_id == bindparam("supplier_id"))
_ITEMS = select(Item).where(Item.id.in_(bindparam("item_ids", expanding=True)),
                            Item.school_id == bindparam("school_id"))
_POINTS = select(DemandPoint).where(DemandPoint.school_id == bindparam("school_id"),
                                    DemandPoint.code.in_(bindparam("codes", expanding=True)))


def approval_rules(session: Session, school_id: int) -> list[tuple[Decimal, int]]:
    rows = session.scalars(_APPROVAL_RULES, {"school_id": school_id}).all()
    return [(row.above_amount, row.approvers) for row in rows] or list(DEFAULT_APPROVAL_RULES)


def set_approval_rules(session: Session, principal: Principal, rules: list[tuple[Decimal, int]]) -> list:
    amounts = [above for above, _ in rules]
    if len(set(amounts)) != len(amounts):
        raise InvalidInput("rules", "two rules for the same amount")
    ordered = sorted(rules)
    if any(later[1] < earlier[1] for earlier, later in zip(ordered, ordered[1:], strict=False)):
        raise InvalidInput("rules", "a larger amount may not need fewer approvers")
    for row in session.scalars(select(ApprovalRule).where(ApprovalRule.school_id == principal.school_id)):
        session.delete(row)
    session.flush()
    for above, approvers in ordered:
        session.add(ApprovalRule(school_id=principal.school_id, above_amount=above, approvers=approvers))
    session.flush()
    return approval_rules(session, principal.school_id)


def next_number(session: Session, school_id: int, year: int, kind: str = "PO") -> str:
    """PO-YYYY-NNNNNN, without gaps from a race: the counter row is incremented atomically."""
    key = {"counter_school": school_id, "counter_kind": kind, "counter_year": year}
    last = session.execute(_INCREMENT, key).scalar()
    if last is None:
        try:
            with session.begin_nested():
                session.execute(insert(DocumentCounter).values(school_id=school_id, kind=kind, year=year, last=0))
        except IntegrityError:
            pass  # another transaction created the counter first; its row lock orders us after it
        last = session.execute(_INCREMENT, key).scalar()
    return f"{kind}-{year}-{last:06d}"


def _check_supplier(session: Session, supplier_id: int, items: list[Item]) -> ApprovedSupplier:
    supplier = session.scalar(_SUPPLIER, {"supplier_id": supplier_id})
    if supplier is None:
        raise InvalidInput("supplier_id", "not a supplier approved on the portal")
    if supplier.status != "approved":
        raise Conflict("{supplier} is suspended and may not receive orders", supplier=supplier.name)
    missing = sorted({SUPPLIER_CATEGORY[item.category] for item in items} - set(supplier.categories))
    if missing:
        raise InvalidInput("supplier_id", "{supplier} is not approved for {missing}",
                           supplier=supplier.name, missing=", ".join(missing))
    return supplier


def approved_suppliers(session: Session) -> list[ApprovedSupplier]:
    """The suppliers an order may go to today (approval and categories as the portal last said)."""
    return list(session.scalars(select(ApprovedSupplier).where(ApprovedSupplier.status == "approved")
                                .order_by(ApprovedSupplier.name, ApprovedSupplier.supplier_id)))


@dataclass(frozen=True)
class LineInput:
    item_id: int
    quantity: Decimal
    unit: str | None
    unit_price: Decimal  # per base unit
    destination: str
    delivery_date: date
    plan_line_id: int | None = None


def _build_line(session: Session, principal: Principal, index: int, line: LineInput, today: date,
                own_point: int | None, points: dict[str, DemandPoint], checks: dict[int, PriceCheck | None]
                ) -> PurchaseOrderLine:
    prefix = f"lines.{index}"
    item = session.get(Item, line.item_id)
    if item is None or item.school_id != principal.school_id:
        raise InvalidInput(f"{prefix}.item_id", "no such item")
    if line.delivery_date < today:
        raise InvalidInput(f"{prefix}.delivery_date", "is in the past")
    point = points.get(line.destination)
    if point is None:
        raise InvalidInput(f"{prefix}.destination", "no demand point {destination!r} in this school",
                           destination=line.destination)
    if own_point is not None and point.id != own_point:
        raise Forbidden("You may order only for your own demand point")
    unit = line.unit or item.base_unit
    try:
        base = base_quantity(item, line.quantity, unit)
    except InvalidInput as exc:
        raise exc.within(prefix) from None
    check = checks[item.id]
    return PurchaseOrderLine(
        school_id=principal.school_id, item=item, quantity=line.quantity, unit=unit, base_quantity=base,
        unit_price=line.unit_price, amount=money(base * line.unit_price), demand_point=point,
        delivery_date=line.delivery_date, plan_line_id=line.plan_line_id,
        price_limit=check.limit if check else None,
        above_price_limit=bool(check and line.unit_price > check.limit),
        received_quantity=Decimal(0), rejected_quantity=Decimal(0))


def _check_plan_lines(session: Session, principal: Principal, lines: list[PurchaseOrderLine],
                      exclude_order_id: int | None = None) -> None:
    """A plan line is ordered at most once over: live orders never exceed its quantity."""
    wanted: dict[int, Decimal] = defaultdict(Decimal)
    for index, line in enumerate(lines):
        if line.plan_line_id is None:
            continue
        plan_line = session.get(PlanLine, line.plan_line_id)
        if plan_line is None or plan_line.school_id != principal.school_id:
            raise InvalidInput(f"lines.{index}.plan_line_id", "no such plan line")
        if plan_line.item_id != line.item.id:
            raise InvalidInput(f"lines.{index}.plan_line_id", "the plan line is for another item")
        wanted[plan_line.id] += line.base_quantity
    for plan_line_id, quantity in wanted.items():
        ordered = session.scalar(
            select(func.sum(PurchaseOrderLine.base_quantity))
            .join(PurchaseOrder).where(PurchaseOrderLine.plan_line_id == plan_line_id,
                                       PurchaseOrder.state.in_(LIVE_STATES),
                                       PurchaseOrder.id != (exclude_order_id or 0))) or Decimal(0)
        plan_line = session.get(PlanLine, plan_line_id)
        if ordered + quantity > plan_line.quantity:
            raise Conflict("Plan line {plan_line_id} would be ordered beyond its {quantity}",
                           plan_line_id=plan_line_id, quantity=plan_line.quantity)


def create_order(session: Session, principal: Principal, supplier_id: int, lines: list[LineInput], today: date,
                 note: str = "", plan_id: int | None = None) -> PurchaseOrder:
    order = _new_order(session, principal, supplier_id, lines, today, note, plan_id)
    session.add(order)
    session.flush()
    return order


def _new_order(session: Session, principal: Principal, supplier_id: int, lines: list[LineInput], today: date,
               note: str, plan_id: int | None) -> PurchaseOrder:
    """A checked draft order, numbered but not yet in the session (so reads before it is added do not
    write it early)."""
    if not lines:
        raise InvalidInput("lines", "an order needs at least one line")
    own_point = own_demand_point(session, principal)
    # what every line needs, read once for the order rather than once per line
    items = session.scalars(_ITEMS, {"school_id": principal.school_id,
                                     "item_ids": list({line.item_id for line in lines})}).all()
    points = {point.code: point for point in session.scalars(_POINTS, {
        "school_id": principal.school_id, "codes": list({line.destination for line in lines})})}
    checks = checks_for(session, items, today)
    built = [_build_line(session, principal, i, line, today, own_point, points, checks)
             for i, line in enumerate(lines)]
    supplier = _check_supplier(session, supplier_id, [line.item for line in built])
    _check_plan_lines(session, principal, built)
    order = PurchaseOrder(
        school_id=principal.school_id, number=next_number(session, principal.school_id, today.year),
        supplier_id=supplier_id, supplier_name=supplier.name, plan_id=plan_id, state="draft",
        total=sum((line.amount for line in built), Decimal("0.00")), approvals_required=0, revision=1, note=note,
        created_by=principal.user_id, created_at=utcnow(), version=1)
    for number, line in enumerate(built, start=1):
        line.line_no = number
    order.lines, order.approvals = built, []
    return order


def create_order_from_plan(session: Session, principal: Principal, plan_id: int, supplier_id: int,
                           prices: dict[int, Decimal], today: date, note: str = "") -> PurchaseOrder:
    """An order for the priced lines of a plan: one order line per demand point of each plan line."""
    plan = get_plan(session, principal, plan_id)
    by_id = {line.id: line for line in plan.lines}
    unknown = sorted(set(prices) - set(by_id))
    if unknown:
        raise InvalidInput("prices", "plan lines {unknown} are not in plan {plan}", unknown=unknown, plan=plan.id)
    lines = []
    for plan_line_id, unit_price in prices.items():
        plan_line = by_id[plan_line_id]
        for source_point, quantity in split_by_code(plan_line).items():
            lines.append(LineInput(plan_line.item_id, quantity, plan_line.item.base_unit, unit_price, source_point,
                                   max(plan_line.delivery_date, today), plan_line.id))
    return create_order(session, principal, supplier_id, lines, today, note, plan_id=plan.id)


def split_by_code(plan_line: PlanLine) -> dict[str, Decimal]:
    split: dict[str, Decimal] = defaultdict(Decimal)
    for source in plan_line.sources:
        split[source.demand_point.code] += source.quantity
    return dict(sorted(split.items()))


LOAD_ORDER = (selectinload(PurchaseOrder.lines).selectinload(PurchaseOrderLine.item),
              selectinload(PurchaseOrder.lines).selectinload(PurchaseOrderLine.demand_point),
              selectinload(PurchaseOrder.approvals))


# One order: its lines with their items and demand points in the order's own query (three reads fewer
# on every transition), its approvals after it. A page of orders keeps LOAD_ORDER: joined collections
# would multiply the rows a LIMIT counts.
LOAD_ONE_ORDER = (joinedload(PurchaseOrder.lines).joinedload(PurchaseOrderLine.item),
                  joinedload(PurchaseOrder.lines).joinedload(PurchaseOrderLine.demand_point),
                  selectinload(PurchaseOrder.approvals))


_ONE_ORDER = (select(PurchaseOrder)
              .where(PurchaseOrder.id == bindparam("order_id"), PurchaseOrder.school_id == bindparam("school_id"))
              .options(*LOAD_ONE_ORDER).execution_options(populate_existing=True))
# only the order's row: PostgreSQL refuses to lock the nullable side of the lines' outer join
_ONE_ORDER_FOR_UPDATE = _ONE_ORDER.with_for_update(of=PurchaseOrder)


def get_order(session: Session, principal: Principal, order_id: int, for_update: bool = False) -> PurchaseOrder:
    query = _ONE_ORDER_FOR_UPDATE if for_update else _ONE_ORDER
    order = session.scalars(query, {"order_id": order_id, "school_id": principal.school_id}).unique().first()
    if order is None:
        raise NotFound("No such purchase order")
    own = own_demand_point(session, principal)
    if own is not None and any(line.demand_point_id != own for line in order.lines):
        raise NotFound("No such purchase order")
    return order


def list_orders(session: Session, principal: Principal, *, state: str | None = None, supplier_id: int | None = None,
                page: int = 1, per_page: int = 50) -> Page:
    query = select(PurchaseOrder).where(PurchaseOrder.school_id == principal.school_id)
    own = own_demand_point(session, principal)
    if own is not None:
        query = query.where(~PurchaseOrder.lines.any(PurchaseOrderLine.demand_point_id != own))
    if state:
        query = query.where(PurchaseOrder.state == state)
    if supplier_id is not None:
        query = query.where(PurchaseOrder.supplier_id == supplier_id)
    return paginate(session, query.options(*LOAD_ORDER).order_by(PurchaseOrder.id.desc()), page, per_page)


def _checked(session, principal, order_id, expected_version) -> PurchaseOrder:
    order = get_order(session, principal, order_id, for_update=True)
    if expected_version is not None and expected_version != order.version:
        raise Conflict("The order was changed since you read it; read it again")
    return order


def submit_order(session: Session, principal: Principal, order_id: int, expected_version: int | None = None):
    order = _checked(session, principal, order_id, expected_version)
    required = _approvals_needed(session, order)  # read before the change, so it does not autoflush it
    workflow.apply(session, workflow.PURCHASE_ORDER, order, "submit", principal.user_id, flush=False)
    _ask_for_approval(session, order, required)
    session.flush()  # the submit and an approval at once, written together
    return order


def create_and_send_order(session: Session, principal: Principal, supplier_id: int, lines: list[LineInput],
                          today: date, note: str = "") -> PurchaseOrder:
    """A small direct purchase in one step: created, submitted, approved under the school's rules and
    sent, each move audited as if taken alone. Only a buyer may, and only an order no approver must see.
    The order is written once, already sent, with its audit rows."""
    if not principal.roles & set(BUYERS):
        raise Forbidden("Only a procurement officer sends orders; submit it instead")
    order = _new_order(session, principal, supplier_id, lines, today, note, None)
    required = _approvals_needed(session, order)
    if required:
        raise InvalidInput("send", "an order of ¥{total} with these prices needs {required} approver(s); "
                                   "submit it instead", total=order.total, required=required)
    workflow.apply(session, workflow.PURCHASE_ORDER, order, "submit", principal.user_id, flush=False)
    _ask_for_approval(session, order, required)
    _send(session, order, principal.user_id)
    return order


def _approvals_needed(session: Session, order: PurchaseOrder) -> int:
    required = approvals_required(order.total, approval_rules(session, order.school_id))
    if any(line.above_price_limit for line in order.lines) and not order.price_override_reason:
        # a price above the rule's limit needs an approver's written override, however small the order
        required = max(required, 1)
    return required


def _ask_for_approval(session: Session, order: PurchaseOrder, required: int) -> None:
    """Record the approvals the order needs; with none, approve it at once (the caller flushes)."""
    order.approvals_required = required
    if required == 0:
        workflow.apply(session, workflow.PURCHASE_ORDER, order, "approve", SYSTEM,
                       f"total ¥{order.total} needs no approver under the school's rules", flush=False)


def amend_order(session: Session, principal: Principal, order_id: int, changes: list[dict], reason: str | None,
                today: date, expected_version: int | None = None) -> PurchaseOrder:
    """Change quantities, prices or delivery dates of a sent order: a new revision, approved and sent again."""
    if not (reason or "").strip():
        raise InvalidInput("reason", "say why the order is amended")
    order = _checked(session, principal, order_id, expected_version)
    workflow.apply(session, workflow.PURCHASE_ORDER, order, "amend", principal.user_id, reason)
    by_id = {line.id: line for line in order.lines}
    for index, change in enumerate(changes):
        line = by_id.get(change["line_id"])
        if line is None:
            raise InvalidInput(f"lines.{index}.line_id", "not a line of {order}", order=order.number)
        if change.get("quantity") is not None:
            line.quantity = change["quantity"]
            line.base_quantity = base_quantity(line.item, change["quantity"], line.unit, f"lines.{index}.quantity")
        if change.get("unit_price") is not None:
            line.unit_price = change["unit_price"]
            check = check_for(session, line.item, today)
            line.price_limit = check.limit if check else None
            line.above_price_limit = bool(check and line.unit_price > check.limit)
        if change.get("delivery_date") is not None:
            if change["delivery_date"] < today:
                raise InvalidInput(f"lines.{index}.delivery_date", "is in the past")
            line.delivery_date = change["delivery_date"]
        line.amount = money(line.base_quantity * line.unit_price)
    _check_plan_lines(session, principal, order.lines, exclude_order_id=order.id)
    order.total = sum((line.amount for line in order.lines), Decimal("0.00"))
    order.revision += 1
    # the approvals and any price override were for the previous revision
    order.approvals.clear()
    order.price_override_reason = None
    session.flush()
    _ask_for_approval(session, order, _approvals_needed(session, order))
    session.flush()
    return order


def approve_order(session: Session, principal: Principal, order_id: int, reason: str | None = None,
                  expected_version: int | None = None) -> PurchaseOrder:
    """One approver's approval; the order is approved once enough distinct approvers agree.

    Prices above the price rule's limit need the approver's written override reason.
    """
    order = _checked(session, principal, order_id, expected_version)
    if not workflow.PURCHASE_ORDER.can(order, "approve"):
        workflow.PURCHASE_ORDER.apply(session, order, "approve", principal.user_id)  # raises the 409
    if order.created_by == principal.user_id:
        raise Conflict("Whoever raised an order does not approve it")
    if any(approval.approver == principal.user_id for approval in order.approvals):
        raise Conflict("You approved this order already; another approver must approve it")
    above = [line for line in order.lines if line.above_price_limit]
    # an approver's override given at the award (or by a first approver) covers the order's prices
    if above and not (reason or "").strip() and not order.price_override_reason:
        raise InvalidInput("reason", "lines {lines} are above the price limit: give the reason for overriding it",
                           lines=", ".join(str(line.line_no) for line in above))
    if above and (reason or "").strip():
        order.price_override_reason = "\n".join(filter(None, [order.price_override_reason, reason.strip()]))
    order.approvals.append(PurchaseOrderApproval(approver=principal.user_id, at=utcnow()))
    session.flush()
    if len(order.approvals) >= order.approvals_required:
        workflow.apply(session, workflow.PURCHASE_ORDER, order, "approve", principal.user_id, reason)
    else:
        workflow.audit(session, workflow.PURCHASE_ORDER, order, "approve", principal.user_id,
                       reason or f"approval {len(order.approvals)} of {order.approvals_required}")
        order.version += 1
    return order


def transition(session: Session, principal: Principal, order_id: int, action: str, reason: str | None = None,
               expected_version: int | None = None) -> PurchaseOrder:
    """reject, cancel, send or close; reject, cancel and close say why."""
    said = {"reject": "rejected", "cancel": "cancelled", "close": "closed"}
    if action in said and not (reason or "").strip():
        raise InvalidInput("reason", "say why the order is {said}", said=said[action])
    order = _checked(session, principal, order_id, expected_version)
    if action == "close":
        return close_order(session, order, principal.user_id, reason)
    if action == "send":
        return _send(session, order, principal.user_id)
    workflow.apply(session, workflow.PURCHASE_ORDER, order, action, principal.user_id, reason)
    if order.state == "cancelled" and order.sent_at is not None:
        # the supplier holds a revision of this order (an amendment may be what was rejected)
        emit(session, "po.cancelled", {"po_id": order.id, "school_id": order.school_id, "revision": order.revision,
                                       "supplier_id": order.supplier_id, "reason": reason, "cancelled_at": utcnow()})
    return order


def _send(session: Session, order: PurchaseOrder, actor: str) -> PurchaseOrder:
    # set before the transition's flush, so the order is written once (a refused send rolls back)
    order.sent_at = utcnow()
    workflow.apply(session, workflow.PURCHASE_ORDER, order, "send", actor)
    emit(session, "po.sent", sent_payload(order))
    return order


def close_order(session: Session, order: PurchaseOrder, actor: str, reason: str) -> PurchaseOrder:
    """Close a (partly) received order: the supplier delivers and invoices nothing more against it, and
    inventory expects nothing more (po.closed)."""
    workflow.apply(session, workflow.PURCHASE_ORDER, order, "close", actor, reason)
    emit(session, "po.closed", {"po_id": order.id, "school_id": order.school_id, "revision": order.revision,
                                "supplier_id": order.supplier_id, "reason": reason, "closed_at": utcnow()})
    return order


def sent_payload(order: PurchaseOrder) -> dict:
    return {
        "po_id": order.id, "school_id": order.school_id, "number": order.number, "revision": order.revision,
        "supplier_id": order.supplier_id, "total": order.total, "sent_at": order.sent_at,
        "lines": [{"po_line_id": line.id, "item_id": line.item.id, "item_code": line.item.code,
                   "item_name": line.item.name_zh, "specification": line.item.specification,
                   "category": line.item.category, "unit": line.item.base_unit, "quantity": line.base_quantity,
                   "unit_price": line.unit_price, "delivery_date": line.delivery_date,
                   "destination": line.demand_point.code} for line in order.lines],
    }


# --- what the supplier and inventory tell us (tasks.py) --------------------------------------------

def _order_for_event(session: Session, po_id: int, supplier_id: int) -> PurchaseOrder | None:
    order = session.scalar(select(PurchaseOrder).where(PurchaseOrder.id == po_id).options(*LOAD_ORDER)
                           .with_for_update())
    if order is None or order.supplier_id != supplier_id:
        return None
    return order


def supplier_answered(session: Session, po_id: int, supplier_id: int, revision: int, action: str,
                      reason: str | None = None) -> PurchaseOrder | None:
    """po.acknowledged / po.declined: ignored for another supplier or an older revision."""
    order = _order_for_event(session, po_id, supplier_id)
    if order is None or revision != order.revision:
        return None
    workflow.apply(session, workflow.PURCHASE_ORDER, order, action, f"supplier:{supplier_id}", reason)
    return order


def goods_received(session: Session, po_id: int, supplier_id: int, lines: list[dict], received_at: datetime,
                   receipt_id: int) -> PurchaseOrder | None:
    """goods.received: add accepted and rejected quantities per line, then partially_received or received."""
    order = _order_for_event(session, po_id, supplier_id)
    if order is None:
        return None
    if session.scalar(select(GoodsReceipt.id).where(GoodsReceipt.receipt_id == receipt_id)) is not None:
        return order  # applied before, under another event id
    by_id = {line.id: line for line in order.lines}
    unknown = [line["po_line_id"] for line in lines if line["po_line_id"] not in by_id]
    if unknown:
        raise Conflict("receipt {receipt_id} names lines {unknown} that are not on {order}",
                       receipt_id=receipt_id, unknown=unknown, order=order.number)
    for received in lines:
        line = by_id[received["po_line_id"]]
        line.received_quantity += received["accepted_quantity"]
        line.rejected_quantity += received["rejected_quantity"]
    session.add(GoodsReceipt(school_id=order.school_id, receipt_id=receipt_id, order_id=order.id,
                             received_at=received_at))
    complete = all(line.received_quantity >= line.base_quantity for line in order.lines)
    workflow.apply(session, workflow.PURCHASE_ORDER, order, "receive_all" if complete else "receive_part",
                   f"inventory receipt {receipt_id}")
    return order


def delivery_dispatched(session: Session, payload: dict) -> DeliveryNotice | None:
    """delivery.dispatched: keep the delivery note with the order (索证索票) and what is on its way."""
    order = _order_for_event(session, payload["po_id"], payload["supplier_id"])
    if order is None or order.school_id != payload["school_id"]:
        return None
    if session.scalar(select(DeliveryNotice.id).where(
            DeliveryNotice.portal_delivery_note_id == payload["delivery_note_id"])) is not None:
        return None
    known = {line.id for line in order.lines}
    unknown = sorted({line["po_line_id"] for line in payload["lines"]} - known)
    if unknown:
        raise Conflict("delivery note {note} names lines {unknown} that are not on {order}",
                       note=payload["number"], unknown=unknown, order=order.number)
    notice = DeliveryNotice(
        school_id=order.school_id, portal_delivery_note_id=payload["delivery_note_id"], order_id=order.id,
        number=payload["number"], planned_at=payload["planned_at"], received_at=utcnow(),
        lines=[{"po_line_id": line["po_line_id"], "quantity": str(line["quantity"]), "lot_number": line["lot_number"],
                "production_date": line["production_date"].isoformat(),
                "certificate_ref": line.get("certificate_ref", "")} for line in payload["lines"]])
    session.add(notice)
    session.flush()
    return notice


def deliveries_of(session: Session, principal: Principal, order_id: int) -> list[DeliveryNotice]:
    order = get_order(session, principal, order_id)
    return list(session.scalars(select(DeliveryNotice).where(DeliveryNotice.order_id == order.id)
                                .order_by(DeliveryNotice.planned_at, DeliveryNotice.id)))
