"""Reorder rules and meals served (meal costs are the costing package's accounts, /api/costing/accounts)."""
from sqlalchemy import select

from shared.auth import current_principal, require_roles, scoped
from shared.web import Blueprint, unit_of_work

from ..costing.entries import record_meals_served
from ..models import MealsServed, ReorderRule
from ..reorder import set_rule
from ..schemas import MealsServedSchema, PeriodQuerySchema, ReorderRuleSchema
from .common import READERS, SECURITY, WRITERS

blp = Blueprint("planning", __name__, url_prefix="/api", description="Reorder rules, meals served")
MEAL_RECORDERS = ("canteen_manager", "admin")


@blp.put("/reorder-rules")
@blp.doc(security=SECURITY)
@require_roles(*WRITERS)
@blp.arguments(ReorderRuleSchema)
@blp.response(200, ReorderRuleSchema)
def put_rule(data):
    with unit_of_work() as uow:
        rule = set_rule(uow.session, current_principal(), **data)
        uow.commit()
    return rule


@blp.get("/reorder-rules")
@blp.doc(security=SECURITY)
@require_roles(*READERS)
@blp.response(200, ReorderRuleSchema(many=True))
def rules():
    with unit_of_work() as uow:
        query = scoped(select(ReorderRule), ReorderRule, current_principal())
        return list(uow.session.scalars(query.order_by(ReorderRule.location_id, ReorderRule.item_id)))


@blp.put("/meals-served")
@blp.doc(security=SECURITY)
@require_roles(*MEAL_RECORDERS)
@blp.arguments(MealsServedSchema)
@blp.response(200, MealsServedSchema)
def put_meals(data):
    with unit_of_work() as uow:
        row = record_meals_served(uow.session, current_principal(), **data)
        uow.commit()
    return row


@blp.get("/meals-served")
@blp.doc(security=SECURITY)
@require_roles(*READERS)
@blp.arguments(PeriodQuerySchema, location="query")
@blp.response(200, MealsServedSchema(many=True))
def meals(query):
    with unit_of_work() as uow:
        statement = scoped(select(MealsServed), MealsServed, current_principal()).where(
            MealsServed.meal_date >= query["date_from"], MealsServed.meal_date <= query["date_to"])
        return list(uow.session.scalars(statement.order_by(MealsServed.meal_date, MealsServed.location_id,
                                                           MealsServed.id)))
