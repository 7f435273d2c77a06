"""The daily look at licences: a warning 30 days before a required licence runs out, suspension after."""
from __future__ import annotations

from datetime import date, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from .approval import required_licences, suspend_for_expired_licence
from .models import QualificationDocument, Supplier
from .notifications import notify

WARN_DAYS = 30


def check_licences(session: Session, today: date) -> dict[str, list[int]]:
    """Warn of licences about to lapse and suspend suppliers whose licence has lapsed."""
    warned, suspended = [], []
    horizon = today + timedelta(days=WARN_DAYS)
    suppliers = session.scalars(select(Supplier).where(Supplier.status.in_(("approved", "pending")))
                                .order_by(Supplier.id))
    for supplier in suppliers:
        if suspend_for_expired_licence(session, supplier, today):
            suspended.append(supplier.id)
            continue
        for kinds in required_licences(supplier):
            # The licence that keeps the supplier covered longest is the one that matters.
            latest = session.scalar(
                select(QualificationDocument).where(QualificationDocument.supplier_id == supplier.id,
                                                    QualificationDocument.kind.in_(kinds),
                                                    QualificationDocument.status == "approved",
                                                    QualificationDocument.expires_on >= today)
                .order_by(QualificationDocument.expires_on.desc(), QualificationDocument.id.desc()).limit(1))
            if latest is not None and latest.expires_on <= horizon:
                days = (latest.expires_on - today).days
                if notify(session, supplier.id, "licence_expiring", f"licence_expiring:{latest.id}",
                          number=latest.number, expires_on=latest.expires_on, days=days):
                    warned.append(latest.id)
    return {"warned_documents": warned, "suspended_suppliers": suspended}


# DESIGN.md §5: bulk commodities (rice, flour, cooking oil, coal) come from fixed suppliers the school discloses.
BULK_SUPPLIER_CATEGORIES = ("bulk_grain_oil", "coal")
LICENCE_STATES = ("expired", "expiring", "valid")  # worst first


def licence_state(expires_on: date | None, today: date) -> str:
    if expires_on is None or expires_on < today:
        return "expired"
    return "expiring" if expires_on <= today + timedelta(days=WARN_DAYS) else "valid"


def bulk_supplier_licences(session: Session, today: date) -> list[dict]:
    """Approved suppliers of bulk commodities with each required licence's state, for the public disclosure.

    Only what may be published: name, categories, licence kinds and expiry dates; never contacts.
    A supplier's state is its worst required licence's (the longest-lasting approved document of each).
    """
    suppliers = [supplier for supplier in session.scalars(
        select(Supplier).where(Supplier.status == "approved").order_by(Supplier.name, Supplier.id))
        if set(supplier.categories or ()) & set(BULK_SUPPLIER_CATEGORIES)]
    latest: dict[tuple[int, str], date] = {}
    for supplier_id, kind, expires_on in session.execute(
            select(QualificationDocument.supplier_id, QualificationDocument.kind, QualificationDocument.expires_on)
            .where(QualificationDocument.supplier_id.in_([supplier.id for supplier in suppliers]),
                   QualificationDocument.status == "approved")):
        latest[supplier_id, kind] = max(expires_on, latest.get((supplier_id, kind), expires_on))
    answer = []
    for supplier in suppliers:
        licences, states = [], []
        for kinds in required_licences(supplier):
            held = [(latest[supplier.id, kind], kind) for kind in kinds if (supplier.id, kind) in latest]
            expires_on, kind = max(held) if held else (None, kinds[0])
            state = licence_state(expires_on, today)
            states.append(state)
            licences.append({"kind": kind, "expires_on": expires_on, "state": state})
        answer.append({"supplier_id": supplier.id, "name": supplier.name,
                       "categories": sorted(set(supplier.categories) & set(BULK_SUPPLIER_CATEGORIES)),
                       "licence_state": min(states, key=LICENCE_STATES.index), "licences": licences})
    return answer
