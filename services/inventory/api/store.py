"""The campus store: unified prices and sales."""
from sqlalchemy import select

from shared.auth import current_principal, require_roles, scoped
from shared.errors import NotFound
from shared.idempotency import idempotent
from shared.web import Blueprint, unit_of_work

from ..locations import at_own_location
from ..models import StoreSale, UnifiedPrice
from ..schemas import StoreSaleSchema, UnifiedPriceSchema
from ..store import sell
from .common import READERS, SECURITY, school_today

blp = Blueprint("store", __name__, url_prefix="/api", description="Campus store: unified prices and sales")
SELLERS = ("store_manager", "admin")


@blp.get("/unified-prices")
@blp.doc(security=SECURITY)
@require_roles(*READERS)
@blp.response(200, UnifiedPriceSchema(many=True))
def prices():
    with unit_of_work() as uow:
        query = scoped(select(UnifiedPrice), UnifiedPrice, current_principal())
        return list(uow.session.scalars(query.order_by(UnifiedPrice.item_id, UnifiedPrice.effective_from)))


@blp.post("/store-sales")
@blp.doc(security=SECURITY)
@require_roles(*SELLERS)
@idempotent
@blp.arguments(StoreSaleSchema)
@blp.response(201, StoreSaleSchema)
def create_sale(data):
    with unit_of_work() as uow:
        sale = sell(uow.session, current_principal(), today=school_today(), **data)
        uow.commit()
    return sale


@blp.get("/store-sales/<int:sale_id>")
@blp.doc(security=SECURITY)
@require_roles(*READERS)
@blp.response(200, StoreSaleSchema)
def get_sale(sale_id):
    with unit_of_work() as uow:
        principal = current_principal()
        sale = uow.session.scalars(scoped(select(StoreSale), StoreSale, principal).where(
            StoreSale.id == sale_id, at_own_location(uow.session, principal, StoreSale.location_id))).first()
        if sale is None:
            raise NotFound("No store sale {sale_id}", sale_id=sale_id)
        sale.lines, sale.movements  # loaded while the session is open  # noqa: B018
        return sale
