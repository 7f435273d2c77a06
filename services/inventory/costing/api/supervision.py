"""Supervision: weekly ratings and complaints by supervisors, answers by staff; the weekly disclosure."""
from datetime import date

from flask import current_app, request

from shared.auth import current_principal, require_roles
from shared.db import utcnow
from shared.errors import NotFound
from shared.idempotency import idempotent
from shared.pagination import paginate
from shared.web import Blueprint, file_response, settings, unit_of_work

from .. import disclosure as weekly_disclosure
from ..disclosure import build_disclosure, disclosures_of
from ..schemas import (
    AnswerSchema,
    BuildDisclosureSchema,
    ComplaintPageSchema,
    ComplaintPhotoSchema,
    ComplaintQuerySchema,
    ComplaintSchema,
    DisclosureSchema,
    RatingPageSchema,
    RatingQuerySchema,
    RatingSchema,
)
from ..supervision import (
    MAX_PHOTO_BYTES,
    answer_complaint,
    attach_photo,
    complaint_photo,
    complaints_query,
    file_complaint,
    rate_week,
    ratings_query,
)
from .common import ENTRY_WRITERS, READERS, SECURITY, school_timezone, school_today

blp = Blueprint("costing_supervision", __name__, url_prefix="/api/costing",
                description="Supervision by the five roles and parents' representatives; the weekly disclosure")
# Supervisor accounts (the five roles, parents' representatives) rate and complain; nothing else.
RATERS = ("supervisor",)
ANSWERERS = ("canteen_manager", "admin")


@blp.put("/ratings")
@blp.doc(security=SECURITY)
@require_roles(*RATERS)
@blp.arguments(RatingSchema)
@blp.response(200, RatingSchema)
def rate(data):
    with unit_of_work() as uow:
        rating = rate_week(uow.session, current_principal(), data["location_id"], data["week_of"],
                           data["rater_kind"], data["price_score"], data["quality_score"], data["comment"],
                           school_today())
        uow.commit()
    return rating


@blp.get("/ratings")
@blp.doc(security=SECURITY)
@require_roles(*READERS)
@blp.arguments(RatingQuerySchema, location="query")
@blp.response(200, RatingPageSchema)
def ratings(args):
    with unit_of_work() as uow:
        return paginate(uow.session, ratings_query(current_principal(), args["week_of"], args["location_id"]),
                        args["page"], args["per_page"])


@blp.post("/complaints")
@blp.doc(security=SECURITY)
@require_roles(*RATERS)
@idempotent
@blp.arguments(ComplaintSchema)
@blp.response(201, ComplaintSchema)
def complain(data):
    with unit_of_work() as uow:
        complaint = file_complaint(uow.session, current_principal(), **data)
        uow.commit()
    return complaint


@blp.get("/complaints")
@blp.doc(security=SECURITY)
@require_roles(*READERS)
@blp.arguments(ComplaintQuerySchema, location="query")
@blp.response(200, ComplaintPageSchema)
def complaints(args):
    with unit_of_work() as uow:
        return paginate(uow.session, complaints_query(current_principal(), args["status"]), args["page"],
                        args["per_page"])


@blp.post("/complaints/<int:complaint_id>/answer")
@blp.doc(security=SECURITY)
@require_roles(*ANSWERERS)
@blp.arguments(AnswerSchema)
@blp.response(200, ComplaintSchema)
def answer(data, complaint_id):
    with unit_of_work() as uow:
        complaint = answer_complaint(uow.session, current_principal(), complaint_id, data["answer"])
        uow.commit()
    return complaint


@blp.put("/complaints/<int:complaint_id>/photo")
@blp.doc(security=SECURITY)
@require_roles(*RATERS)
@blp.arguments(ComplaintPhotoSchema, location="files")
@blp.response(200, ComplaintSchema)
def add_photo(files, complaint_id):
    """Add a photo (PNG or JPEG, at most 5 MiB) to one's own complaint; shown to staff, never published."""
    upload = files["file"]
    with unit_of_work() as uow:
        complaint = attach_photo(uow.session, photo_store(), current_principal(), complaint_id,
                                 upload.filename or "", upload.read(MAX_PHOTO_BYTES + 1))
        uow.commit()
    return complaint


@blp.get("/complaints/<int:complaint_id>/photo")
@blp.doc(security=SECURITY, responses=file_response("the photo as uploaded", "image/png", "image/jpeg"))
@require_roles(*READERS)
def photo(complaint_id):
    with unit_of_work() as uow:
        complaint, data = complaint_photo(uow.session, photo_store(), current_principal(), complaint_id)
    # An attachment under a name of our making, never rendered inline from our origin.
    extension = complaint.photo_key.rsplit(".", 1)[-1]
    return current_app.response_class(data, mimetype=complaint.photo_type, headers={
        "Content-Disposition": f'attachment; filename="complaint-{complaint.id}.{extension}"',
        "X-Content-Type-Options": "nosniff"})


def photo_store():
    return current_app.extensions["complaint_photos"]


@blp.before_request
def _allow_photo_sized_bodies():
    if request.endpoint == "costing_supervision.add_photo":
        request.max_content_length = MAX_PHOTO_BYTES + 64 * 1024  # the photo and its multipart framing


@blp.post("/disclosures")
@blp.doc(security=SECURITY, description="Build (or return the kept) disclosure of the week containing week_of")
@require_roles(*ENTRY_WRITERS)
@blp.arguments(BuildDisclosureSchema)
@blp.response(200, DisclosureSchema)
def build(data):
    with unit_of_work() as uow:
        # service_clients is looked up at call time, so tests can put the services' test clients in its place
        built = build_disclosure(uow.session, current_principal().school_id, data["week_of"], school_timezone(),
                                 utcnow(), weekly_disclosure.service_clients(settings()))
        uow.commit()
    return built


@blp.get("/disclosures")
@blp.doc(security=SECURITY)
@require_roles(*READERS)
@blp.response(200, DisclosureSchema(many=True))
def disclosures():
    with unit_of_work() as uow:
        return disclosures_of(uow.session, current_principal().school_id)


@blp.get("/disclosures/<string:week_start>")
@blp.doc(security=SECURITY)
@require_roles(*READERS)
@blp.response(200, DisclosureSchema)
def disclosure(week_start):
    try:
        monday = date.fromisoformat(week_start)
    except ValueError:
        raise NotFound("No disclosure for {week_start!r}", week_start=week_start) from None
    with unit_of_work() as uow:
        for kept in disclosures_of(uow.session, current_principal().school_id):
            if kept.week_start == monday:
                return kept
    raise NotFound("No disclosure for the week of {week_start}", week_start=week_start)
