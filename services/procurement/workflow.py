"""State machines of procurement's documents (shared.statemachine): one table of allowed
transitions each; applying one writes the audit row (who, when, why) and refuses with 409."""
from __future__ import annotations

from sqlalchemy import insert, update
from sqlalchemy.orm import Session

from shared.db import utcnow
from shared.statemachine import StateMachine

from .models import Audit

REQUISITION = StateMachine("requisition", {
    "submit": {"draft": "submitted"},
    "approve": {"submitted": "approved"},
    "reject": {"submitted": "rejected"},
    "consolidate": {"approved": "consolidated"},
}, Audit, state_attribute="state")

PURCHASE_ORDER = StateMachine("purchase_order", {
    "submit": {"draft": "pending_approval"},
    "approve": {"pending_approval": "approved"},
    "reject": {"pending_approval": "cancelled"},
    # cancelling a sent order tells the supplier and inventory (po.cancelled); once goods arrive it is closed instead
    "cancel": {"draft": "cancelled", "pending_approval": "cancelled", "approved": "cancelled", "sent": "cancelled",
               "acknowledged": "cancelled"},
    "send": {"approved": "sent"},
    # an amendment after sending is a new revision: approved again, sent again, acknowledged again
    "amend": {"sent": "pending_approval", "acknowledged": "pending_approval"},
    "acknowledge": {"sent": "acknowledged"},
    "decline": {"sent": "declined"},
    # goods may arrive before the supplier's acknowledgement has reached us
    "receive_part": {"sent": "partially_received", "acknowledged": "partially_received",
                     "partially_received": "partially_received"},
    "receive_all": {"sent": "received", "acknowledged": "received", "partially_received": "received"},
    "close": {"received": "closed", "partially_received": "closed"},
}, Audit, state_attribute="state")


def apply(session: Session, machine: StateMachine, document, action: str, actor: str,
          reason: str | None = None, flush: bool = True) -> str:
    """Apply a transition, bump the document's version (its ETag) and flush (unless the caller
    writes several transitions in one flush)."""
    machine.apply(session, document, action, actor, reason)
    document.version = (document.version or 0) + 1
    if flush:
        session.flush()
    return getattr(document, machine.state_attribute)


def apply_where(session: Session, machine: StateMachine, model, criterion, action: str, actor: str,
                reason: str | None = None) -> None:
    """`apply` to every document that matches `criterion` and whose state allows the action, without
    loading them: one UPDATE ... RETURNING per allowed state and one insert of the audit rows (a
    consolidation closes hundreds of requisitions at once)."""
    state = getattr(model, machine.state_attribute)
    at, audits = utcnow(), []
    for from_state, to_state in machine.transitions[action].items():
        ids = session.scalars(update(model).where(criterion, state == from_state)
                              .values({state: to_state, model.version: model.version + 1})
                              .returning(model.id))
        audits += [{"document_type": machine.document_type, "document_id": document_id, "action": action,
                    "from_state": from_state, "to_state": to_state, "actor": actor, "reason": reason, "at": at}
                   for document_id in ids]
    if audits:
        session.execute(insert(machine.audit_model.__table__), audits)


def audit(session: Session, machine: StateMachine, document, action: str, actor: str,
          reason: str | None = None) -> None:
    """Record an action that does not move the state (one approval of several, for instance)."""
    machine.record(session, document, action, actor, reason)
    session.flush()


def history(session: Session, machine: StateMachine, document_id: int) -> list[Audit]:
    from sqlalchemy import select
    return list(session.scalars(select(Audit).where(Audit.document_type == machine.document_type,
                                                    Audit.document_id == document_id).order_by(Audit.id)))
