"""Payloads of the events the supplier portal produces (DESIGN.md §3): the contract its
consumers load. Quantities are in the item's base unit; prices per base unit, in yuan."""
from marshmallow import Schema, fields, validate

from shared.events import SUPPLIER_CATEGORIES, payload_schema
from shared.fields import Money, Quantity


class QuoteLine(Schema):
    rfq_line_id = fields.Integer(required=True)
    item_id = fields.Integer(required=True)
    unit_price = Money(required=True, positive=True)
    note = fields.String(load_default="")


@payload_schema("quote.submitted")
class QuoteSubmitted(Schema):
    quote_id = fields.Integer(required=True)
    rfq_id = fields.Integer(required=True)
    supplier_id = fields.Integer(required=True)
    submitted_at = fields.AwareDateTime(required=True)
    valid_until = fields.Date(required=True)
    lines = fields.List(fields.Nested(QuoteLine), required=True, validate=validate.Length(min=1))


@payload_schema("po.acknowledged")
class PoAcknowledged(Schema):
    po_id = fields.Integer(required=True)
    revision = fields.Integer(required=True)
    supplier_id = fields.Integer(required=True)
    acknowledged_at = fields.AwareDateTime(required=True)


@payload_schema("po.declined")
class PoDeclined(Schema):
    po_id = fields.Integer(required=True)
    revision = fields.Integer(required=True)
    supplier_id = fields.Integer(required=True)
    reason = fields.String(required=True, validate=validate.Length(min=1))
    declined_at = fields.AwareDateTime(required=True)


class DeliveryLine(Schema):
    po_line_id = fields.Integer(required=True)
    item_id = fields.Integer(required=True)
    quantity = Quantity(required=True, positive=True)
    lot_number = fields.String(required=True, validate=validate.Length(min=1, max=64))
    production_date = fields.Date(required=True)
    expiry_date = fields.Date(load_default=None)
    certificate_ref = fields.String(load_default="")


@payload_schema("delivery.dispatched")
class DeliveryDispatched(Schema):
    delivery_note_id = fields.Integer(required=True)
    po_id = fields.Integer(required=True)
    supplier_id = fields.Integer(required=True)
    school_id = fields.Integer(required=True)
    number = fields.String(required=True)
    planned_at = fields.AwareDateTime(required=True)
    lines = fields.List(fields.Nested(DeliveryLine), required=True, validate=validate.Length(min=1))


class InvoiceLine(Schema):
    po_line_id = fields.Integer(required=True)
    quantity = Quantity(required=True, positive=True)
    unit_price = Money(required=True)


@payload_schema("invoice.submitted")
class InvoiceSubmitted(Schema):
    invoice_id = fields.Integer(required=True)
    po_id = fields.Integer(required=True)
    supplier_id = fields.Integer(required=True)
    school_id = fields.Integer(required=True)
    invoice_number = fields.String(required=True)
    issued_on = fields.Date(required=True)
    total = Money(required=True)
    lines = fields.List(fields.Nested(InvoiceLine), required=True, validate=validate.Length(min=1))
    submitted_at = fields.AwareDateTime(required=True)
    # inventory's receipts of the invoiced lines that the portal knew when the invoice was sent: the
    # accepted quantities the supplier invoiced against, which procurement must have applied to match it
    receipt_ids = fields.List(fields.Integer(), required=True)


@payload_schema("supplier.approved")
class SupplierApproved(Schema):
    """Also sent when a suspension is lifted."""

    supplier_id = fields.Integer(required=True)
    name = fields.String(required=True)
    categories = fields.List(fields.String(validate=validate.OneOf(SUPPLIER_CATEGORIES)), required=True)
    approved_at = fields.AwareDateTime(required=True)


@payload_schema("supplier.suspended")
class SupplierSuspended(Schema):
    supplier_id = fields.Integer(required=True)
    reason = fields.String(required=True)
    suspended_at = fields.AwareDateTime(required=True)


class UnifiedPrice(Schema):
    item_id = fields.Integer(required=True)
    item_code = fields.String(required=True)
    unit_price = Money(required=True, positive=True)


@payload_schema("unified_prices.published")
class UnifiedPricesPublished(Schema):
    supplier_id = fields.Integer(required=True)
    effective_from = fields.Date(required=True)
    prices = fields.List(fields.Nested(UnifiedPrice), required=True, validate=validate.Length(min=1))
