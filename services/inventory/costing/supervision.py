"""Supervision by the five roles and parents' representatives: weekly ratings and complaints answered by staff."""
from __future__ import annotations

from datetime import date, timedelta

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from shared.auth import Principal
from shared.db import utcnow
from shared.errors import Conflict, Forbidden, InvalidInput, NotFound
from shared.statemachine import StateMachine
from shared.uploads import FileStore, check_upload

from ..locations import may_act_at
from ..models import Audit
from .accounts import get_dining_hall
from .models import COMPLAINT_CATEGORIES, SUPERVISOR_KINDS, Complaint, Rating

MAX_PHOTO_BYTES = 5 * 1024 * 1024
COMPLAINT = StateMachine("complaint", {"answer": {"open": "answered"}}, Audit)


def week_start(day: date) -> date:
    return day - timedelta(days=day.weekday())


def _check_kind(kind: str, field: str) -> None:
    if kind not in SUPERVISOR_KINDS:
        raise InvalidInput(field, "must be one of {choices}", choices=", ".join(SUPERVISOR_KINDS))


def rate_week(session: Session, principal: Principal, location_id: int, week_of: date, rater_kind: str,
              price_score: int, quality_score: int, comment: str | None, today: date) -> Rating:
    """Rate a hall's week (any day of it); rating the same week again replaces the rater's rating."""
    _check_kind(rater_kind, "rater_kind")
    for field, score in (("price_score", price_score), ("quality_score", quality_score)):
        if not 1 <= score <= 5:
            raise InvalidInput(field, "must be from 1 to 5")
    monday = week_start(week_of)
    if monday > today:
        raise InvalidInput("week_of", "a week that has not begun cannot be rated")
    hall = get_dining_hall(session, principal.school_id, location_id)
    query = select(Rating).where(Rating.location_id == hall.id, Rating.week_start == monday,
                                 Rating.rater == principal.user_id)
    rating = session.scalars(query).first()
    values = {"rater_kind": rater_kind, "price_score": price_score, "quality_score": quality_score,
              "comment": comment, "rated_at": utcnow()}
    if rating is None:
        try:
            with session.begin_nested():  # a double submit: the second replaces the first
                rating = Rating(school_id=principal.school_id, location_id=hall.id, week_start=monday,
                                rater=principal.user_id, **values)
                session.add(rating)
            return rating
        except IntegrityError:
            rating = session.scalars(query.execution_options(populate_existing=True)).one()
    for name, value in values.items():
        setattr(rating, name, value)
    session.flush()
    return rating


def file_complaint(session: Session, principal: Principal, category: str, text: str, filer_kind: str,
                   location_id: int | None = None) -> Complaint:
    if category not in COMPLAINT_CATEGORIES:
        raise InvalidInput("category", "must be one of {choices}",
                           choices=", ".join(COMPLAINT_CATEGORIES))
    _check_kind(filer_kind, "filer_kind")
    if not text.strip():
        raise InvalidInput("text", "say what the complaint is about")
    hall_id = get_dining_hall(session, principal.school_id, location_id).id if location_id is not None else None
    complaint = Complaint(school_id=principal.school_id, location_id=hall_id, category=category, text=text.strip(),
                          filed_by=principal.user_id, filer_kind=filer_kind, status="open", filed_at=utcnow())
    session.add(complaint)
    session.flush()
    return complaint


def attach_photo(session: Session, store: FileStore, principal: Principal, complaint_id: int, filename: str,
                 data: bytes) -> Complaint:
    """The filer adds one photo (PNG or JPEG) to their complaint.

    One photo, never replaced: a replaced file could only be deleted before the commit that
    stops pointing at it, and a rollback would then leave the complaint pointing at nothing.
    """
    complaint = get_complaint(session, principal, complaint_id)
    if complaint.filed_by != principal.user_id:
        raise Forbidden("Only the supervisor who filed the complaint may add its photo")
    if complaint.photo_key is not None:
        raise Conflict("Complaint {complaint_id} already has its photo", complaint_id=complaint_id)
    extension, content_type = check_upload(filename, data, MAX_PHOTO_BYTES, ("png", "jpg"), "photo")
    complaint.photo_key, complaint.photo_type = store.put(complaint.school_id, extension, data), content_type
    session.flush()
    return complaint


def complaint_photo(session: Session, store: FileStore, principal: Principal,
                    complaint_id: int) -> tuple[Complaint, bytes]:
    complaint = get_complaint(session, principal, complaint_id)
    if complaint.photo_key is None:
        raise NotFound("Complaint {complaint_id} has no photo", complaint_id=complaint_id)
    try:
        return complaint, store.get(complaint.photo_key)
    except FileNotFoundError:
        raise NotFound("This complaint's photo is missing from the store") from None


def get_complaint(session: Session, principal: Principal, complaint_id: int) -> Complaint:
    complaint = session.scalars(select(Complaint).where(Complaint.id == complaint_id,
                                                        Complaint.school_id == principal.school_id)).first()
    if complaint is None:
        raise NotFound("No complaint {complaint_id}", complaint_id=complaint_id)
    return complaint


def answer_complaint(session: Session, principal: Principal, complaint_id: int, answer: str) -> Complaint:
    """Staff answer a complaint once (409 after): the answer is what the disclosure shows."""
    complaint = get_complaint(session, principal, complaint_id)
    # complaints are public (the weekly disclosure), so another hall's is seen but not answered;
    # one naming no hall is the school's, for any manager to answer
    if complaint.location_id is not None:
        may_act_at(session, principal, complaint.location_id)
    if not answer.strip():
        raise InvalidInput("answer", "the answer cannot be empty")
    COMPLAINT.apply(session, complaint, "answer", principal)
    complaint.answer, complaint.answered_by, complaint.answered_at = answer.strip(), principal.user_id, utcnow()
    session.flush()
    return complaint


def complaints_query(principal: Principal, status: str | None = None):
    query = select(Complaint).where(Complaint.school_id == principal.school_id)
    if status is not None:
        query = query.where(Complaint.status == status)
    return query.order_by(Complaint.filed_at.desc(), Complaint.id.desc())


def ratings_query(principal: Principal, week_of: date | None = None, location_id: int | None = None):
    query = select(Rating).where(Rating.school_id == principal.school_id)
    if week_of is not None:
        query = query.where(Rating.week_start == week_start(week_of))
    if location_id is not None:
        query = query.where(Rating.location_id == location_id)
    return query.order_by(Rating.week_start.desc(), Rating.location_id, Rating.id)
