"""marshmallow schemas of the meal-cost API."""
from __future__ import annotations

from datetime import date
from decimal import Decimal

from flask_smorest.fields import Upload
from marshmallow import Schema, ValidationError, fields, validate, validates_schema

from shared.fields import ExactDecimal, Money, RowId
from shared.pagination import PageQuerySchema, page_schema

from .meal_cost import INGREDIENT_CATEGORIES
from .models import (
    COMPLAINT_CATEGORIES,
    EXPENSE_KINDS,
    EXPORT_FORMATS,
    EXPORT_KINDS,
    EXPORT_STATES,
    INCOME_KINDS,
    MEALS,
    SIGNATURE_SLOTS,
    SUPERVISOR_KINDS,
)
from .periods import PERIOD_KINDS, period_bounds

# Business dates of the books: a bounded range, so that no date arithmetic (month ends, weeks, UTC
# bounds) can leave the calendar and no input can make a 500.
FIRST_DATE, LAST_DATE = date(2000, 1, 1), date(2099, 12, 31)
BusinessDate = lambda **kw: fields.Date(validate=validate.Range(min=FIRST_DATE, max=LAST_DATE), **kw)  # noqa: E731
# Ids in a JSON body must be JSON integers (strict RowId); a query string is text, its ids are parsed.


class SettingsSchema(Schema):
    food_share_floor = ExactDecimal(2, required=True, validate=validate.Range(min=0, max=100, min_inclusive=False))
    updated_by = fields.String(dump_only=True)
    updated_at = fields.AwareDateTime(dump_only=True, allow_none=True)


class MealsServedSchema(Schema):
    id = fields.Integer(dump_only=True)
    location_id = RowId(strict=True, required=True)
    meal_date = BusinessDate(required=True)
    meal = fields.String(required=True, validate=validate.OneOf(MEALS))
    diners = fields.Integer(required=True, strict=True, validate=validate.Range(min=0, max=100_000))
    recorded_by = fields.String(dump_only=True)
    recorded_at = fields.AwareDateTime(dump_only=True)


class DateRangeQuerySchema(PageQuerySchema):
    location_id = RowId(load_default=None)
    start = BusinessDate(load_default=None)
    end = BusinessDate(load_default=None)


class EntryQuerySchema(DateRangeQuerySchema):
    kind = fields.String(load_default=None, validate=validate.Length(max=32))


def _entry_schema(name: str, kinds: tuple[str, ...]) -> type[Schema]:
    return Schema.from_dict({
        "id": fields.Integer(dump_only=True),
        "location_id": RowId(strict=True, required=True),
        "entry_date": BusinessDate(required=True),
        "kind": fields.String(required=True, validate=validate.OneOf(kinds)),
        "amount": Money(required=True, positive=True),
        "note": fields.String(load_default=None, allow_none=True, validate=validate.Length(max=500)),
        "created_by": fields.String(dump_only=True),
        "created_at": fields.AwareDateTime(dump_only=True),
    }, name=name)


IncomeEntrySchema = _entry_schema("IncomeEntrySchema", INCOME_KINDS)
ExpenseEntrySchema = _entry_schema("ExpenseEntrySchema", EXPENSE_KINDS)
MealsServedPageSchema = page_schema(MealsServedSchema)
IncomeEntryPageSchema = page_schema(IncomeEntrySchema)
ExpenseEntryPageSchema = page_schema(ExpenseEntrySchema)


class PeriodQuerySchema(Schema):
    """A day, week or month containing `date`, or a term from `start` to `end`."""

    period = fields.String(load_default="month", validate=validate.OneOf(PERIOD_KINDS))
    date = BusinessDate(load_default=None)
    start = BusinessDate(load_default=None)
    end = BusinessDate(load_default=None)
    location_id = RowId(load_default=None)

    @validates_schema
    def _bounds(self, data, **_kwargs):
        try:
            data["bounds"] = period_bounds(data["period"], data["date"], data["start"], data["end"])
        except ValueError as exc:
            raise ValidationError(str(exc), "date" if data["period"] != "term" else "start") from None


class CostDetailQuerySchema(Schema):
    start = BusinessDate(required=True)
    end = BusinessDate(required=True)
    location_id = RowId(load_default=None)

    @validates_schema
    def _bounds(self, data, **_kwargs):
        try:
            period_bounds("term", start=data["start"], end=data["end"])
        except ValueError as exc:
            raise ValidationError(str(exc), "end") from None


Amount = lambda: fields.String(allow_none=True)  # noqa: E731  (figures are exact decimal strings)


class FiguresSchema(Schema):
    diners = fields.Dict(keys=fields.String(validate=validate.OneOf(MEALS)), values=fields.Integer())
    diner_meals = fields.Integer()
    income = fields.Dict(keys=fields.String(validate=validate.OneOf(INCOME_KINDS)), values=Amount())
    income_total = Amount()
    meal_fee_income = Amount()
    ingredients = fields.Dict(keys=fields.String(validate=validate.OneOf(INGREDIENT_CATEGORIES)), values=Amount())
    ingredient_total = Amount()
    coal = Amount()
    utilities = Amount()
    fuel_total = Amount()
    wages = Amount()
    overheads = Amount()
    spending_total = Amount()
    balance = Amount()
    gross_margin = Amount()
    gross_margin_rate = Amount()
    cost_per_diner_meal = Amount()
    ingredient_cost_per_diner_meal = Amount()
    food_share = Amount()
    food_share_floor = Amount()
    below_floor = fields.Boolean()
    warnings = fields.List(fields.String())
    opening_surplus = Amount()
    closing_surplus = Amount()


class HallFiguresSchema(FiguresSchema):
    location_id = fields.Integer()
    code = fields.String()
    name = fields.String()


class AccountsSchema(Schema):
    start = fields.Date()
    end = fields.Date()
    halls = fields.List(fields.Nested(HallFiguresSchema))
    school = fields.Nested(FiguresSchema)


class StatementContentSchema(AccountsSchema):
    # kept as stored in the snapshot (ISO dates as text)
    month = fields.String()
    start = fields.String()
    end = fields.String()


class SignatureSchema(Schema):
    slot = fields.String()
    position = fields.Integer()
    signer = fields.String()
    signer_name = fields.String()
    signed_at = fields.AwareDateTime()


class OpeningSurplusSchema(Schema):
    location_id = RowId(strict=True, required=True)
    amount = ExactDecimal(2, required=True, validate=validate.Range(min=Decimal("-999999999999.99"),
                                                                     max=Decimal("999999999999.99")))


class StatementSummarySchema(Schema):
    id = fields.Integer(dump_only=True)
    month = BusinessDate(required=True, metadata={"description": "any day of the month"})
    opening_surplus = fields.List(fields.Nested(OpeningSurplusSchema), load_only=True, load_default=None,
                                  validate=validate.Length(max=20),
                                  metadata={"description": "the first statement of the books only"})
    status = fields.String(dump_only=True)
    prepared_by = fields.String(dump_only=True)
    prepared_at = fields.AwareDateTime(dump_only=True)
    published_at = fields.AwareDateTime(dump_only=True, allow_none=True)
    due_date = fields.Date(dump_only=True)
    overdue_since = fields.Date(dump_only=True, allow_none=True)
    next_slot = fields.String(dump_only=True, allow_none=True)
    signatures = fields.List(fields.Nested(SignatureSchema), dump_only=True)


class StatementSchema(StatementSummarySchema):
    content = fields.Nested(StatementContentSchema, dump_only=True)


class StatementQuerySchema(PageQuerySchema):
    status = fields.String(load_default=None, validate=validate.OneOf(("draft", "signing", "published")))


StatementPageSchema = page_schema(StatementSummarySchema)


class SignSchema(Schema):
    slot = fields.String(required=True, validate=validate.OneOf(SIGNATURE_SLOTS))
    signer_name = fields.String(required=True, validate=validate.Length(min=1, max=100))


Score = lambda **kw: fields.Integer(strict=True, validate=validate.Range(min=1, max=5), **kw)  # noqa: E731


class RatingSchema(Schema):
    id = fields.Integer(dump_only=True)
    location_id = RowId(strict=True, required=True)
    week_of = BusinessDate(required=True, load_only=True, metadata={"description": "any day of the rated week"})
    week_start = fields.Date(dump_only=True)
    rater = fields.String(dump_only=True)
    rater_kind = fields.String(required=True, validate=validate.OneOf(SUPERVISOR_KINDS))
    price_score = Score(required=True)
    quality_score = Score(required=True)
    comment = fields.String(load_default=None, allow_none=True, validate=validate.Length(max=1000))
    rated_at = fields.AwareDateTime(dump_only=True)


class RatingQuerySchema(PageQuerySchema):
    week_of = BusinessDate(load_default=None)
    location_id = RowId(load_default=None)


class ComplaintSchema(Schema):
    id = fields.Integer(dump_only=True)
    location_id = RowId(strict=True, load_default=None, allow_none=True)
    category = fields.String(required=True, validate=validate.OneOf(COMPLAINT_CATEGORIES))
    text = fields.String(required=True, validate=validate.Length(min=1, max=2000))
    filer_kind = fields.String(required=True, validate=validate.OneOf(SUPERVISOR_KINDS))
    filed_by = fields.String(dump_only=True)
    filed_at = fields.AwareDateTime(dump_only=True)
    status = fields.String(dump_only=True)
    answer = fields.String(dump_only=True, allow_none=True)
    answered_by = fields.String(dump_only=True, allow_none=True)
    answered_at = fields.AwareDateTime(dump_only=True, allow_none=True)
    has_photo = fields.Boolean(dump_only=True)


class ComplaintPhotoSchema(Schema):
    file = Upload(required=True)


class ComplaintQuerySchema(PageQuerySchema):
    status = fields.String(load_default=None, validate=validate.OneOf(("open", "answered")))


class AnswerSchema(Schema):
    answer = fields.String(required=True, validate=validate.Length(min=1, max=2000))


class BuildDisclosureSchema(Schema):
    week_of = BusinessDate(required=True)


class DisclosureSchema(Schema):
    id = fields.Integer(dump_only=True)
    week_start = fields.Date(dump_only=True)
    built_at = fields.AwareDateTime(dump_only=True)
    content = fields.Dict(dump_only=True)


RatingPageSchema = page_schema(RatingSchema)
ComplaintPageSchema = page_schema(ComplaintSchema)


class ExportJobRequestSchema(CostDetailQuerySchema):
    """An export of up to a year (366 days), written by a worker; GET the job for its progress."""

    kind = fields.String(required=True, validate=validate.OneOf(EXPORT_KINDS),
                         metadata={"description": "cost_detail: every valued issue with item, lot, supplier, "
                                                  "document; spend: received less returned by supplier and category"})
    format = fields.String(required=True, validate=validate.OneOf(EXPORT_FORMATS))
    location_id = RowId(strict=True, load_default=None, allow_none=True,
                        metadata={"description": "one dining hall, or the school"})


class ExportJobSchema(Schema):
    id = fields.Integer()
    kind = fields.String()
    format = fields.String()
    start = fields.Date()
    end = fields.Date()
    location_id = fields.Integer(allow_none=True)
    state = fields.String(metadata={"description": "queued → running → done, or failed (see error)"})
    rows_expected = fields.Integer(allow_none=True, metadata={"description": "known once the job is running"})
    rows_written = fields.Integer()
    progress = fields.Method("_progress", metadata={"type": "integer",
                                                    "description": "percent of rows written, 0–100"})
    error = fields.String(allow_none=True)
    file_size = fields.Integer(allow_none=True, metadata={"description": "bytes, once done"})
    file_url = fields.Method("_file_url", allow_none=True, metadata={"type": "string",
                                                                     "description": "GET it once done"})
    requested_by = fields.String()
    created_at = fields.AwareDateTime()
    started_at = fields.AwareDateTime(allow_none=True)
    finished_at = fields.AwareDateTime(allow_none=True)

    def _progress(self, job) -> int:
        if job.state == "done":
            return 100
        if not job.rows_expected:
            return 0
        return min(99, job.rows_written * 100 // job.rows_expected)

    def _file_url(self, job) -> str | None:
        return f"/api/costing/export-jobs/{job.id}/file" if job.state == "done" else None


class ExportJobQuerySchema(PageQuerySchema):
    state = fields.String(validate=validate.OneOf(EXPORT_STATES))


ExportJobPageSchema = page_schema(ExportJobSchema)
