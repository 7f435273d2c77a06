from flask_smorest.fields import Upload
from marshmallow import Schema, ValidationError, fields, validate, validates

from shared.fields import Money as ExactMoney
from shared.fields import Quantity as ExactQuantity

from .credit_code import credit_code_problem
from .documents import DOCUMENT_KINDS, DOCUMENT_STATUSES
from .registration import CATEGORIES

SUPPLIER_STATUSES = ("pending", "approved", "rejected", "suspended")
PHONE = validate.Regexp(r"^\+?[0-9][0-9 \-]{5,30}$", error="must be a telephone number")
Text = lambda maximum, **kw: fields.String(validate=validate.Length(min=1, max=maximum), **kw)  # noqa: E731


class SupplierSchema(Schema):
    id = fields.Integer(dump_only=True)
    name = fields.String()
    credit_code = fields.String()
    address = fields.String()
    contact_name = fields.String()
    contact_phone = fields.String()
    contact_email = fields.Email()
    categories = fields.List(fields.String())
    status = fields.String()
    status_reason = fields.String()
    status_changed_at = fields.AwareDateTime()
    invited_by_school_id = fields.Integer()
    registered_at = fields.AwareDateTime()
    created_at = fields.AwareDateTime()


class SupplierQuerySchema(Schema):
    status = fields.String(validate=validate.OneOf(SUPPLIER_STATUSES))
    page = fields.Integer(load_default=1, validate=validate.Range(min=1))
    per_page = fields.Integer(load_default=50, validate=validate.Range(min=1, max=200))


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
    reviewed_at = fields.AwareDateTime()
    review_note = fields.String()


class DocumentFormSchema(Schema):
    kind = fields.String(required=True, validate=validate.OneOf(DOCUMENT_KINDS))
    number = Text(100, required=True)
    expires_on = fields.Date(required=True)


class DocumentFileSchema(Schema):
    file = Upload(required=True)


class DocumentQuerySchema(Schema):
    supplier_id = fields.Integer()
    status = fields.String(validate=validate.OneOf(DOCUMENT_STATUSES))


class DocumentReviewSchema(Schema):
    note = fields.String(validate=validate.Length(max=1000))


class NotificationSchema(Schema):
    id = fields.Integer()
    kind = fields.String()
    message = fields.String()
    created_at = fields.AwareDateTime()
    read_at = fields.AwareDateTime()


class NotificationQuerySchema(Schema):
    unread = fields.Boolean(load_default=False)


ORDER_STATUSES = ("sent", "acknowledged", "declined")


class OrderLineSchema(Schema):
    po_line_id = fields.Integer()
    item_code = fields.String()
    item_name = fields.String()
    specification = fields.String()
    unit = fields.String()
    quantity = ExactQuantity()
    unit_price = ExactMoney()
    delivery_date = fields.Date()
    destination = fields.String()


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
    responded_at = fields.AwareDateTime()
    decline_reason = fields.String()
    lines = fields.List(fields.Nested(OrderLineSchema))


class OrderQuerySchema(Schema):
    status = fields.String(validate=validate.OneOf(ORDER_STATUSES))


class AcknowledgeSchema(Schema):
    revision = fields.Integer(required=True, validate=validate.Range(min=1))


class DeclineSchema(AcknowledgeSchema):
    reason = Text(1000, required=True)
