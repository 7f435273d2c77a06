"""Six unifications (六统一) for campus-store chain suppliers, and the unified price list they publish.

The checklist varies by locality (DESIGN.md §5): the default below can be replaced per deployment
with PORTAL_SIX_UNIFICATIONS, a JSON list of [code, name] pairs. Each item is declared by the
supplier with evidence (a document or photo) and assessed by school staff on a date; a supplier
is compliant when the latest declaration of every item was accepted. Only a compliant supplier
publishes unified prices (unified_prices.published), which the campus store sells at.
"""
from __future__ import annotations

import hashlib
import json
import os
from datetime import date, datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from shared.auth import Principal
from shared.errors import Conflict, InvalidInput, NotFound
from shared.events import emit
from shared.pagination import Page, paginate
from shared.statemachine import StateMachine
from shared.uploads import FileStore

from .documents import check_upload
from .isolation import get_visible, visible
from .models import Audit, ComplianceDeclaration, Supplier, UnifiedPriceLine, UnifiedPriceList

DEFAULT_CHECKLIST = (
    ("name_and_signage", "统一店名标识 unified name and signage"),
    ("purchasing", "统一采购进货 unified purchasing"),
    ("distribution", "统一配送 unified distribution"),
    ("pricing", "统一价格 unified pricing"),
    ("service_standards", "统一服务规范 unified service standards"),
    ("management", "统一管理 unified management"),
)
CHECKLIST_SETTING = "PORTAL_SIX_UNIFICATIONS"
STORE_CATEGORY = "store_goods"
ASSESSMENT = StateMachine("six-unifications declaration", {
    "accept": {"declared": "accepted"},
    "reject": {"declared": "rejected"},
}, Audit)


def checklist() -> list[tuple[str, str]]:
    """The deployment's checklist: [code, name] pairs from the setting, or the default of DESIGN.md §5."""
    configured = os.environ.get(CHECKLIST_SETTING)
    if not configured:
        return list(DEFAULT_CHECKLIST)
    items = json.loads(configured)
    if not items or not all(isinstance(i, list) and len(i) == 2 and all(isinstance(v, str) and v for v in i)
                            for i in items):
        raise ValueError(f"{CHECKLIST_SETTING} must be a JSON list of [code, name] pairs")
    return [tuple(item) for item in items]


def _store_supplier(session: Session, principal: Principal, supplier_id: int) -> Supplier:
    supplier = get_visible(session, Supplier, supplier_id, principal)
    if STORE_CATEGORY not in (supplier.categories or ()):
        raise Conflict("The six unifications apply to campus-store (store_goods) suppliers only")
    return supplier


def declare(session: Session, store: FileStore, principal: Principal, item_code: str, statement: str,
            filename: str, data: bytes) -> ComplianceDeclaration:
    """The supplier declares how it meets one item, with a file as evidence, for school staff to assess."""
    codes = dict(checklist())
    if item_code not in codes:
        raise InvalidInput("item", "must be one of {choices}", choices=", ".join(codes))
    if not statement.strip():
        raise InvalidInput("statement", "say how the item is met")
    _store_supplier(session, principal, principal.supplier_id)
    extension, content_type = check_upload(filename, data)
    declaration = ComplianceDeclaration(
        supplier_id=principal.supplier_id, item_code=item_code, statement=statement, status="declared",
        storage_key=store.put(principal.supplier_id, extension, data), content_type=content_type,
        size_bytes=len(data), sha256=hashlib.sha256(data).hexdigest(), original_filename=filename,
        declared_by=principal.user_id)
    session.add(declaration)
    session.flush()
    return declaration


def assess(session: Session, principal: Principal, declaration_id: int, accepted: bool, assessed_on: date,
           note: str | None, today: date) -> ComplianceDeclaration:
    declaration = get_visible(session, ComplianceDeclaration, declaration_id, principal, for_update=True)
    if assessed_on > today:
        raise InvalidInput("assessed_on", "must not be in the future")
    if not accepted and not (note or "").strip():
        raise InvalidInput("note", "say why the item is not met")
    ASSESSMENT.apply(session, declaration, "accept" if accepted else "reject", principal, note)
    declaration.assessed_by, declaration.assessed_on, declaration.assessment_note = (
        principal.user_id, assessed_on, note)
    session.flush()
    return declaration


def evidence(session: Session, store: FileStore, principal: Principal,
             declaration_id: int) -> tuple[ComplianceDeclaration, bytes]:
    declaration = get_visible(session, ComplianceDeclaration, declaration_id, principal)
    try:
        return declaration, store.get(declaration.storage_key)
    except FileNotFoundError:
        raise NotFound("This evidence file is missing from the document store") from None


def compliance(session: Session, principal: Principal, supplier_id: int) -> dict:
    """Per checklist item the latest declaration, and the overall status: compliant, pending or non_compliant."""
    supplier = _store_supplier(session, principal, supplier_id)
    declarations = session.scalars(visible(select(ComplianceDeclaration), ComplianceDeclaration, principal).where(
        ComplianceDeclaration.supplier_id == supplier.id).order_by(ComplianceDeclaration.id))
    latest = {declaration.item_code: declaration for declaration in declarations}
    items = [{"code": code, "name": name, "declaration": latest.get(code),
              "status": latest[code].status if code in latest else "not_declared"} for code, name in checklist()]
    statuses = {item["status"] for item in items}
    overall = ("compliant" if statuses == {"accepted"} else "non_compliant" if "rejected" in statuses
               else "pending")
    return {"supplier_id": supplier.id, "status": overall, "items": items}


def publish_prices(session: Session, principal: Principal, effective_from: date, prices: list[dict], today: date,
                   now: datetime) -> UnifiedPriceList:
    """A compliant campus-store supplier publishes the prices the campus store sells at."""
    state = compliance(session, principal, principal.supplier_id)
    if state["status"] != "compliant":
        unmet = [item["code"] for item in state["items"] if item["status"] != "accepted"]
        raise Conflict("Unified prices need every six-unifications item accepted; not yet: {unmet}",
                       unmet=", ".join(unmet))
    if effective_from < today:
        raise InvalidInput("effective_from", "must not be in the past")
    seen = set()
    for index, price in enumerate(prices):
        if price["item_id"] in seen:
            raise InvalidInput(f"prices.{index}", "this item is priced twice")
        seen.add(price["item_id"])
    price_list = UnifiedPriceList(
        supplier_id=principal.supplier_id, effective_from=effective_from, published_at=now,
        published_by=principal.user_id,
        lines=[UnifiedPriceLine(item_id=p["item_id"], item_code=p["item_code"], unit_price=p["unit_price"])
               for p in prices])
    session.add(price_list)
    session.flush()
    emit(session, "unified_prices.published", {
        "supplier_id": principal.supplier_id, "effective_from": effective_from,
        "prices": [{"item_id": line.item_id, "item_code": line.item_code, "unit_price": line.unit_price}
                   for line in price_list.lines]})
    return price_list


def list_price_lists(session: Session, principal: Principal, page: int, per_page: int,
                     supplier_id: int | None = None) -> Page:
    query = visible(select(UnifiedPriceList), UnifiedPriceList, principal)
    if supplier_id is not None:
        query = query.where(UnifiedPriceList.supplier_id == supplier_id)
    return paginate(session, query.order_by(UnifiedPriceList.id.desc()), page, per_page)


def get_price_list(session: Session, principal: Principal, price_list_id: int) -> UnifiedPriceList:
    return get_visible(session, UnifiedPriceList, price_list_id, principal)
