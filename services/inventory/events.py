"""Payloads of the events inventory produces (DESIGN.md §3): the contract its consumers load.
Quantities are in the item's base unit."""
from marshmallow import Schema, fields, validate

from shared.events import payload_schema
from shared.fields import Quantity


class ReceivedLine(Schema):
    po_line_id = fields.Integer(required=True)
    item_id = fields.Integer(required=True)
    accepted_quantity = Quantity(required=True)
    rejected_quantity = Quantity(required=True)
    rejection_reason = fields.String(load_default="")
    lot_number = fields.String(load_default="")
    production_date = fields.Date(load_default=None)
    expiry_date = fields.Date(load_default=None)


@payload_schema("goods.received")
class GoodsReceived(Schema):
    receipt_id = fields.Integer(required=True)
    po_id = fields.Integer(required=True)
    supplier_id = fields.Integer(required=True)
    school_id = fields.Integer(required=True)
    delivery_note_id = fields.Integer(load_default=None)
    location_code = fields.String(required=True)
    received_at = fields.AwareDateTime(required=True)
    inspectors = fields.List(fields.String(), required=True, validate=validate.Length(min=1))
    lines = fields.List(fields.Nested(ReceivedLine), required=True, validate=validate.Length(min=1))


@payload_schema("stock.below_reorder")
class StockBelowReorder(Schema):
    school_id = fields.Integer(required=True)
    location_code = fields.String(required=True)
    item_id = fields.Integer(required=True)
    on_hand = Quantity(required=True)
    minimum = Quantity(required=True)
    maximum = Quantity(required=True)
    suggested_quantity = Quantity(required=True, positive=True)
    detected_at = fields.AwareDateTime(required=True)
