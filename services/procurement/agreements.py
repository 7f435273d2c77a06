"""Fixed-supplier (定点) agreements: a contract price per item and supplier for a period.

An order placed under an agreement takes the contract price, with no RFQ, only while the agreement
is in force (today and every delivery date within it) and only while the supplier is approved.
"""
from __future__ import annotations

from datetime import date
from decimal import Decimal

from sqlalchemy import select
from sqlalchemy.orm import Session

from shared.auth import Principal
from shared.errors import Conflict, InvalidInput, NotFound

from .catalogue import get_item
from .models import PurchaseOrder, SupplyAgreement
from .orders import LineInput, _check_supplier, create_order


def create_agreement(session: Session, principal: Principal, supplier_id: int, item_id: int, unit_price: Decimal,
                     valid_from: date, valid_to: date, reference: str = "") -> SupplyAgreement:
    if valid_to < valid_from:
        raise InvalidInput("valid_to", "is before valid_from")
    try:
        item = get_item(session, principal, item_id)
    except NotFound:
        raise InvalidInput("item_id", "no such item") from None
    _check_supplier(session, supplier_id, [item])
    # two prices in force for the same item and supplier on one day would make the price ambiguous
    overlapping = session.scalar(select(SupplyAgreement.id).where(
        SupplyAgreement.school_id == principal.school_id, SupplyAgreement.supplier_id == supplier_id,
        SupplyAgreement.item_id == item.id, SupplyAgreement.valid_from <= valid_to,
        SupplyAgreement.valid_to >= valid_from))
    if overlapping is not None:
        raise Conflict("Agreement {agreement} already prices this item from this supplier in that period",
                       agreement=overlapping)
    agreement = SupplyAgreement(school_id=principal.school_id, supplier_id=supplier_id, item=item,
                                unit_price=unit_price, valid_from=valid_from, valid_to=valid_to, reference=reference,
                                created_by=principal.user_id)
    session.add(agreement)
    session.flush()
    return agreement


def get_agreement(session: Session, principal: Principal, agreement_id: int) -> SupplyAgreement:
    agreement = session.get(SupplyAgreement, agreement_id)
    if agreement is None or agreement.school_id != principal.school_id:
        raise NotFound("No such agreement")
    return agreement


def list_agreements(session: Session, principal: Principal, item_id: int | None = None,
                    supplier_id: int | None = None, in_force_on: date | None = None) -> list[SupplyAgreement]:
    query = select(SupplyAgreement).where(SupplyAgreement.school_id == principal.school_id)
    if item_id is not None:
        query = query.where(SupplyAgreement.item_id == item_id)
    if supplier_id is not None:
        query = query.where(SupplyAgreement.supplier_id == supplier_id)
    if in_force_on is not None:
        query = query.where(SupplyAgreement.valid_from <= in_force_on, SupplyAgreement.valid_to >= in_force_on)
    return list(session.scalars(query.order_by(SupplyAgreement.valid_from.desc(), SupplyAgreement.id)))


def order_from_agreement(session: Session, principal: Principal, agreement_id: int, lines: list[dict], today: date,
                         note: str = "") -> PurchaseOrder:
    """A draft order at the contract price; it then goes through approval like any other order."""
    agreement = get_agreement(session, principal, agreement_id)
    if not agreement.valid_from <= today <= agreement.valid_to:
        raise Conflict("The agreement is in force from {valid_from} to {valid_to}, not today",
                       valid_from=agreement.valid_from, valid_to=agreement.valid_to)
    for index, line in enumerate(lines):
        if line["delivery_date"] > agreement.valid_to:
            raise InvalidInput(f"lines.{index}.delivery_date", "is after the agreement ends ({valid_to})",
                               valid_to=agreement.valid_to)
    order = create_order(session, principal, agreement.supplier_id,
                         [LineInput(agreement.item_id, line["quantity"], line.get("unit"), agreement.unit_price,
                                    line["destination"], line["delivery_date"]) for line in lines],
                         today, note or f"定点采购 {agreement.reference}".strip())
    order.agreement_id = agreement.id
    session.flush()
    return order
