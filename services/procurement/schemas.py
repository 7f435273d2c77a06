"""Request and response schemas of procurement's API (money and quantities as exact strings)."""
from datetime import date
from decimal import Decimal

from marshmallow import Schema, ValidationError, fields, validate, validates_schema

from shared import tabular
from shared.events import SUPPLIER_CATEGORIES
from shared.fields import Money, Quantity, RowId
from shared.pagination import PageQuerySchema, page_schema

from .catalogue import item_units
from .models import BULK_CATEGORIES, DEMAND_POINT_KINDS, ITEM_CATEGORIES, PRICE_RULE_KINDS, PRICE_SOURCES


class LoginSchema(Schema):
    username = fields.String(required=True, validate=validate.Length(min=1, max=64))
    password = fields.String(required=True, load_only=True, validate=validate.Length(min=1, max=200))


class TokenSchema(Schema):
    access_token = fields.String(required=True)
    token_type = fields.String(required=True)
    expires_in = fields.Integer(required=True)


class InvitationSchema(Schema):
    id = fields.Integer(dump_only=True)
    company_name = fields.String(required=True, validate=validate.Length(min=1, max=200))
    contact_email = fields.Email(required=True)
    categories = fields.List(fields.String(validate=validate.OneOf(SUPPLIER_CATEGORIES)), required=True,
                             validate=validate.Length(min=1))
    created_at = fields.AwareDateTime(dump_only=True)


# --- catalogue ------------------------------------------------------------------------------------

class ItemSchema(Schema):
    id = fields.Integer(dump_only=True)
    code = fields.String(required=True, validate=validate.Regexp(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,31}$"))
    name_zh = fields.String(required=True, validate=validate.Length(min=1, max=100))
    name_en = fields.String(required=True, validate=validate.Length(min=1, max=100))
    category = fields.String(required=True, validate=validate.OneOf(ITEM_CATEGORIES))
    specification = fields.String(load_default="", validate=validate.Length(max=200))
    base_unit = fields.String(required=True, validate=validate.Length(min=1, max=16))
    packaging = fields.Dict(keys=fields.String(validate=validate.Length(min=1, max=16)),
                            values=Quantity(validate=validate.Range(min=Decimal("0.001"), max=10**9)),
                            load_default=dict, validate=validate.Length(max=10))
    shelf_life_days = fields.Integer(load_default=None, allow_none=True, validate=validate.Range(min=1, max=3650))
    restricted_food = fields.Boolean(load_default=False)
    active = fields.Boolean(load_default=True)
    units = fields.Method("_units", dump_only=True)
    version = fields.Integer(dump_only=True)
    bulk = fields.Method("_bulk", dump_only=True)

    def _units(self, item):
        return item_units(item)

    def _bulk(self, item):
        return item.category in BULK_CATEGORIES


class ItemUpdateSchema(ItemSchema):
    """Any subset of an item's fields (used with partial=True, so no defaults fill the rest)."""

    @validates_schema
    def _something(self, data, **kwargs):
        if not data:
            raise ValidationError("give at least one field to change")


class ItemQuery(PageQuerySchema):
    category = fields.String(validate=validate.OneOf(ITEM_CATEGORIES))
    q = fields.String(validate=validate.Length(min=1, max=100))
    restricted_food = fields.Boolean()
    active = fields.Boolean()
    bulk = fields.Boolean()


class ReferencePriceSchema(Schema):
    id = fields.Integer(dump_only=True)
    item_id = fields.Integer(dump_only=True)
    price = Money(required=True, positive=True)
    effective_from = fields.Date(required=True)
    source = fields.String(required=True, validate=validate.OneOf(PRICE_SOURCES))
    note = fields.String(load_default="", validate=validate.Length(max=200))
    created_by = fields.String(dump_only=True)


class PriceRuleSchema(Schema):
    id = fields.Integer(dump_only=True)
    category = fields.String(required=True, validate=validate.OneOf(ITEM_CATEGORIES))
    item_id = RowId(load_default=None, allow_none=True)
    kind = fields.String(required=True, validate=validate.OneOf(PRICE_RULE_KINDS))
    rate = Quantity(load_default=Decimal(0), validate=validate.Range(min=0, max=10))


class PriceCheckQuery(Schema):
    on = fields.Date(load_default=None)
    unit = fields.String(load_default=None, validate=validate.Length(min=1, max=16))


class PriceCheckSchema(Schema):
    item_id = fields.Integer()
    unit = fields.String()
    reference = Money()
    source = fields.String()
    kind = fields.String()
    rate = fields.Decimal(as_string=True)
    limit = Money()


# --- demand ---------------------------------------------------------------------------------------

REQUISITION_STATES = ("draft", "submitted", "approved", "rejected", "consolidated")
DEMAND_POINT_CODES = ("DH1", "DH2", "DH3", "CSR", "STORE")


class DemandPointSchema(Schema):
    id = fields.Integer()
    code = fields.String()
    name = fields.String()
    kind = fields.String(validate=validate.OneOf(DEMAND_POINT_KINDS))


class RequisitionLineSchema(Schema):
    id = fields.Integer(dump_only=True)
    item_id = RowId(required=True)
    quantity = Quantity(required=True, positive=True, data_key="quantity", attribute="entered_quantity")
    unit = fields.String(load_default=None, attribute="entered_unit", validate=validate.Length(min=1, max=16))
    base_quantity = Quantity(dump_only=True, attribute="quantity")
    base_unit = fields.Function(lambda line: line.item.base_unit, dump_only=True)
    needed_by = fields.Date(required=True)


class RequisitionSchema(Schema):
    id = fields.Integer(dump_only=True)
    demand_point = fields.String(required=True, validate=validate.OneOf(DEMAND_POINT_CODES))
    state = fields.String(dump_only=True)
    source = fields.String(dump_only=True)
    note = fields.String(load_default="", validate=validate.Length(max=500))
    created_by = fields.String(dump_only=True)
    created_at = fields.AwareDateTime(dump_only=True)
    decided_by = fields.String(dump_only=True, allow_none=True)
    decision_reason = fields.String(dump_only=True, allow_none=True)
    version = fields.Integer(dump_only=True)
    lines = fields.List(fields.Nested(RequisitionLineSchema), required=True, validate=validate.Length(min=1, max=200))


class RequisitionOutSchema(RequisitionSchema):
    demand_point = fields.Function(lambda r: r.demand_point.code)


class MenuQuery(PageQuerySchema):
    demand_point = fields.String(validate=validate.OneOf(DEMAND_POINT_CODES))
    week_start = fields.Date(load_default=None)


class RequisitionQuery(PageQuerySchema):
    state = fields.String(validate=validate.OneOf(REQUISITION_STATES))
    demand_point = fields.String(validate=validate.OneOf(DEMAND_POINT_CODES))


class RevisedLineSchema(Schema):
    """A draft requisition line as the manager corrects it; a quantity of 0 drops the line."""

    quantity = Quantity(required=True)
    needed_by = fields.Date(required=True)


class ReasonSchema(Schema):
    reason = fields.String(load_default=None, allow_none=True, validate=validate.Length(max=1000))


class AuditSchema(Schema):
    action = fields.String()
    from_state = fields.String()
    to_state = fields.String()
    actor = fields.String()
    reason = fields.String(allow_none=True)
    at = fields.AwareDateTime()


# --- consolidation --------------------------------------------------------------------------------

class PlanRequestSchema(Schema):
    window_start = fields.Date(required=True)
    window_end = fields.Date(required=True)
    window_days = fields.Integer(load_default=7, validate=validate.Range(min=1, max=31))


class PlanLineSourceSchema(Schema):
    requisition_line_id = fields.Integer()
    demand_point = fields.Function(lambda source: source.demand_point.code)
    quantity = Quantity()


class PlanLineSchema(Schema):
    id = fields.Integer()
    item_id = fields.Integer()
    item_name = fields.Function(lambda line: line.item.name_zh)
    base_unit = fields.Function(lambda line: line.item.base_unit)
    window_start = fields.Date()
    delivery_date = fields.Date()
    quantity = Quantity()
    sources = fields.List(fields.Nested(PlanLineSourceSchema))


class PlanSchema(Schema):
    id = fields.Integer()
    window_start = fields.Date()
    window_end = fields.Date()
    window_days = fields.Integer()
    created_by = fields.String()
    created_at = fields.AwareDateTime()
    lines = fields.List(fields.Nested(PlanLineSchema))


# --- purchase orders ------------------------------------------------------------------------------

PO_STATES = ("draft", "pending_approval", "approved", "sent", "acknowledged", "partially_received", "received",
             "closed", "cancelled", "declined")


class OrderLineInSchema(Schema):
    item_id = RowId(required=True)
    quantity = Quantity(required=True, positive=True)
    unit = fields.String(load_default=None, validate=validate.Length(min=1, max=16))
    unit_price = Money(required=True, positive=True, metadata={"description": "yuan per base unit of the item"})
    destination = fields.String(required=True, validate=validate.OneOf(DEMAND_POINT_CODES))
    delivery_date = fields.Date(required=True)
    plan_line_id = RowId(load_default=None, allow_none=True)


class OrderInSchema(Schema):
    supplier_id = RowId(required=True)
    note = fields.String(load_default="", validate=validate.Length(max=500))
    lines = fields.List(fields.Nested(OrderLineInSchema), required=True, validate=validate.Length(min=1, max=200))
    # a small direct purchase sent at once, when no approver is needed (procurement officers only)
    send = fields.Boolean(load_default=False)


class PlanPriceSchema(Schema):
    plan_line_id = RowId(required=True)
    unit_price = Money(required=True, positive=True)


class OrderFromPlanSchema(Schema):
    supplier_id = RowId(required=True)
    note = fields.String(load_default="", validate=validate.Length(max=500))
    prices = fields.List(fields.Nested(PlanPriceSchema), required=True, validate=validate.Length(min=1, max=200))

    @validates_schema
    def _distinct(self, data, **kwargs):
        ids = [price["plan_line_id"] for price in data.get("prices", [])]
        if len(ids) != len(set(ids)):
            raise ValidationError("each plan line is priced once", "prices")


class OrderLineSchema(Schema):
    id = fields.Integer()
    line_no = fields.Integer()
    item_id = fields.Integer()
    item_name = fields.Function(lambda line: line.item.name_zh)
    quantity = Quantity()
    unit = fields.String()
    base_quantity = Quantity()
    base_unit = fields.Function(lambda line: line.item.base_unit)
    unit_price = Money()
    amount = Money()
    destination = fields.Function(lambda line: line.demand_point.code)
    delivery_date = fields.Date()
    plan_line_id = fields.Integer(allow_none=True)
    price_limit = Money(allow_none=True)
    above_price_limit = fields.Boolean()
    received_quantity = Quantity()
    rejected_quantity = Quantity()


class ApprovalSchema(Schema):
    approver = fields.String()
    at = fields.AwareDateTime()


class OrderSchema(Schema):
    id = fields.Integer()
    number = fields.String()
    supplier_id = fields.Integer()
    supplier_name = fields.String()
    plan_id = fields.Integer(allow_none=True)
    agreement_id = fields.Integer(allow_none=True)
    state = fields.String()
    total = Money()
    approvals_required = fields.Integer()
    approvals = fields.List(fields.Nested(ApprovalSchema))
    price_override_reason = fields.String(allow_none=True)
    revision = fields.Integer()
    note = fields.String()
    created_by = fields.String()
    created_at = fields.AwareDateTime()
    sent_at = fields.AwareDateTime(allow_none=True)
    version = fields.Integer()
    lines = fields.List(fields.Nested(OrderLineSchema))


class DeliveryNoticeLineSchema(Schema):
    po_line_id = fields.Integer()
    quantity = fields.String()
    lot_number = fields.String()
    production_date = fields.String()
    certificate_ref = fields.String()


class DeliveryNoticeSchema(Schema):
    id = fields.Integer()
    portal_delivery_note_id = fields.Integer()
    number = fields.String()
    planned_at = fields.AwareDateTime()
    received_at = fields.AwareDateTime()
    lines = fields.List(fields.Nested(DeliveryNoticeLineSchema))


class OrderQuery(PageQuerySchema):
    state = fields.String(validate=validate.OneOf(PO_STATES))
    supplier_id = RowId()


class AmendLineSchema(Schema):
    line_id = RowId(required=True)
    quantity = Quantity(load_default=None, positive=True, allow_none=True)
    unit_price = Money(load_default=None, positive=True, allow_none=True)
    delivery_date = fields.Date(load_default=None, allow_none=True)


class AmendSchema(Schema):
    reason = fields.String(required=True, validate=validate.Length(min=1, max=1000))
    lines = fields.List(fields.Nested(AmendLineSchema), required=True, validate=validate.Length(min=1, max=200))


class ApprovalRuleSchema(Schema):
    above_amount = Money(required=True)
    approvers = fields.Integer(required=True, validate=validate.Range(min=0, max=5))


class ApprovalRulesSchema(Schema):
    rules = fields.List(fields.Nested(ApprovalRuleSchema), required=True, validate=validate.Length(max=10))


# --- quotation and award --------------------------------------------------------------------------

class RfqInSchema(Schema):
    plan_line_ids = fields.List(RowId(), required=True, validate=validate.Length(min=1, max=200))
    title = fields.String(required=True, validate=validate.Length(min=1, max=200))
    quote_deadline = fields.AwareDateTime(required=True)


class RfqLineSchema(Schema):
    id = fields.Integer()
    plan_line_id = fields.Integer()
    item_id = fields.Integer()
    item_name = fields.Function(lambda line: line.item.name_zh)
    base_unit = fields.Function(lambda line: line.item.base_unit)
    quantity = Quantity()
    delivery_date = fields.Date()
    awarded_quote_line_id = fields.Integer(allow_none=True)
    award_reason = fields.String(allow_none=True)
    override_reason = fields.String(allow_none=True)
    awarded_by = fields.String(allow_none=True)


class RfqSchema(Schema):
    id = fields.Integer()
    number = fields.String()
    plan_id = fields.Integer()
    title = fields.String()
    supplier_category = fields.String()
    supplier_ids = fields.List(fields.Integer())
    state = fields.String()
    quote_deadline = fields.AwareDateTime()
    created_by = fields.String()
    created_at = fields.AwareDateTime()
    lines = fields.List(fields.Nested(RfqLineSchema))


RFQ_STATES = ("issued", "awarded", "ordered", "cancelled")


class RfqQuery(PageQuerySchema):
    state = fields.String(validate=validate.OneOf(RFQ_STATES))


class ComparedQuoteSchema(Schema):
    quote_id = fields.Integer()
    quote_line_id = fields.Integer()
    supplier_id = fields.Integer()
    supplier_name = fields.String()
    unit_price = Money()
    price_limit = Money(allow_none=True)
    above_price_limit = fields.Boolean()
    valid_until = fields.Date()
    amount = Money()
    lowest_compliant = fields.Boolean()
    awarded = fields.Boolean()


class ComparisonLineSchema(Schema):
    rfq_line = fields.Nested(RfqLineSchema)
    quotes = fields.List(fields.Nested(ComparedQuoteSchema))


class AwardLineSchema(Schema):
    rfq_line_id = RowId(required=True)
    quote_line_id = RowId(required=True)
    reason = fields.String(load_default=None, allow_none=True, validate=validate.Length(max=1000))
    override_reason = fields.String(load_default=None, allow_none=True, validate=validate.Length(max=1000))


class AwardSchema(Schema):
    awards = fields.List(fields.Nested(AwardLineSchema), required=True, validate=validate.Length(min=1, max=200))


# --- invoices and payments ------------------------------------------------------------------------

class InvoiceLineSchema(Schema):
    po_line_id = fields.Integer()
    quantity = Quantity()
    unit_price = Money()


class PaymentSchema(Schema):
    id = fields.Integer(dump_only=True)
    amount = Money(required=True, positive=True)
    paid_on = fields.Date(required=True)
    reference = fields.String(load_default="", validate=validate.Length(max=100))
    recorded_by = fields.String(dump_only=True)
    recorded_at = fields.AwareDateTime(dump_only=True)


class InvoiceSchema(Schema):
    id = fields.Integer()
    portal_invoice_id = fields.Integer()
    order_id = fields.Integer()
    order_number = fields.Function(lambda invoice: invoice.order.number)
    supplier_id = fields.Integer()
    invoice_number = fields.String()
    issued_on = fields.Date()
    total = Money()
    state = fields.String()
    reasons = fields.List(fields.String())
    paid_amount = Money()
    received_at = fields.AwareDateTime()
    lines = fields.List(fields.Nested(InvoiceLineSchema))
    payments = fields.List(fields.Nested(PaymentSchema))


INVOICE_STATES = ("matched", "disputed", "paid")


class InvoiceQuery(PageQuerySchema):
    state = fields.String(validate=validate.OneOf(INVOICE_STATES))
    order_id = RowId()


class TolerancesSchema(Schema):
    price = Quantity(required=True, validate=validate.Range(min=0, max=Decimal("0.1")),
                     metadata={"description": "fraction of the ordered price, either way: 0.005 = ±0.5 %"})
    quantity = Quantity(required=True, metadata={"description": "base units invoiced beyond what was accepted"})


# --- staff ----------------------------------------------------------------------------------------

class StaffSchema(Schema):
    id = fields.Integer()
    username = fields.String()
    display_name = fields.String()
    roles = fields.List(fields.String())
    demand_point = fields.String(allow_none=True)


class AssignDemandPointSchema(Schema):
    demand_point = fields.String(required=True, allow_none=True, validate=validate.OneOf(DEMAND_POINT_CODES))


# --- menu-driven demand ---------------------------------------------------------------------------

class DishIngredientSchema(Schema):
    item_id = RowId(required=True)
    item_name = fields.Function(lambda ingredient: ingredient.item.name_zh, dump_only=True)
    quantity = Quantity(required=True, positive=True, load_only=True)
    unit = fields.String(load_default=None, load_only=True, validate=validate.Length(min=1, max=16))
    per_serving = Quantity(dump_only=True)
    base_unit = fields.Function(lambda ingredient: ingredient.item.base_unit, dump_only=True)


class DishSchema(Schema):
    id = fields.Integer(dump_only=True)
    name = fields.String(required=True, validate=validate.Length(min=1, max=100))
    ingredients = fields.List(fields.Nested(DishIngredientSchema), required=True,
                              validate=validate.Length(min=1, max=50))


class MenuMealSchema(Schema):
    date = fields.Date(required=True, attribute="meal_date", data_key="date")
    meal = fields.String(required=True, validate=validate.OneOf(("breakfast", "lunch", "dinner")))
    diners = fields.Integer(required=True, validate=validate.Range(min=0, max=100_000))
    dish_ids = fields.List(RowId(), required=True, validate=validate.Length(min=1, max=50))


class MenuInSchema(Schema):
    demand_point = fields.String(required=True, validate=validate.OneOf(DEMAND_POINT_CODES))
    week_start = fields.Date(required=True)
    meals = fields.List(fields.Nested(MenuMealSchema), required=True, validate=validate.Length(min=1, max=21))


class MenuMealOutSchema(Schema):
    date = fields.Date(attribute="meal_date")
    meal = fields.String()
    diners = fields.Integer()
    dish_ids = fields.Function(lambda meal: [entry.dish_id for entry in meal.dishes])
    # the dishes in full, so that a reader (the weekly disclosure) needs no second request per dish
    dishes = fields.Function(lambda meal: DishSchema(many=True).dump([entry.dish for entry in meal.dishes]))


class MenuSchema(Schema):
    id = fields.Integer()
    demand_point = fields.Function(lambda menu: menu.demand_point.code)
    week_start = fields.Date()
    created_by = fields.String()
    requisition_id = fields.Integer(allow_none=True)
    meals = fields.List(fields.Nested(MenuMealOutSchema))


MenuPageSchema = page_schema(MenuSchema)


class NeedSchema(Schema):
    item_id = fields.Integer()
    gross = Quantity()
    on_hand = Quantity()
    on_order = Quantity()
    net = Quantity()
    unit = fields.String()
    factor = Quantity()
    units = fields.Integer()
    quantity = Quantity()


class MenuNeedsSchema(Schema):
    menu_id = fields.Integer()
    demand_point = fields.String()
    needs = fields.List(fields.Nested(NeedSchema))


# --- fixed-supplier agreements --------------------------------------------------------------------

class AgreementSchema(Schema):
    id = fields.Integer(dump_only=True)
    supplier_id = RowId(required=True)
    item_id = RowId(required=True)
    item_name = fields.Function(lambda agreement: agreement.item.name_zh, dump_only=True)
    unit_price = Money(required=True, positive=True, metadata={"description": "yuan per base unit of the item"})
    valid_from = fields.Date(required=True)
    valid_to = fields.Date(required=True)
    reference = fields.String(load_default="", validate=validate.Length(max=64))
    created_by = fields.String(dump_only=True)


class AgreementQuery(Schema):
    item_id = RowId(load_default=None)
    supplier_id = RowId(load_default=None)
    in_force_on = fields.Date(load_default=None)


class AgreementLineSchema(Schema):
    quantity = Quantity(required=True, positive=True)
    unit = fields.String(load_default=None, validate=validate.Length(min=1, max=16))
    destination = fields.String(required=True, validate=validate.OneOf(DEMAND_POINT_CODES))
    delivery_date = fields.Date(required=True)


class AgreementOrderSchema(Schema):
    note = fields.String(load_default="", validate=validate.Length(max=500))
    lines = fields.List(fields.Nested(AgreementLineSchema), required=True, validate=validate.Length(min=1, max=200))


# --- reports --------------------------------------------------------------------------------------

REPORT_DATES = validate.Range(min=date(2000, 1, 1), max=date(2099, 12, 31))


class ReportQuery(Schema):
    date_from = fields.Date(load_default=None, validate=REPORT_DATES)
    date_to = fields.Date(load_default=None, validate=REPORT_DATES)
    format = fields.String(load_default="json", validate=validate.OneOf(("json", *tabular.FORMATS)),
                           metadata={"description": "json, or a download: csv (UTF-8 with BOM) or xlsx"})

    @validates_schema
    def _period(self, data, **_kwargs):
        # checked here, not only by the report: a download's first byte goes out before its rows are read
        if data["date_from"] and data["date_to"] and data["date_to"] < data["date_from"]:
            raise ValidationError("is before date_from", "date_to")


class SpendQuery(ReportQuery):
    group_by = fields.String(required=True, validate=validate.OneOf(("item", "category", "supplier", "demand_point",
                                                                     "month")))


class ComplianceQuery(ReportQuery):
    only_above = fields.Boolean(load_default=False)


class OpenOrderQuery(ReportQuery):
    overdue = fields.Boolean(load_default=False)


class SpendRowSchema(Schema):
    key = fields.String()
    name = fields.String()
    amount = Money()
    lines = fields.Integer()
    quantity = Quantity(allow_none=True)
    unit = fields.String(allow_none=True)


class ComplianceRowSchema(Schema):
    order_number = fields.String()
    order_date = fields.Date()
    supplier_name = fields.String()
    item_code = fields.String()
    item_name = fields.String()
    unit = fields.String()
    unit_price = Money()
    reference_price = Money(allow_none=True)
    reference_source = fields.String(allow_none=True)
    rule = fields.String()
    rate = fields.Decimal(as_string=True)
    limit = Money(allow_none=True)
    above_limit = fields.Boolean()
    over_reference = fields.Decimal(as_string=True, allow_none=True)
    override_reason = fields.String(allow_none=True)
    verdict = fields.String(metadata={"description": "within_limit, above_limit_overridden, above_limit or "
                                                     "no_reference"})
    verdict_zh = fields.String()


class OpenOrderRowSchema(Schema):
    order_number = fields.String()
    state = fields.String()
    supplier_name = fields.String()
    item_code = fields.String()
    item_name = fields.String()
    unit = fields.String()
    destination = fields.String()
    delivery_date = fields.Date()
    ordered = Quantity()
    received = Quantity()
    outstanding = Quantity()
    amount_outstanding = Money()
    days_overdue = fields.Integer()
    overdue = fields.Boolean()
