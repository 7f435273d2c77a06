"""Documents with a life: one table of allowed transitions, one function that applies them.

Every applied transition writes an audit row (who, when, from, to, why) in the same
transaction; a transition the current state does not allow is a Conflict (409).
"""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import Integer, String, Text
from sqlalchemy.orm import Mapped, Session, mapped_column

from .auth import Principal
from .db import UTCDateTime, utcnow
from .errors import Conflict


class AuditMixin:
    """The audit trail of a service's documents; each service maps it once (`class Audit(AuditMixin, Base)`)."""

    __tablename__ = "audit_trail"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    document_type: Mapped[str] = mapped_column(String(40), index=True)
    document_id: Mapped[int] = mapped_column(Integer, index=True)
    action: Mapped[str] = mapped_column(String(40))
    from_state: Mapped[str] = mapped_column(String(40))
    to_state: Mapped[str] = mapped_column(String(40))
    actor: Mapped[str] = mapped_column(String(80))
    reason: Mapped[str | None] = mapped_column(Text)
    at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


class StateMachine:
    """`transitions` maps an action to {from_state: to_state}; `state_attribute` names the column."""

    def __init__(self, document_type: str, transitions: dict[str, dict[str, str]], audit_model,
                 state_attribute: str = "status"):
        self.document_type = document_type
        self.transitions = transitions
        self.audit_model = audit_model
        self.state_attribute = state_attribute

    def allowed_actions(self, state: str) -> list[str]:
        return [action for action, moves in self.transitions.items() if state in moves]

    def can(self, document, action: str) -> bool:
        return getattr(document, self.state_attribute) in self.transitions.get(action, {})

    def apply(self, session: Session, document, action: str, actor: Principal | str,
              reason: str | None = None) -> str:
        current = getattr(document, self.state_attribute)
        moves = self.transitions.get(action)
        if moves is None:
            raise ValueError(f"{self.document_type} has no action {action!r}")
        if current not in moves:
            raise Conflict(f"Cannot {action} a {self.document_type} that is {current}; "
                           f"allowed now: {', '.join(self.allowed_actions(current)) or 'nothing'}")
        target = moves[current]
        if document.id is None:  # created in this unit of work: the audit row needs its id
            session.add(document)
            session.flush()
        setattr(document, self.state_attribute, target)
        session.add(self.audit_model(
            document_type=self.document_type, document_id=document.id, action=action, from_state=current,
            to_state=target, actor=actor if isinstance(actor, str) else actor.user_id, reason=reason, at=utcnow()))
        return target
