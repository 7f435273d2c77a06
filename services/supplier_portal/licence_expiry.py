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
