"""State machines of procurement's documents: one table of allowed transitions each, and one
function that applies a transition and writes the audit entry (who, when, why).

Written here until shared/statemachine.py lands on main; the tables stay the same.
"""
from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy.orm import Session

from shared.errors import Conflict

from .models import AuditEntry


@dataclass(frozen=True)
class StateMachine:
    document_type: str
    transitions: dict[tuple[str, str], str]  # (state, action) -> new state

    def target(self, state: str, action: str) -> str:
        try:
            return self.transitions[(state, action)]
        except KeyError:
            raise Conflict(f"A {self.document_type} in state {state!r} cannot be {_past(action)}") from None

    def allowed_actions(self, state: str) -> list[str]:
        return sorted(action for (source, action) in self.transitions if source == state)


def _past(action: str) -> str:
    return {"submit": "submitted", "approve": "approved", "reject": "rejected", "send": "sent",
            "cancel": "cancelled", "close": "closed", "consolidate": "consolidated",
            "acknowledge": "acknowledged", "decline": "declined", "receive": "received"}.get(action, action)


def apply(session: Session, machine: StateMachine, document, action: str, actor: str,
          reason: str | None = None) -> AuditEntry:
    """Move `document` by `action` (409 when its state does not allow it) and audit the move."""
    source = document.state
    target = machine.target(source, action)
    document.state = target
    if hasattr(document, "version"):
        document.version = (document.version or 0) + 1
    entry = AuditEntry(school_id=document.school_id, document_type=machine.document_type,
                       document_id=document.id, action=action, from_state=source, to_state=target,
                       actor=actor, reason=reason)
    session.add(entry)
    session.flush()
    return entry


def audit(session: Session, machine: StateMachine, document, action: str, actor: str,
          reason: str | None = None) -> AuditEntry:
    """Record an action that does not move the state (one approval of several, for instance)."""
    entry = AuditEntry(school_id=document.school_id, document_type=machine.document_type,
                       document_id=document.id, action=action, from_state=document.state,
                       to_state=document.state, actor=actor, reason=reason)
    session.add(entry)
    session.flush()
    return entry


REQUISITION = StateMachine("requisition", {
    ("draft", "submit"): "submitted",
    ("submitted", "approve"): "approved",
    ("submitted", "reject"): "rejected",
    ("approved", "consolidate"): "consolidated",
})

PURCHASE_ORDER = StateMachine("purchase_order", {
    ("draft", "submit"): "pending_approval",
    ("pending_approval", "approve"): "approved",
    ("pending_approval", "reject"): "cancelled",
    ("draft", "cancel"): "cancelled",
    ("pending_approval", "cancel"): "cancelled",
    ("approved", "cancel"): "cancelled",
    ("approved", "send"): "sent",
    ("sent", "acknowledge"): "acknowledged",
    ("sent", "decline"): "declined",
    # goods may arrive before the supplier's acknowledgement has reached us
    ("sent", "receive_part"): "partially_received",
    ("sent", "receive_all"): "received",
    ("acknowledged", "receive_part"): "partially_received",
    ("acknowledged", "receive_all"): "received",
    ("partially_received", "receive_part"): "partially_received",
    ("partially_received", "receive_all"): "received",
    ("partially_received", "close"): "closed",
    ("received", "close"): "closed",
})
