"""Documents with a life: one table of allowed transitions, one function that applies them.

Every applied transition writes an audit row (who, when, from, to, why) in the same
transaction; a transition the current state does not allow is a Conflict (409). The audit rows
wait for the session's next flush and go in one statement per table: a document created and moved
in one request is written once, its audit rows with it.
"""
from __future__ import annotations

from collections import defaultdict
from datetime import datetime

from sqlalchemy import Integer, String, Text, event, insert
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
            raise Conflict("Cannot {action} a {document_type} that is {current}; "
                           "allowed now: {allowed}", action=action, document_type=self.document_type, current=current,
                           allowed=", ".join(self.allowed_actions(current)) or "nothing")
        target = moves[current]
        setattr(document, self.state_attribute, target)
        self.record(session, document, action, actor, reason, current)
        return target

    def record(self, session: Session, document, action: str, actor: Principal | str, reason: str | None = None,
               from_state: str | None = None) -> None:
        """Audit an action on the document; without `from_state`, one that leaves its state as it is."""
        session.add(document)  # a new document gets its id, which its audit row needs, in the same flush
        to_state = getattr(document, self.state_attribute)
        session.info.setdefault(PENDING_AUDITS, []).append((self.audit_model.__table__, document, {
            "document_type": self.document_type, "action": action, "from_state": from_state or to_state,
            "to_state": to_state, "actor": actor if isinstance(actor, str) else actor.user_id, "reason": reason,
            "at": utcnow()}))


PENDING_AUDITS = "pending_audits"


@event.listens_for(Session, "after_flush")
def _write_pending_audits(session: Session, _flush_context=None) -> None:
    pending = session.info.pop(PENDING_AUDITS, None)
    if not pending:
        return
    rows = defaultdict(list)
    for table, document, row in pending:
        rows[table].append({**row, "document_id": document.id})
    for table, table_rows in rows.items():
        session.connection().execute(insert(table), table_rows)


@event.listens_for(Session, "before_commit")
def _write_audits_before_commit(session: Session) -> None:
    if session.info.get(PENDING_AUDITS):
        session.flush()
        _write_pending_audits(session)  # a transition that changed nothing else leaves nothing to flush


@event.listens_for(Session, "after_soft_rollback")
def _forget_pending_audits(session: Session, previous_transaction) -> None:
    if not previous_transaction.nested:
        session.info.pop(PENDING_AUDITS, None)
