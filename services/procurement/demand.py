"""Demand: the school's demand points and the requisitions they raise."""
from __future__ import annotations

from datetime import date
from decimal import Decimal

from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from shared.auth import SERVICE_ROLE, Principal
from shared.errors import Conflict, Forbidden, InvalidInput, NotFound
from shared.pagination import Page, paginate

from . import workflow
from .catalogue import base_quantity
from .models import DemandPoint, Item, Requisition, RequisitionLine, StaffUser

# The same codes as inventory's locations, so that a demand point and its stock are one place.
STANDARD_DEMAND_POINTS = [
    ("DH1", "第一食堂", "dining_hall"),
    ("DH2", "第二食堂", "dining_hall"),
    ("DH3", "第三食堂", "dining_hall"),
    ("CSR", "中心库房", "central_store_room"),
    ("STORE", "校园超市", "campus_store"),
]
# Roles that act for the whole school; a canteen or store manager acts for their own point only.
SCHOOL_WIDE = frozenset({"procurement_officer", "admin", "approver", "finance", "supervisor", "storekeeper"})
RAISERS = ("canteen_manager", "store_manager", "procurement_officer", "admin")
DECIDERS = ("approver", "procurement_officer")
SYSTEM = "system"
# everything a requisition's answer shows, loaded up front: the session is closed when it is dumped
LOAD_REQUISITION = (selectinload(Requisition.lines).selectinload(RequisitionLine.item),
                    selectinload(Requisition.demand_point))


def ensure_demand_points(session: Session, school_id: int) -> list[DemandPoint]:
    """Give a school its three dining halls, central store room and campus store (idempotent)."""
    existing = {p.code: p for p in session.scalars(select(DemandPoint).where(DemandPoint.school_id == school_id))}
    for code, name, kind in STANDARD_DEMAND_POINTS:
        if code not in existing:
            existing[code] = DemandPoint(school_id=school_id, code=code, name=name, kind=kind)
            session.add(existing[code])
    session.flush()
    return [existing[code] for code, _, _ in STANDARD_DEMAND_POINTS]


def list_demand_points(session: Session, principal: Principal) -> list[DemandPoint]:
    return list(session.scalars(select(DemandPoint).where(DemandPoint.school_id == principal.school_id)
                                .order_by(DemandPoint.id)))


def demand_point_by_code(session: Session, school_id: int, code: str, field: str = "demand_point") -> DemandPoint:
    point = session.scalar(select(DemandPoint).where(DemandPoint.school_id == school_id, DemandPoint.code == code))
    if point is None:
        raise InvalidInput(field, "no demand point {code!r} in this school", code=code)
    return point


def own_demand_point(session: Session, principal: Principal) -> int | None:
    """The one demand point a manager acts for; None for a role that acts for the whole school."""
    if principal.roles & SCHOOL_WIDE or principal.roles == {SERVICE_ROLE} or principal.user_id == SYSTEM:
        return None
    user = session.get(StaffUser, int(principal.user_id)) if principal.user_id.isdigit() else None
    if user is None or user.demand_point_id is None:
        raise Forbidden("Your account is not assigned to a demand point; ask an administrator")
    return user.demand_point_id


def _may_act_for(session: Session, principal: Principal, requisition: Requisition) -> None:
    own = own_demand_point(session, principal)
    if own is not None and own != requisition.demand_point_id:
        raise NotFound("No such requisition")


def get_requisition(session: Session, principal: Principal, requisition_id: int,
                    for_update: bool = False) -> Requisition:
    query = select(Requisition).where(Requisition.id == requisition_id,
                                      Requisition.school_id == principal.school_id)
    if for_update:
        query = query.with_for_update()
    requisition = session.scalar(query.options(*LOAD_REQUISITION))
    if requisition is None:
        raise NotFound("No such requisition")
    _may_act_for(session, principal, requisition)
    return requisition


def list_requisitions(session: Session, principal: Principal, *, state: str | None = None,
                      demand_point: str | None = None, page: int = 1, per_page: int = 50) -> Page:
    query = select(Requisition).where(Requisition.school_id == principal.school_id)
    own = own_demand_point(session, principal)
    if own is not None:
        query = query.where(Requisition.demand_point_id == own)
    if state:
        query = query.where(Requisition.state == state)
    if demand_point:
        query = query.join(DemandPoint).where(DemandPoint.code == demand_point)
    return paginate(session, query.options(*LOAD_REQUISITION).order_by(Requisition.id.desc()), page, per_page)


def build_line(session: Session, school_id: int, index: int, line: dict, today: date | None) -> RequisitionLine:
    item = session.get(Item, line["item_id"])
    if item is None or item.school_id != school_id:
        raise InvalidInput(f"lines.{index}.item_id", "no such item")
    if not item.active:
        raise InvalidInput(f"lines.{index}.item_id", "the item is no longer bought")
    if today is not None and line["needed_by"] < today:
        raise InvalidInput(f"lines.{index}.needed_by", "is in the past")
    unit = line.get("unit") or item.base_unit
    try:
        quantity = base_quantity(item, line["quantity"], unit)
    except InvalidInput as exc:
        raise exc.within(f"lines.{index}") from None
    return RequisitionLine(school_id=school_id, item=item, entered_quantity=Decimal(line["quantity"]),
                           entered_unit=unit, quantity=quantity, needed_by=line["needed_by"])


def create_requisition(session: Session, principal: Principal, demand_point: str, lines: list[dict],
                       today: date | None, note: str = "", source: str = "manual") -> Requisition:
    """A draft requisition; quantities are kept as entered and in the item's base unit."""
    point = demand_point_by_code(session, principal.school_id, demand_point)
    own = own_demand_point(session, principal)
    if own is not None and own != point.id:
        raise Forbidden("You may raise requisitions only for your own demand point")
    if not lines:
        raise InvalidInput("lines", "a requisition needs at least one line")
    requisition = Requisition(school_id=principal.school_id, demand_point=point, state="draft", source=source,
                              note=note, created_by=principal.user_id, version=1)
    requisition.lines = [build_line(session, principal.school_id, i, line, today) for i, line in enumerate(lines)]
    session.add(requisition)
    session.flush()
    return requisition


def revise_requisition(session: Session, principal: Principal, requisition_id: int, changes: dict[int, dict],
                       today: date) -> Requisition:
    """The manager's edit of a draft: per line id {quantity, needed_by}; a quantity of 0 drops the line."""
    requisition = get_requisition(session, principal, requisition_id, for_update=True)
    if requisition.state != "draft":
        raise Conflict("A {state} requisition is no longer edited", state=requisition.state)
    by_id = {line.id: line for line in requisition.lines}
    unknown = sorted(set(changes) - set(by_id))
    if unknown:
        raise InvalidInput("lines", "lines {unknown} are not on requisition {requisition}",
                           unknown=unknown, requisition=requisition.id)
    for index, line in enumerate(list(requisition.lines)):
        change = changes.get(line.id)
        if change is None:
            continue
        if change["quantity"] == 0:
            requisition.lines.remove(line)
            continue
        # built afresh for its checks and base quantity; the transient copy never joins the session
        rebuilt = build_line(session, principal.school_id, index, {
            "item_id": line.item_id, "quantity": change["quantity"], "unit": line.entered_unit,
            "needed_by": change["needed_by"]}, today)
        line.entered_quantity, line.quantity, line.needed_by = (rebuilt.entered_quantity, rebuilt.quantity,
                                                                rebuilt.needed_by)
    if not requisition.lines:
        raise InvalidInput("lines", "a requisition needs at least one line")
    workflow.audit(session, workflow.REQUISITION, requisition, "revise", principal.user_id)
    requisition.version += 1
    session.flush()
    return requisition


def submit_requisition(session: Session, principal: Principal, requisition_id: int) -> Requisition:
    requisition = get_requisition(session, principal, requisition_id, for_update=True)
    workflow.apply(session, workflow.REQUISITION, requisition, "submit", principal.user_id)
    return requisition


def decide_requisition(session: Session, principal: Principal, requisition_id: int, action: str,
                       reason: str | None = None) -> Requisition:
    """Approve or reject a submitted requisition; a rejection says why."""
    if action not in ("approve", "reject"):
        raise InvalidInput("action", "must be approve or reject")
    if action == "reject" and not (reason or "").strip():
        raise InvalidInput("reason", "say why the requisition is rejected")
    requisition = get_requisition(session, principal, requisition_id, for_update=True)
    if requisition.state == "submitted" and requisition.created_by == principal.user_id:
        raise Conflict("A requisition is decided by someone other than who raised it")
    workflow.apply(session, workflow.REQUISITION, requisition, action, principal.user_id, reason)
    requisition.decided_by, requisition.decision_reason = principal.user_id, reason
    return requisition
