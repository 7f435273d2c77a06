from flask_smorest.fields import Upload
from marshmallow import Schema, ValidationError, fields, validate, validates

from shared.fields import Money as ExactMoney
from shared.fields import Quantity as ExactQuantity
from shared.fields import RowId
from shared.pagination import PageQuerySchema, page_schema

from .credit_code import credit_code_problem
from .documents import DOCUMENT_KINDS, DOCUMENT_STATUSES
from .registration import CATEGORIES

SUPPLIER_STATUSES = ("pending", "approved", "rejected", "suspended")
PHONE = validate.Regexp(r"^\+?[0-9][0-9 \-]{5,30}$", error="must be a telephone number")
Text = lambda maximum, **kw: fields.String(validate=validate.Length(min=1, max=maximum), **kw)  # noqa: E731


class SupplierSchema(Schema):
    id = fields.Integer(dump_only=True)
    name = fields.String()
    credit_code = fields.String(allow_none=True)
    address = fields.String(allow_none=True)
    contact_name = fields.String(allow_none=True)
    contact_phone = fields.String(allow_none=True)
    contact_email = fields.Email()
    categories = fields.List(fields.String())
    status = fields.String()
    status_reason = fields.String(allow_none=True)
    status_changed_at = fields.AwareDateTime(allow_none=True)
    invited_by_school_id = fields.Integer(allow_none=True)
    registered_at = fields.AwareDateTime(allow_none=True)
    created_at = fields.AwareDateTime()


class PublicLicenceSchema(Schema):
    kind = fields.String()
    expires_on = fields.Date(allow_none=True, metadata={"description": "null when no approved licence is on file"})
    state = fields.String(metadata={"description": "valid, expiring (within 30 days) or expired"})


class BulkSupplierSchema(Schema):
    """What the weekly public disclosure may show of a bulk-commodity supplier: no contacts, no credit code."""

    supplier_id = fields.Integer()
    name = fields.String()
    categories = fields.List(fields.String())
    licence_state = fields.String()
    licences = fields.List(fields.Nested(PublicLicenceSchema))


class SupplierQuerySchema(PageQuerySchema):
    status = fields.String(validate=validate.OneOf(SUPPLIER_STATUSES))


class ContactSchema(Schema):
    address = Text(300, required=True)
    contact_name = Text(100, required=True)
    contact_phone = fields.String(required=True, validate=PHONE)


class CompanySchema(ContactSchema):
    credit_code = fields.String(required=True)
    contact_email = fields.Email(required=True)
    categories = fields.List(fields.String(validate=validate.OneOf(CATEGORIES)), required=True,
                             validate=validate.Length(min=1))

    @validates("credit_code")
    def _credit_code(self, value, **_):
        problem = credit_code_problem(value)
        if problem:
            raise ValidationError(problem)


class OwnerSchema(Schema):
    email = fields.Email(required=True)
    display_name = Text(100, required=True)
    password = fields.String(required=True, load_only=True, validate=validate.Length(min=10, max=200))


class SelfRegistrationSchema(CompanySchema):
    name = Text(200, required=True)
    owner = fields.Nested(OwnerSchema, required=True)


class InvitedRegistrationSchema(CompanySchema):
    invitation_code = fields.String(required=True, validate=validate.Length(min=1, max=100))
    owner = fields.Nested(OwnerSchema, required=True)


class ProfileUpdateSchema(ContactSchema):
    """Loaded with partial=True: send only what changes."""


class ReasonSchema(Schema):
    reason = Text(1000, required=True)


class InvitationCodeSchema(Schema):
    supplier_id = fields.Integer()
    invitation_code = fields.String()


class LoginSchema(Schema):
    email = fields.String(required=True, validate=validate.Length(min=1, max=200))
    password = fields.String(required=True, load_only=True, validate=validate.Length(min=1, max=200))


class TokenSchema(Schema):
    access_token = fields.String()
    token_type = fields.String()
    expires_in = fields.Integer()
    supplier_id = fields.Integer()
    roles = fields.List(fields.String())


class PasswordChangeSchema(Schema):
    current_password = fields.String(required=True, validate=validate.Length(min=1, max=200))
    new_password = fields.String(required=True, validate=validate.Length(min=10, max=200))


class UserSchema(Schema):
    id = fields.Integer(dump_only=True)
    supplier_id = fields.Integer(dump_only=True)
    email = fields.Email()
    display_name = fields.String()
    role = fields.String(dump_only=True)
    active = fields.Boolean(dump_only=True)
    created_at = fields.AwareDateTime(dump_only=True)


class NewUserSchema(OwnerSchema):
    pass


class MeSchema(Schema):
    user = fields.Nested(UserSchema)
    supplier = fields.Nested(SupplierSchema)


class DocumentSchema(Schema):
    id = fields.Integer()
    supplier_id = fields.Integer()
    kind = fields.String()
    number = fields.String()
    expires_on = fields.Date()
    status = fields.String()
    content_type = fields.String()
    size_bytes = fields.Integer()
    sha256 = fields.String()
    original_filename = fields.String()
    uploaded_at = fields.AwareDateTime()
    reviewed_at = fields.AwareDateTime(allow_none=True)
    review_note = fields.String(allow_none=True)


class DocumentFormSchema(Schema):
    kind = fields.String(required=True, validate=validate.OneOf(DOCUMENT_KINDS))
    number = Text(100, required=True)
    expires_on = fields.Date(required=True)


class DocumentFileSchema(Schema):
    file = Upload(required=True)


class DocumentQuerySchema(PageQuerySchema):
    supplier_id = RowId()
    status = fields.String(validate=validate.OneOf(DOCUMENT_STATUSES))


class DocumentReviewSchema(Schema):
    note = fields.String(validate=validate.Length(max=1000))


class NotificationSchema(Schema):
    id = fields.Integer()
    kind = fields.String()
    message = fields.String()
    created_at = fields.AwareDateTime()
    read_at = fields.AwareDateTime(allow_none=True)


class NotificationQuerySchema(PageQuerySchema):
    unread = fields.Boolean(load_default=False)


ORDER_STATUSES = ("sent", "acknowledged", "declined", "cancelled", "closed")


class OrderLineSchema(Schema):
    po_line_id = fields.Integer()
    item_id = fields.Integer()
    item_code = fields.String()
    item_name = fields.String()
    specification = fields.String()
    unit = fields.String()
    quantity = ExactQuantity()
    unit_price = ExactMoney()
    delivery_date = fields.Date()
    destination = fields.String()
    # Shown on one order (not in lists): what happened to the line so far.
    accepted_quantity = ExactQuantity(attribute="progress.accepted", dump_only=True)
    rejected_quantity = ExactQuantity(attribute="progress.rejected", dump_only=True)
    in_transit_quantity = ExactQuantity(attribute="progress.in_transit", dump_only=True)
    invoiced_quantity = ExactQuantity(attribute="progress.invoiced", dump_only=True)
    to_deliver_quantity = ExactQuantity(attribute="progress.to_deliver", dump_only=True)
    to_invoice_quantity = ExactQuantity(attribute="progress.to_invoice", dump_only=True)


class ReceiptLineSchema(Schema):
    po_line_id = fields.Integer()
    item_id = fields.Integer()
    accepted_quantity = ExactQuantity()
    rejected_quantity = ExactQuantity()
    rejection_reason = fields.String()
    lot_number = fields.String()
    production_date = fields.Date()
    expiry_date = fields.Date(allow_none=True)


class ReceiptSchema(Schema):
    """The school's incoming inspection (进货查验) of a delivery."""

    receipt_id = fields.Integer()
    delivery_note_id = fields.Integer()
    location_code = fields.String()
    received_at = fields.AwareDateTime()
    inspectors = fields.List(fields.String())
    lines = fields.List(fields.Nested(ReceiptLineSchema))


class OrderSchema(Schema):
    id = fields.Integer()
    po_id = fields.Integer()
    school_id = fields.Integer()
    supplier_id = fields.Integer()
    number = fields.String()
    revision = fields.Integer()
    total = ExactMoney()
    status = fields.String()
    sent_at = fields.AwareDateTime()
    responded_at = fields.AwareDateTime(allow_none=True)
    decline_reason = fields.String(allow_none=True)
    cancelled_at = fields.AwareDateTime(allow_none=True)
    cancel_reason = fields.String(allow_none=True)
    closed_at = fields.AwareDateTime(allow_none=True)
    close_reason = fields.String(allow_none=True)
    lines = fields.List(fields.Nested(OrderLineSchema))
    receipts = fields.List(fields.Nested(ReceiptSchema))


class OrderQuerySchema(PageQuerySchema):
    status = fields.String(validate=validate.OneOf(ORDER_STATUSES))


class AcknowledgeSchema(Schema):
    revision = fields.Integer(required=True, validate=validate.Range(min=1))


class DeclineSchema(AcknowledgeSchema):
    reason = Text(1000, required=True)


class UserQuerySchema(PageQuerySchema):
    pass


# --- quotations -----------------------------------------------------------------------------------

class RfqLineSchema(Schema):
    rfq_line_id = fields.Integer()
    item_id = fields.Integer()
    item_code = fields.String()
    item_name = fields.String()
    specification = fields.String()
    unit = fields.String()
    quantity = ExactQuantity()
    delivery_date = fields.Date()


class QuoteLineSchema(Schema):
    rfq_line_id = RowId(required=True)
    item_id = fields.Integer(dump_only=True)
    unit_price = ExactMoney(positive=True, allow_none=True)
    note = fields.String(validate=validate.Length(max=500))
    awarded = fields.Boolean(dump_only=True, allow_none=True,
                             metadata={"description": "null until the school awards the RFQ"})


QUOTE_OUTCOMES = ("awarded", "partly_awarded", "not_awarded")


class QuoteSchema(Schema):
    id = fields.Integer()
    rfq_copy_id = fields.Integer(data_key="rfq_id")
    rfq_number = fields.String(attribute="rfq.number")
    rfq_title = fields.String(attribute="rfq.title")
    quote_deadline = fields.AwareDateTime(attribute="rfq.quote_deadline")
    status = fields.String()
    valid_until = fields.Date(allow_none=True)
    updated_at = fields.AwareDateTime()
    submitted_at = fields.AwareDateTime(allow_none=True)
    outcome = fields.String(allow_none=True,
                            metadata={"enum": QUOTE_OUTCOMES, "description": "null until the school awards the RFQ"})
    outcome_at = fields.AwareDateTime(allow_none=True)
    lines = fields.List(fields.Nested(QuoteLineSchema))


class QuoteSummarySchema(Schema):
    id = fields.Integer()
    status = fields.String()
    submitted_at = fields.AwareDateTime(allow_none=True)
    outcome = fields.String(allow_none=True)


class RfqSchema(Schema):
    """The supplier's own copy: never who else was invited."""

    id = fields.Integer()
    school_id = fields.Integer()
    number = fields.String()
    title = fields.String()
    quote_deadline = fields.AwareDateTime()
    received_at = fields.AwareDateTime()
    awarded_at = fields.AwareDateTime(allow_none=True)
    lines = fields.List(fields.Nested(RfqLineSchema))
    quote = fields.Nested(QuoteSummarySchema, allow_none=True)


class RfqQuerySchema(PageQuerySchema):
    open = fields.Boolean(metadata={"description": "true: deadline not yet passed; false: closed"})


class QuoteQuerySchema(PageQuerySchema):
    status = fields.String(validate=validate.OneOf(("draft", "submitted")))
    outcome = fields.String(validate=validate.OneOf(QUOTE_OUTCOMES))


class DraftQuoteSchema(Schema):
    valid_until = fields.Date(load_default=None, allow_none=True)
    lines = fields.List(fields.Nested(QuoteLineSchema), required=True, validate=validate.Length(max=500))


class SubmittedQuoteLineSchema(QuoteLineSchema):
    unit_price = ExactMoney(positive=True, required=True)


class SubmitQuoteSchema(Schema):
    valid_until = fields.Date(required=True)
    lines = fields.List(fields.Nested(SubmittedQuoteLineSchema), required=True,
                        validate=validate.Length(min=1, max=500))


# --- delivery notes -------------------------------------------------------------------------------

DELIVERY_STATUSES = ("dispatched", "partially_inspected", "inspected")


class DeliveryLineSchema(Schema):
    po_line_id = RowId(required=True)
    item_id = fields.Integer(dump_only=True)
    quantity = ExactQuantity(positive=True, required=True)
    lot_number = Text(64, required=True)
    production_date = fields.Date(required=True)
    expiry_date = fields.Date(load_default=None, allow_none=True)
    certificate_ref = fields.String(load_default="", validate=validate.Length(max=200))


class DeliveryLineResultSchema(Schema):
    po_line_id = fields.Integer()
    item_id = fields.Integer()
    quantity = ExactQuantity()
    lot_number = fields.String()
    inspected = fields.Boolean()
    accepted_quantity = ExactQuantity(allow_none=True)
    rejected_quantity = ExactQuantity(allow_none=True)


class DeliveryNoteSchema(Schema):
    id = fields.Integer()
    number = fields.String()
    order_id = fields.Integer()
    po_id = fields.Integer()
    supplier_id = fields.Integer()
    school_id = fields.Integer()
    planned_at = fields.AwareDateTime()
    status = fields.String()
    created_at = fields.AwareDateTime()
    lines = fields.List(fields.Nested(DeliveryLineSchema))
    line_results = fields.List(fields.Nested(DeliveryLineResultSchema))
    receipts = fields.List(fields.Nested(ReceiptSchema))


class NewDeliveryNoteSchema(Schema):
    planned_at = fields.AwareDateTime(required=True)
    lines = fields.List(fields.Nested(DeliveryLineSchema), required=True, validate=validate.Length(min=1, max=500))


class DeliveryNoteQuerySchema(PageQuerySchema):
    order_id = RowId()
    status = fields.String(validate=validate.OneOf(DELIVERY_STATUSES))


# --- invoices -------------------------------------------------------------------------------------

INVOICE_STATUSES = ("submitted", "matched", "disputed", "partially_paid", "paid")


class InvoiceLineSchema(Schema):
    po_line_id = RowId(required=True)
    item_id = fields.Integer(dump_only=True)
    quantity = ExactQuantity(positive=True, required=True)
    unit_price = ExactMoney(load_default=None, allow_none=True,
                            metadata={"description": "defaults to the order line's price"})
    amount = ExactMoney(dump_only=True)


class PaymentSchema(Schema):
    payment_id = fields.Integer()
    amount = ExactMoney()
    paid_on = fields.Date()
    reference = fields.String()


class InvoiceSchema(Schema):
    id = fields.Integer()
    invoice_number = fields.String()
    order_id = fields.Integer()
    po_id = fields.Integer()
    supplier_id = fields.Integer()
    school_id = fields.Integer()
    issued_on = fields.Date()
    total = ExactMoney()
    status = fields.String()
    submitted_at = fields.AwareDateTime()
    matched_amount = ExactMoney(allow_none=True)
    matched_at = fields.AwareDateTime(allow_none=True)
    dispute_reasons = fields.List(fields.String(), allow_none=True)
    disputed_at = fields.AwareDateTime(allow_none=True)
    paid_amount = ExactMoney()
    lines = fields.List(fields.Nested(InvoiceLineSchema))
    payments = fields.List(fields.Nested(PaymentSchema))


class NewInvoiceSchema(Schema):
    invoice_number = fields.String(required=True, validate=[validate.Length(min=1, max=60),
                                                            validate.Regexp(r"^[0-9A-Za-z\-]+$",
                                                                            error="letters, digits and dashes only")])
    issued_on = fields.Date(required=True)
    lines = fields.List(fields.Nested(InvoiceLineSchema), required=True, validate=validate.Length(min=1, max=500))


class InvoiceQuerySchema(PageQuerySchema):
    order_id = RowId()
    status = fields.String(validate=validate.OneOf(INVOICE_STATUSES))


SupplierPageSchema = page_schema(SupplierSchema)
UserPageSchema = page_schema(UserSchema)
DocumentPageSchema = page_schema(DocumentSchema)
NotificationPageSchema = page_schema(NotificationSchema)
OrderPageSchema = page_schema(OrderSchema)
RfqPageSchema = page_schema(RfqSchema)
QuotePageSchema = page_schema(QuoteSchema)
DeliveryNotePageSchema = page_schema(DeliveryNoteSchema)
InvoicePageSchema = page_schema(InvoiceSchema)


# --- six unifications and unified prices ----------------------------------------------------------

class DeclarationSchema(Schema):
    id = fields.Integer()
    supplier_id = fields.Integer()
    item_code = fields.String()
    statement = fields.String()
    status = fields.String()
    content_type = fields.String()
    size_bytes = fields.Integer()
    original_filename = fields.String()
    declared_at = fields.AwareDateTime()
    assessed_on = fields.Date(allow_none=True)
    assessment_note = fields.String(allow_none=True)


class DeclarationFormSchema(Schema):
    item = fields.String(required=True, validate=validate.Length(min=1, max=40))
    statement = Text(2000, required=True)


class AssessmentSchema(Schema):
    result = fields.String(required=True, validate=validate.OneOf(("accepted", "rejected")))
    assessed_on = fields.Date(required=True)
    note = fields.String(load_default=None, allow_none=True, validate=validate.Length(max=1000))


class ChecklistItemSchema(Schema):
    code = fields.String()
    name = fields.String()
    status = fields.String()
    declaration = fields.Nested(DeclarationSchema, allow_none=True)


class ComplianceSchema(Schema):
    supplier_id = fields.Integer()
    status = fields.String(metadata={"description": "compliant, pending or non_compliant"})
    items = fields.List(fields.Nested(ChecklistItemSchema))


class UnifiedPriceSchema(Schema):
    item_id = RowId(required=True)
    item_code = Text(40, required=True)
    unit_price = ExactMoney(positive=True, required=True)


class UnifiedPriceListSchema(Schema):
    id = fields.Integer()
    supplier_id = fields.Integer()
    effective_from = fields.Date()
    published_at = fields.AwareDateTime()
    lines = fields.List(fields.Nested(UnifiedPriceSchema))


class NewUnifiedPriceListSchema(Schema):
    effective_from = fields.Date(required=True)
    prices = fields.List(fields.Nested(UnifiedPriceSchema), required=True, validate=validate.Length(min=1, max=2000))


class UnifiedPriceQuerySchema(PageQuerySchema):
    supplier_id = RowId()


UnifiedPriceListPageSchema = page_schema(UnifiedPriceListSchema)


# --- scorecards -----------------------------------------------------------------------------------

class ScorecardSchema(Schema):
    id = fields.Integer()
    school_id = fields.Integer()
    supplier_id = fields.Integer()
    period_start = fields.Date()
    period_end = fields.Date()
    deliveries = fields.Integer()
    on_time_rate = ExactQuantity(metadata={"description": "percent"}, allow_none=True)
    acceptance_rate = ExactQuantity(metadata={"description": "percent: accepted ÷ delivered"}, allow_none=True)
    price_compliance_rate = ExactQuantity(allow_none=True,
                                          metadata={"description": "percent of invoice lines at the order price"})
    disputes = fields.Integer()
    rating = fields.String()
    comment = fields.String()
    rated_at = fields.AwareDateTime()
    suspended_supplier = fields.Boolean()


class NewScorecardSchema(Schema):
    period_start = fields.Date(required=True)
    period_end = fields.Date(required=True)
    rating = fields.String(required=True, validate=validate.OneOf(("satisfactory", "unsatisfactory")))
    comment = fields.String(load_default="", validate=validate.Length(max=2000))


class ScorecardQuerySchema(PageQuerySchema):
    supplier_id = RowId()


ScorecardPageSchema = page_schema(ScorecardSchema)
