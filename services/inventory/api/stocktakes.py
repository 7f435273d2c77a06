from shared.auth import current_principal, require_roles
from shared.idempotency import idempotent
from shared.web import Blueprint, unit_of_work

from ..schemas import CancelSchema, CountsSchema, StocktakeSchema
from ..stocktakes import approve_stocktake, cancel_stocktake, get_stocktake, open_stocktake, record_counts
from .common import READERS, SECURITY, STOCKTAKE_APPROVERS, WRITERS

blp = Blueprint("stocktakes", __name__, url_prefix="/api/stocktakes",
                description="Stocktakes: count sheet, variance, approval with adjustments")


def _loaded(stocktake):
    stocktake.lines, stocktake.movements  # loaded while the session is open  # noqa: B018
    return stocktake


@blp.post("")
@blp.doc(security=SECURITY)
@require_roles(*WRITERS)
@idempotent
@blp.arguments(StocktakeSchema)
@blp.response(201, StocktakeSchema)
def create(data):
    with unit_of_work() as uow:
        stocktake = _loaded(open_stocktake(uow.session, current_principal(), data["location_id"]))
        uow.commit()
    return stocktake


@blp.get("/<int:stocktake_id>")
@blp.doc(security=SECURITY)
@require_roles(*READERS)
@blp.response(200, StocktakeSchema)
def get(stocktake_id):
    with unit_of_work() as uow:
        return _loaded(get_stocktake(uow.session, current_principal(), stocktake_id))


@blp.put("/<int:stocktake_id>/counts")
@blp.doc(security=SECURITY)
@require_roles(*WRITERS)
@blp.arguments(CountsSchema)
@blp.response(200, StocktakeSchema)
def counts(data, stocktake_id):
    with unit_of_work() as uow:
        stocktake = _loaded(record_counts(uow.session, current_principal(), stocktake_id, data["lines"]))
        uow.commit()
    return stocktake


@blp.post("/<int:stocktake_id>/approve")
@blp.doc(security=SECURITY)
@require_roles(*STOCKTAKE_APPROVERS)
@blp.response(200, StocktakeSchema)
def approve(stocktake_id):
    with unit_of_work() as uow:
        stocktake = _loaded(approve_stocktake(uow.session, current_principal(), stocktake_id))
        uow.commit()
    return stocktake


@blp.post("/<int:stocktake_id>/cancel")
@blp.doc(security=SECURITY)
@require_roles(*STOCKTAKE_APPROVERS)
@blp.arguments(CancelSchema)
@blp.response(200, StocktakeSchema)
def cancel(data, stocktake_id):
    with unit_of_work() as uow:
        stocktake = _loaded(cancel_stocktake(uow.session, current_principal(), stocktake_id, data["reason"]))
        uow.commit()
    return stocktake
