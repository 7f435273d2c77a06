from decimal import Decimal

from marshmallow import Schema, fields, validate

from shared.fields import Money, Quantity, RowId
from shared.pagination import PageQuerySchema, page_schema

from .inspection import DOCUMENTS
from .models import MEALS, MOVEMENT_KINDS

Rate = lambda **kw: fields.Decimal(as_string=True, **kw)  # noqa: E731
Id = lambda **kw: RowId(strict=True, **kw)  # noqa: E731
# query strings are text: their ids cannot be strict integers
QueryId = RowId
# Bounds that keep every sum of the ledger inside its integer columns: 10,000 tonnes of a
# kilogram item per line at up to ¥100,000 a unit.
MAX_QUANTITY, MAX_UNIT_PRICE = Decimal("10000000"), Decimal("100000")


def LineQuantity(*, positive: bool = True, **kwargs):  # noqa: N802 (a field factory, like shared.fields)
    return Quantity(validate=validate.Range(min=Decimal("0.001") if positive else Decimal(0), max=MAX_QUANTITY),
                    **kwargs)


def UnitPrice(**kwargs):  # noqa: N802
    return Money(validate=validate.Range(min=Decimal(0), max=MAX_UNIT_PRICE), **kwargs)


SOURCE_TYPES = ("receipt", "issue", "transfer", "waste", "stocktake", "inspection", "store_sale", "supplier_return")


def _lines(line_schema, **kwargs):
    return fields.List(fields.Nested(line_schema), required=True, validate=validate.Length(min=1, max=200), **kwargs)


class LocationSchema(Schema):
    id = fields.Integer()
    code = fields.String()
    name = fields.String()
    kind = fields.String()
    expiry_alert_days = fields.Integer(allow_none=True)


class ExpiryAlertDaysSchema(Schema):
    # None: back to the default horizon
    expiry_alert_days = fields.Integer(required=True, allow_none=True, strict=True,
                                       validate=validate.Range(min=0, max=365))


class ItemSchema(Schema):
    id = fields.Integer()
    code = fields.String()
    name = fields.String()
    name_en = fields.String(allow_none=True)
    category = fields.String()
    base_unit = fields.String()
    shelf_life_days = fields.Integer(allow_none=True)
    restricted = fields.Boolean()
    active = fields.Boolean()
    synced_at = fields.AwareDateTime()


class LotSchema(Schema):
    id = fields.Integer()
    item_id = fields.Integer()
    lot_number = fields.String()
    production_date = fields.Date(allow_none=True)
    expiry_date = fields.Date(allow_none=True)
    supplier_id = fields.Integer(allow_none=True)
    delivery_reference = fields.String(allow_none=True)
    received_at = fields.AwareDateTime()


class MovementSchema(Schema):
    id = fields.Integer()
    item_id = fields.Integer()
    location_id = fields.Integer()
    lot_id = fields.Integer()
    lot_number = fields.String(attribute="lot.lot_number")
    expiry_date = fields.Date(attribute="lot.expiry_date", allow_none=True)
    kind = fields.String()
    quantity = Quantity()
    value = Money()
    lot_balance = Quantity()
    balance_quantity = Quantity()
    balance_value = Money()
    valuation_rate = Rate()
    actor = fields.String()
    occurred_at = fields.AwareDateTime()
    source_type = fields.String()
    source_id = fields.Integer()


MovementPageSchema = page_schema(MovementSchema)


class ReceiptLineSchema(Schema):
    item_id = Id(required=True)
    quantity = LineQuantity(required=True)
    unit_price = UnitPrice(required=True)
    lot_number = fields.String(required=True, validate=validate.Length(min=1, max=64))
    production_date = fields.Date(load_default=None, allow_none=True)
    expiry_date = fields.Date(load_default=None, allow_none=True)


class ReceiptSchema(Schema):
    id = fields.Integer(dump_only=True)
    location_id = Id(required=True)
    supplier_id = Id(load_default=None, allow_none=True)
    delivery_reference = fields.String(load_default=None, allow_none=True, validate=validate.Length(max=64))
    note = fields.String(load_default=None, allow_none=True, validate=validate.Length(max=500))
    lines = _lines(ReceiptLineSchema, load_only=True)
    created_by = fields.String(dump_only=True)
    created_at = fields.AwareDateTime(dump_only=True)
    movements = fields.List(fields.Nested(MovementSchema), dump_only=True)


class ItemQuantitySchema(Schema):
    item_id = Id(required=True)
    quantity = LineQuantity(required=True)


class IssueSchema(Schema):
    id = fields.Integer(dump_only=True)
    location_id = Id(required=True)
    meal_date = fields.Date(required=True)
    meal = fields.String(required=True, validate=validate.OneOf(MEALS))
    lines = _lines(ItemQuantitySchema, load_only=True)
    created_by = fields.String(dump_only=True)
    created_at = fields.AwareDateTime(dump_only=True)
    movements = fields.List(fields.Nested(MovementSchema), dump_only=True)


class TransferLineSchema(ItemQuantitySchema):
    lot_id = Id(load_default=None, allow_none=True)


class TransferSchema(Schema):
    id = fields.Integer(dump_only=True)
    from_location_id = Id(required=True)
    to_location_id = Id(required=True)
    lines = _lines(TransferLineSchema, load_only=True)
    created_by = fields.String(dump_only=True)
    created_at = fields.AwareDateTime(dump_only=True)
    movements = fields.List(fields.Nested(MovementSchema), dump_only=True)


class WasteLineSchema(ItemQuantitySchema):
    lot_id = Id(required=True)


class WasteSchema(Schema):
    id = fields.Integer(dump_only=True)
    location_id = Id(required=True)
    reason = fields.String(required=True, validate=validate.Length(min=1, max=500))
    lines = _lines(WasteLineSchema, load_only=True)
    created_by = fields.String(dump_only=True)
    created_at = fields.AwareDateTime(dump_only=True)
    movements = fields.List(fields.Nested(MovementSchema), dump_only=True)


class StocktakeLineSchema(Schema):
    id = fields.Integer()
    item_id = fields.Integer()
    lot_id = fields.Integer()
    lot_number = fields.String(attribute="lot.lot_number")
    expiry_date = fields.Date(attribute="lot.expiry_date", allow_none=True)
    expected_quantity = Quantity()
    counted_quantity = Quantity(allow_none=True)
    variance = fields.Decimal(as_string=True, allow_none=True)
    adjustment_quantity = fields.Decimal(as_string=True, allow_none=True)


class StocktakeSchema(Schema):
    id = fields.Integer(dump_only=True)
    location_id = Id(required=True)
    status = fields.String(dump_only=True)
    created_by = fields.String(dump_only=True)
    created_at = fields.AwareDateTime(dump_only=True)
    decided_by = fields.String(dump_only=True, allow_none=True)
    decided_at = fields.AwareDateTime(dump_only=True, allow_none=True)
    lines = fields.List(fields.Nested(StocktakeLineSchema), dump_only=True)
    movements = fields.List(fields.Nested(MovementSchema), dump_only=True)


class CountSchema(Schema):
    line_id = Id(required=True)
    counted_quantity = LineQuantity(positive=False, required=True)


class CountsSchema(Schema):
    lines = _lines(CountSchema)


class CancelSchema(Schema):
    reason = fields.String(load_default=None, allow_none=True, validate=validate.Length(max=500))


class StockQuerySchema(Schema):
    location_id = QueryId(load_default=None)
    item_id = QueryId(load_default=None)


class OnHandLotSchema(Schema):
    lot_id = fields.Integer()
    lot_number = fields.String()
    production_date = fields.Date(allow_none=True)
    expiry_date = fields.Date(allow_none=True)
    supplier_id = fields.Integer(allow_none=True)
    quantity = Quantity()
    expired = fields.Boolean()


class OnHandSchema(Schema):
    location_id = fields.Integer()
    location_code = fields.String()
    item_id = fields.Integer()
    item_code = fields.String()
    item_name = fields.String()
    base_unit = fields.String()
    restricted = fields.Boolean()
    quantity = Quantity()
    value = Money()
    valuation_rate = Rate()
    lots = fields.List(fields.Nested(OnHandLotSchema))


class ValuationQuerySchema(Schema):
    location_id = QueryId(load_default=None)


class ValuationLineSchema(Schema):
    location_id = fields.Integer()
    location_code = fields.String()
    item_id = fields.Integer()
    item_code = fields.String()
    item_name = fields.String()
    category = fields.String()
    restricted = fields.Boolean()
    quantity = Quantity()
    value = Money()
    valuation_rate = Rate()


class LocationValueSchema(Schema):
    location_id = fields.Integer()
    value = Money()


class ValuationReportSchema(Schema):
    lines = fields.List(fields.Nested(ValuationLineSchema))
    locations = fields.List(fields.Nested(LocationValueSchema))
    total_value = Money()


class LedgerQuerySchema(PageQuerySchema):
    item_id = QueryId(load_default=None)
    location_id = QueryId(load_default=None)
    lot_id = QueryId(load_default=None)
    kind = fields.String(load_default=None, validate=validate.OneOf(MOVEMENT_KINDS))
    source_type = fields.String(load_default=None, validate=validate.OneOf(SOURCE_TYPES))
    source_id = QueryId(load_default=None)
    occurred_from = fields.AwareDateTime(load_default=None)
    occurred_to = fields.AwareDateTime(load_default=None)
    sort = fields.String(load_default="id", validate=validate.OneOf(("id", "-id")))


class ExpectedLineSchema(Schema):
    po_line_id = fields.Integer()
    item_id = fields.Integer()
    item_code = fields.String(attribute="item.code")
    item_name = fields.String(attribute="item.name")
    quantity = Quantity()
    unit_price = Money()
    delivery_date = fields.Date()
    destination = fields.String()
    accepted_quantity = Quantity()
    rejected_quantity = Quantity()


class DeliveryNoteLineSchema(Schema):
    po_line_id = fields.Integer()
    item_id = fields.Integer()
    quantity = Quantity()
    lot_number = fields.String()
    production_date = fields.Date()
    expiry_date = fields.Date(allow_none=True)
    certificate_ref = fields.String()


class DeliveryNoteSchema(Schema):
    delivery_note_id = fields.Integer()
    number = fields.String()
    planned_at = fields.AwareDateTime()
    lines = fields.List(fields.Nested(DeliveryNoteLineSchema))


class ExpectedReceiptSchema(Schema):
    id = fields.Integer()
    po_id = fields.Integer()
    po_number = fields.String()
    po_revision = fields.Integer()
    supplier_id = fields.Integer()
    status = fields.String()
    cancelled_at = fields.AwareDateTime(allow_none=True)
    cancel_reason = fields.String(allow_none=True)
    closed_at = fields.AwareDateTime(allow_none=True)
    close_reason = fields.String(allow_none=True)
    lines = fields.List(fields.Nested(ExpectedLineSchema))
    delivery_notes = fields.List(fields.Nested(DeliveryNoteSchema))


class InspectionLineSchema(Schema):
    po_line_id = Id(required=True)
    item_id = fields.Integer(dump_only=True)
    accepted_quantity = LineQuantity(positive=False, required=True)
    rejected_quantity = LineQuantity(positive=False, load_default=Decimal(0))
    rejection_reason = fields.String(load_default="", validate=validate.Length(max=500))
    lot_id = fields.Integer(dump_only=True, allow_none=True)
    lot_number = fields.String(load_default="", validate=validate.Length(max=64))
    production_date = fields.Date(load_default=None, allow_none=True)
    shelf_life_days = fields.Integer(load_default=None, allow_none=True, strict=True,
                                     validate=validate.Range(min=1, max=36500))
    expiry_date = fields.Date(load_default=None, allow_none=True)
    unit_price = Money(dump_only=True)


class InspectionSchema(Schema):
    id = fields.Integer(dump_only=True)
    expected_receipt_id = fields.Integer(dump_only=True)
    delivery_note_id = Id(load_default=None, allow_none=True)
    location_id = fields.Integer(dump_only=True)
    supplier_id = fields.Integer(dump_only=True)
    received_at = fields.AwareDateTime(load_default=None, allow_none=True)
    inspectors = fields.List(fields.String(validate=validate.Length(min=1, max=64)), required=True,
                             validate=validate.Length(min=1, max=5))
    documents_checked = fields.List(fields.String(validate=validate.OneOf(DOCUMENTS)), required=True,
                                    validate=validate.Length(max=len(DOCUMENTS)))
    lines = fields.List(fields.Nested(InspectionLineSchema), required=True, validate=validate.Length(min=1, max=200))
    recorded_by = fields.String(dump_only=True)
    created_at = fields.AwareDateTime(dump_only=True)
    movements = fields.List(fields.Nested(MovementSchema), dump_only=True)


class ReorderRuleSchema(Schema):
    id = fields.Integer(dump_only=True)
    item_id = Id(required=True)
    location_id = Id(required=True)
    minimum = LineQuantity(positive=False, required=True)
    maximum = LineQuantity(positive=False, required=True)
    multiple = LineQuantity(required=True)
    below_since = fields.AwareDateTime(dump_only=True, allow_none=True)


class ExpiringQuerySchema(Schema):
    within_days = fields.Integer(load_default=3, validate=validate.Range(min=0, max=365))
    location_id = QueryId(load_default=None)


class ExpiringLotSchema(Schema):
    location_id = fields.Integer()
    location_code = fields.String()
    item_id = fields.Integer()
    item_code = fields.String()
    item_name = fields.String()
    lot_id = fields.Integer()
    lot_number = fields.String()
    expiry_date = fields.Date()
    days_left = fields.Integer()
    expired = fields.Boolean()
    quantity = Quantity()


class ExpiryAlertQuerySchema(Schema):
    # default: the school's today
    alert_date = fields.Date(load_default=None)
    location_id = QueryId(load_default=None)


class ExpiryAlertSchema(Schema):
    id = fields.Integer()
    alert_date = fields.Date()
    location_id = fields.Integer()
    location_code = fields.String(attribute="location.code")
    item_id = fields.Integer()
    item_code = fields.String(attribute="item.code")
    item_name = fields.String(attribute="item.name")
    lot_id = fields.Integer()
    lot_number = fields.String(attribute="lot.lot_number")
    expiry_date = fields.Date()
    days_left = fields.Integer()
    expired = fields.Function(lambda alert: alert.days_left < 0)
    quantity = Quantity()
    created_at = fields.DateTime()


class UnifiedPriceSchema(Schema):
    item_id = fields.Integer()
    supplier_id = fields.Integer()
    unit_price = Money()
    effective_from = fields.Date()


class StoreSaleLineSchema(Schema):
    item_id = fields.Integer()
    quantity = Quantity()
    unit_price = Money()
    amount = Money()
    restricted = fields.Boolean()


class StoreSaleSchema(Schema):
    id = fields.Integer(dump_only=True)
    location_id = Id(required=True)
    lines = _lines(ItemQuantitySchema, load_only=True)
    sold = fields.List(fields.Nested(StoreSaleLineSchema), attribute="lines", dump_only=True)
    revenue = Money(dump_only=True)
    created_by = fields.String(dump_only=True)
    created_at = fields.AwareDateTime(dump_only=True)
    movements = fields.List(fields.Nested(MovementSchema), dump_only=True)


class SupplierReturnSchema(WasteSchema):
    supplier_id = Id(required=True)
