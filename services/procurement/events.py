"""Payloads of the events procurement produces (DESIGN.md §3)."""
from marshmallow import Schema, fields, validate

from shared.events import payload_schema

SUPPLIER_CATEGORIES = ("bulk_grain_oil", "vegetables", "meat_eggs", "coal", "store_goods")


@payload_schema("supplier.invited")
class SupplierInvited(Schema):
    invitation_id = fields.Integer(required=True)
    school_id = fields.Integer(required=True)
    company_name = fields.String(required=True, validate=validate.Length(min=1, max=200))
    contact_email = fields.Email(required=True)
    categories = fields.List(fields.String(validate=validate.OneOf(SUPPLIER_CATEGORIES)), required=True)
