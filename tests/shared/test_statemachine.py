"""shared.statemachine: one table of allowed transitions; each applied one writes an audit row."""
from datetime import timedelta

import pytest
from sqlalchemy import Integer, String, create_engine, func, select
from sqlalchemy.orm import Mapped, Session, mapped_column

from shared.auth import Principal
from shared.db import declarative_base, utcnow
from shared.errors import Conflict
from shared.statemachine import AuditMixin, StateMachine

Base = declarative_base()


class Requisition(Base):
    __tablename__ = "requisitions"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    status: Mapped[str] = mapped_column(String(20), default="draft")


class Order(Base):
    __tablename__ = "orders"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    stage: Mapped[str] = mapped_column(String(20))


class Audit(AuditMixin, Base):
    pass


LIFE = StateMachine("requisition", {
    "submit": {"draft": "submitted"},
    "approve": {"submitted": "approved"},
    "reject": {"submitted": "draft"},
    "cancel": {"draft": "cancelled", "submitted": "cancelled"},
}, Audit)

MANAGER = Principal("17", frozenset({"canteen_manager"}), school_id=1)


@pytest.fixture
def session():
    engine = create_engine("sqlite://")
    Base.metadata.create_all(engine)
    with Session(engine) as session:
        yield session
    engine.dispose()


@pytest.fixture
def requisition(session):
    document = Requisition(status="draft")
    session.add(document)
    session.commit()
    return document


def audit_rows(session) -> list[Audit]:
    return list(session.scalars(select(Audit).order_by(Audit.id)))


def test_an_allowed_transition_changes_the_state_and_writes_the_audit_row(session, requisition):
    before = utcnow()
    assert LIFE.apply(session, requisition, "submit", MANAGER, reason="needed for week 12") == "submitted"
    session.commit()
    session.expire_all()
    assert session.get(Requisition, requisition.id).status == "submitted"
    [row] = audit_rows(session)
    assert (row.document_type, row.document_id, row.action, row.from_state, row.to_state, row.actor, row.reason) == (
        "requisition", requisition.id, "submit", "draft", "submitted", "17", "needed for week 12")
    assert before <= row.at <= utcnow()
    assert row.at.utcoffset() == timedelta(0)


def test_an_actor_may_be_given_as_a_plain_name(session, requisition):
    LIFE.apply(session, requisition, "cancel", "system:expiry-sweep")
    session.commit()
    [row] = audit_rows(session)
    assert (row.actor, row.reason, row.to_state) == ("system:expiry-sweep", None, "cancelled")


def test_a_document_going_through_its_life_leaves_one_audit_row_per_step(session, requisition):
    for action in ("submit", "reject", "submit", "approve"):
        LIFE.apply(session, requisition, action, MANAGER)
    session.commit()
    assert [(row.action, row.from_state, row.to_state) for row in audit_rows(session)] == [
        ("submit", "draft", "submitted"), ("reject", "submitted", "draft"),
        ("submit", "draft", "submitted"), ("approve", "submitted", "approved")]
    assert requisition.status == "approved"


def test_a_refused_transition_is_a_conflict_naming_the_actions_allowed_now(session, requisition):
    with pytest.raises(Conflict) as excinfo:
        LIFE.apply(session, requisition, "approve", MANAGER)
    error = excinfo.value
    assert error.status == 409
    assert "draft" in error.detail and "approve" in error.detail
    assert "allowed now: submit, cancel" in error.detail


def test_a_refused_transition_changes_nothing_and_writes_no_audit_row(session, requisition):
    with pytest.raises(Conflict):
        LIFE.apply(session, requisition, "approve", MANAGER, reason="skip the queue")
    assert requisition.status == "draft"
    session.commit()
    session.expire_all()
    assert session.get(Requisition, requisition.id).status == "draft"
    assert session.scalar(select(func.count()).select_from(Audit)) == 0


def test_a_document_in_a_final_state_allows_nothing(session, requisition):
    LIFE.apply(session, requisition, "cancel", MANAGER)
    with pytest.raises(Conflict, match="allowed now: nothing"):
        LIFE.apply(session, requisition, "submit", MANAGER)
    session.commit()
    assert len(audit_rows(session)) == 1


def test_an_action_the_machine_does_not_know_is_a_programming_error_not_a_conflict(session, requisition):
    with pytest.raises(ValueError, match="no action 'archive'"):
        LIFE.apply(session, requisition, "archive", MANAGER)
    assert requisition.status == "draft"


def test_can_and_allowed_actions_answer_without_changing_anything(requisition):
    assert LIFE.can(requisition, "submit")
    assert not LIFE.can(requisition, "approve")
    assert not LIFE.can(requisition, "archive")
    assert LIFE.allowed_actions("draft") == ["submit", "cancel"]
    assert LIFE.allowed_actions("submitted") == ["approve", "reject", "cancel"]
    assert LIFE.allowed_actions("cancelled") == []
    assert requisition.status == "draft"


def test_the_state_attribute_can_be_named(session):
    order = Order(stage="open")
    session.add(order)
    session.flush()
    machine = StateMachine("order", {"close": {"open": "closed"}}, Audit, state_attribute="stage")
    assert machine.apply(session, order, "close", MANAGER) == "closed"
    session.commit()
    assert order.stage == "closed"
    assert audit_rows(session)[0].document_type == "order"


def test_a_document_created_in_the_same_unit_of_work_can_take_its_first_transition(session):
    """Creating a document and submitting it at once is common (create-and-submit)."""
    requisition = Requisition(status="draft")
    session.add(requisition)
    LIFE.apply(session, requisition, "submit", MANAGER)
    session.commit()
    [row] = audit_rows(session)
    assert row.document_id == requisition.id is not None
