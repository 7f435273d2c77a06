from marshmallow import Schema, fields, validate

SUPPLIER_STATUSES = ("pending", "approved", "rejected", "suspended")


class SupplierSchema(Schema):
    id = fields.Integer(dump_only=True)
    name = fields.String()
    contact_email = fields.Email()
    categories = fields.List(fields.String())
    status = fields.String()
    created_at = fields.AwareDateTime()


class SupplierQuerySchema(Schema):
    status = fields.String(validate=validate.OneOf(SUPPLIER_STATUSES))
    page = fields.Integer(load_default=1, validate=validate.Range(min=1))
    per_page = fields.Integer(load_default=50, validate=validate.Range(min=1, max=200))
