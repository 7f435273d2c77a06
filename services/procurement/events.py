"""Payloads of the events procurement produces (DESIGN.md §3). This module is the contract:
consumers load these schemas, so a change here is a change for them too.

Quantities are in the item's base unit; unit prices are per base unit, in yuan.
"""
from marshmallow import Schema, fields, validate

from shared.events import SUPPLIER_CATEGORIES, payload_schema
from shared.fields import Money, Quantity

DEMAND_POINT_CODES = ("DH1", "DH2", "DH3", "CSR", "STORE")


class ItemRef(Schema):
    item_id = fields.Integer(required=True)
    item_code = fields.String(required=True)
    item_name = fields.String(required=True)
    specification = fields.String(load_default="")
    category = fields.String(required=True)
    unit = fields.String(required=True)


@payload_schema("supplier.invited")
class SupplierInvited(Schema):
    invitation_id = fields.Integer(required=True)
    school_id = fields.Integer(required=True)
    company_name = fields.String(required=True, validate=validate.Length(min=1, max=200))
    contact_email = fields.Email(required=True)
    categories = fields.List(fields.String(validate=validate.OneOf(SUPPLIER_CATEGORIES)), required=True)


class RfqLine(ItemRef):
    rfq_line_id = fields.Integer(required=True)
    quantity = Quantity(required=True, positive=True)
    delivery_date = fields.Date(required=True)


@payload_schema("rfq.issued")
class RfqIssued(Schema):
    rfq_id = fields.Integer(required=True)
    school_id = fields.Integer(required=True)
    number = fields.String(required=True)
    title = fields.String(required=True)
    # Each invited supplier sees the RFQ, never who else was invited.
    supplier_ids = fields.List(fields.Integer(), required=True, validate=validate.Length(min=1))
    quote_deadline = fields.AwareDateTime(required=True)
    lines = fields.List(fields.Nested(RfqLine), required=True, validate=validate.Length(min=1))


class QuoteOutcome(Schema):
    """One invited supplier's outcome: its own quote and its own awarded lines, nobody else's."""

    supplier_id = fields.Integer(required=True)
    quote_id = fields.Integer(allow_none=True, load_default=None)  # the portal's quote id; None: no quote
    awarded_rfq_line_ids = fields.List(fields.Integer(), required=True)


@payload_schema("rfq.awarded")
class RfqAwarded(Schema):
    rfq_id = fields.Integer(required=True)
    school_id = fields.Integer(required=True)
    awarded_at = fields.AwareDateTime(required=True)
    outcomes = fields.List(fields.Nested(QuoteOutcome), required=True, validate=validate.Length(min=1))


class PoLine(ItemRef):
    po_line_id = fields.Integer(required=True)
    quantity = Quantity(required=True, positive=True)
    unit_price = Money(required=True)
    delivery_date = fields.Date(required=True)
    destination = fields.String(required=True, validate=validate.OneOf(DEMAND_POINT_CODES))


@payload_schema("po.sent")
class PoSent(Schema):
    """Sent again, with a higher revision, when a sent order is amended."""

    po_id = fields.Integer(required=True)
    school_id = fields.Integer(required=True)
    number = fields.String(required=True)
    revision = fields.Integer(required=True, validate=validate.Range(min=1))
    supplier_id = fields.Integer(required=True)
    total = Money(required=True)
    sent_at = fields.AwareDateTime(required=True)
    lines = fields.List(fields.Nested(PoLine), required=True, validate=validate.Length(min=1))


class OrderEnded(Schema):
    """A sent order that procurement ended, and why."""

    po_id = fields.Integer(required=True)
    school_id = fields.Integer(required=True)
    revision = fields.Integer(required=True, validate=validate.Range(min=1))
    supplier_id = fields.Integer(required=True)
    reason = fields.String(required=True, validate=validate.Length(min=1))


@payload_schema("po.cancelled")
class PoCancelled(OrderEnded):
    cancelled_at = fields.AwareDateTime(required=True)


@payload_schema("po.closed")
class PoClosed(OrderEnded):
    closed_at = fields.AwareDateTime(required=True)


@payload_schema("invoice.matched")
class InvoiceMatched(Schema):
    invoice_id = fields.Integer(required=True)  # the portal's invoice id
    po_id = fields.Integer(required=True)
    supplier_id = fields.Integer(required=True)
    amount = Money(required=True)
    matched_at = fields.AwareDateTime(required=True)


@payload_schema("invoice.disputed")
class InvoiceDisputed(Schema):
    invoice_id = fields.Integer(required=True)
    po_id = fields.Integer(required=True)
    supplier_id = fields.Integer(required=True)
    reasons = fields.List(fields.String(), required=True, validate=validate.Length(min=1))
    disputed_at = fields.AwareDateTime(required=True)


@payload_schema("payment.recorded")
class PaymentRecorded(Schema):
    payment_id = fields.Integer(required=True)
    invoice_id = fields.Integer(required=True)
    po_id = fields.Integer(required=True)
    supplier_id = fields.Integer(required=True)
    amount = Money(required=True, positive=True)
    paid_on = fields.Date(required=True)
    reference = fields.String(load_default="")
