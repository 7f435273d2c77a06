from shared.auth import require_roles
from shared.idempotency import idempotent
from shared.web import Blueprint, settings, unit_of_work

from ..schemas import NewScorecardSchema, ScorecardPageSchema, ScorecardQuerySchema, ScorecardSchema
from ..scorecards import get_scorecard, list_scorecards, rate_supplier
from .common import AUTH, REVIEWERS, SUPPLIER_USERS, current_principal, today

blp = Blueprint("scorecards", __name__, url_prefix="/api", description="Supplier scorecards (供应商考核)")


@blp.post("/suppliers/<int:supplier_id>/scorecards")
@blp.doc(security=AUTH)
@require_roles(*REVIEWERS)
@idempotent
@blp.arguments(NewScorecardSchema)
@blp.response(201, ScorecardSchema)
def rate(data, supplier_id):
    """Rate a supplier for a period that has ended; the second unsatisfactory rating in a row suspends it."""
    with unit_of_work() as uow:
        scorecard = rate_supplier(uow.session, current_principal(), supplier_id, data["period_start"],
                                  data["period_end"], data["rating"], data["comment"], today(),
                                  settings().school_timezone)
        uow.commit()
    return scorecard


@blp.get("/scorecards")
@blp.doc(security=AUTH)
@require_roles(*REVIEWERS, *SUPPLIER_USERS)
@blp.arguments(ScorecardQuerySchema, location="query")
@blp.response(200, ScorecardPageSchema)
def index(query):
    """A supplier sees its own scorecards from every school; staff see their school's."""
    with unit_of_work() as uow:
        return list_scorecards(uow.session, current_principal(), **query)


@blp.get("/scorecards/<int:scorecard_id>")
@blp.doc(security=AUTH)
@require_roles(*REVIEWERS, *SUPPLIER_USERS)
@blp.response(200, ScorecardSchema)
def show(scorecard_id):
    with unit_of_work() as uow:
        return get_scorecard(uow.session, current_principal(), scorecard_id)
