"""Reading stock: on hand with lots and expiry, the valuation report, the ledger, the item cache."""
from sqlalchemy import select

from shared.auth import SERVICE_ROLE, current_principal, require_roles, scoped
from shared.pagination import paginate
from shared.web import Blueprint, unit_of_work

from ..expiry_alerts import alerts_query
from ..locations import own_location_id
from ..models import Item
from ..reports import expiring_lots, ledger_query, on_hand, valuation_report
from ..schemas import (
    ExpiringLotSchema,
    ExpiringQuerySchema,
    ExpiryAlertQuerySchema,
    ExpiryAlertSchema,
    ItemSchema,
    LedgerQuerySchema,
    MovementPageSchema,
    OnHandSchema,
    StockQuerySchema,
    ValuationQuerySchema,
    ValuationReportSchema,
)
from .common import READERS, SECURITY, school_today

blp = Blueprint("stock", __name__, url_prefix="/api", description="On hand, valuation, ledger, items")


@blp.get("/stock")
@blp.doc(security=SECURITY)
@require_roles(*READERS, SERVICE_ROLE)  # procurement reads on-hand for menu-driven demand
@blp.arguments(StockQuerySchema, location="query")
@blp.response(200, OnHandSchema(many=True))
def stock(query):
    with unit_of_work() as uow:
        principal = current_principal()
        return on_hand(uow.session, principal.school_id, school_today(),
                       hall_id=own_location_id(uow.session, principal), **query)


@blp.get("/valuation")
@blp.doc(security=SECURITY)
@require_roles(*READERS)
@blp.arguments(ValuationQuerySchema, location="query")
@blp.response(200, ValuationReportSchema)
def valuation(query):
    with unit_of_work() as uow:
        principal = current_principal()
        return valuation_report(uow.session, principal.school_id, hall_id=own_location_id(uow.session, principal),
                                **query)


@blp.get("/ledger")
@blp.doc(security=SECURITY)
@require_roles(*READERS)
@blp.arguments(LedgerQuerySchema, location="query")
@blp.response(200, MovementPageSchema)
def ledger(query):
    page, per_page = query.pop("page"), query.pop("per_page")
    with unit_of_work() as uow:
        principal = current_principal()
        movements = ledger_query(principal.school_id, hall_id=own_location_id(uow.session, principal), **query)
        return paginate(uow.session, movements, page, per_page)


@blp.get("/items")
@blp.doc(security=SECURITY)
@require_roles(*READERS)
@blp.response(200, ItemSchema(many=True))
def items():
    with unit_of_work() as uow:
        query = scoped(select(Item), Item, current_principal()).where(Item.active.is_(True))
        return list(uow.session.scalars(query.order_by(Item.code)))


@blp.get("/expiring-lots")
@blp.doc(security=SECURITY)
@require_roles(*READERS)
@blp.arguments(ExpiringQuerySchema, location="query")
@blp.response(200, ExpiringLotSchema(many=True))
def expiring(query):
    """Lots expiring within `within_days` (default 3), expired ones included, per location."""
    with unit_of_work() as uow:
        principal = current_principal()
        return expiring_lots(uow.session, principal.school_id, school_today(),
                             hall_id=own_location_id(uow.session, principal), **query)


@blp.get("/expiry-alerts")
@blp.doc(security=SECURITY)
@require_roles(*READERS)
@blp.arguments(ExpiryAlertQuerySchema, location="query")
@blp.response(200, ExpiryAlertSchema(many=True))
def expiry_alerts(query):
    """The alerts the daily job recorded on `alert_date` (default today), per location, earliest expiry first."""
    with unit_of_work() as uow:
        alert_date = query["alert_date"] or school_today()
        principal = current_principal()
        return list(uow.session.scalars(alerts_query(principal.school_id, alert_date, query["location_id"],
                                                     own_location_id(uow.session, principal))).unique())
