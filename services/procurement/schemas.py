from marshmallow import Schema, fields, validate

from shared.events import SUPPLIER_CATEGORIES


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


# --- shared pieces ------------------------------------------------------------------------------

from decimal import Decimal  # noqa: E402

from marshmallow import ValidationError, validates_schema  # noqa: E402

from shared.fields import Money, Quantity  # noqa: E402
from shared.pagination import PageQuerySchema, page_schema  # noqa: E402

from .models import (  # noqa: E402
    DEMAND_POINT_KINDS, ITEM_CATEGORIES, PRICE_RULE_KINDS, PRICE_SOURCES,
)



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
                            values=Quantity(positive=True, validate=validate.Range(max=10**9)),
                            load_default=dict, validate=validate.Length(max=10))
    shelf_life_days = fields.Integer(load_default=None, allow_none=True, validate=validate.Range(min=1, max=3650))
    restricted_food = fields.Boolean(load_default=False)
    active = fields.Boolean(load_default=True)
    units = fields.Method("_units", dump_only=True)
    version = fields.Integer(dump_only=True)
    bulk = fields.Method("_bulk", dump_only=True)

    def _units(self, item):
        from .catalogue import item_units
        return item_units(item)

    def _bulk(self, item):
        from .models import BULK_CATEGORIES
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
    item_id = fields.Integer(load_default=None, allow_none=True)
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
    item_id = fields.Integer(required=True)
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
    decided_by = fields.String(dump_only=True)
    decision_reason = fields.String(dump_only=True)
    version = fields.Integer(dump_only=True)
    lines = fields.List(fields.Nested(RequisitionLineSchema), required=True, validate=validate.Length(min=1, max=200))


class RequisitionOutSchema(RequisitionSchema):
    demand_point = fields.Function(lambda r: r.demand_point.code)


class RequisitionQuery(PageQuerySchema):
    state = fields.String(validate=validate.OneOf(REQUISITION_STATES))
    demand_point = fields.String(validate=validate.OneOf(DEMAND_POINT_CODES))


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
