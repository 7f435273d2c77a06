from flask_smorest import Blueprint
from sqlalchemy import select

from shared.auth import current_principal, require_roles, scoped
from shared.errors import NotFound
from shared.web import unit_of_work

from ..models import Supplier
from ..schemas import SupplierQuerySchema, SupplierSchema

blp = Blueprint("suppliers", __name__, url_prefix="/api/suppliers", description="Supplier organisations")
REVIEWERS = ("procurement_officer", "approver", "admin")


@blp.get("")
@blp.doc(security=[{"bearerAuth": []}])
@require_roles(*REVIEWERS)
@blp.arguments(SupplierQuerySchema, location="query")
@blp.response(200, SupplierSchema(many=True))
def index(query):
    statement = select(Supplier).order_by(Supplier.id)
    if "status" in query:
        statement = statement.where(Supplier.status == query["status"])
    statement = statement.offset((query["page"] - 1) * query["per_page"]).limit(query["per_page"])
    with unit_of_work() as uow:
        return list(uow.session.scalars(statement))


@blp.get("/<int:supplier_id>")
@blp.doc(security=[{"bearerAuth": []}])
@require_roles(*REVIEWERS, "supplier_owner", "supplier_staff")
@blp.response(200, SupplierSchema)
def show(supplier_id):
    principal = current_principal()
    statement = select(Supplier).where(Supplier.id == supplier_id)
    if principal.is_supplier:
        statement = scoped(statement, Supplier, principal)
    with unit_of_work() as uow:
        supplier = uow.session.scalar(statement)
    if supplier is None:
        raise NotFound("No such supplier")
    return supplier
