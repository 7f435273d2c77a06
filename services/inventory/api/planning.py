"""Reorder rules (meals served and meal costs are the costing package's: /api/costing/meals-served, /accounts)."""
from sqlalchemy import select

from shared.auth import current_principal, require_roles, scoped
from shared.web import Blueprint, unit_of_work

from ..locations import at_own_location
from ..models import ReorderRule
from ..reorder import set_rule
from ..schemas import ReorderRuleSchema
from .common import READERS, SECURITY, WRITERS

blp = Blueprint("planning", __name__, url_prefix="/api", description="Reorder rules")


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
        principal = current_principal()
        query = scoped(select(ReorderRule), ReorderRule, principal).where(
            at_own_location(uow.session, principal, ReorderRule.location_id))
        return list(uow.session.scalars(query.order_by(ReorderRule.location_id, ReorderRule.item_id)))

