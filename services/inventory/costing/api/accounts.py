"""Accounts for any period, and the monthly statement with its sign-offs."""
from shared.auth import current_principal, require_roles
from shared.errors import NotFound
from shared.idempotency import idempotent
from shared.pagination import paginate
from shared.web import Blueprint, unit_of_work

from ...locations import own_location_id
from ..accounts import period_accounts
from ..schemas import (
    AccountsSchema,
    PeriodQuerySchema,
    SignSchema,
    StatementPageSchema,
    StatementQuerySchema,
    StatementSchema,
)
from ..statements import get_statement, list_statements, prepare_statement, sign_statement, statement_view
from .common import ENTRY_WRITERS, READERS, SECURITY, SIGNERS, school_timezone, school_today

blp = Blueprint("costing_accounts", __name__, url_prefix="/api/costing",
                description="Meal-cost accounts per dining hall and period; the monthly statement and its sign-offs")


@blp.get("/accounts")
@blp.doc(security=SECURITY)
@require_roles(*READERS)
@blp.arguments(PeriodQuerySchema, location="query")
@blp.response(200, AccountsSchema)
def accounts(args):
    start, end = args["bounds"]
    with unit_of_work() as uow:
        principal = current_principal()
        # a canteen manager's accounts are their hall's: the school's line is then that hall's too
        hall = own_location_id(uow.session, principal)
        if hall is not None and args["location_id"] not in (None, hall):
            raise NotFound("No such dining hall")
        result = period_accounts(uow.session, principal.school_id, start, end, school_timezone(),
                                 hall or args["location_id"])
    return {"start": result.start, "end": result.end,
            "halls": [{"location_id": hall.location.id, "code": hall.location.code, "name": hall.location.name,
                       **hall.statement.as_dict()} for hall in result.halls],
            "school": result.school.as_dict()}


@blp.post("/statements")
@blp.doc(security=SECURITY)
@require_roles(*ENTRY_WRITERS)
@idempotent
@blp.arguments(StatementSchema)
@blp.response(201, StatementSchema)
def prepare(data):
    with unit_of_work() as uow:
        statement = prepare_statement(uow.session, current_principal(), data["month"], data["opening_surplus"])
        view = statement_view(uow.session, statement, school_timezone())
        uow.commit()
    return view


@blp.get("/statements")
@blp.doc(security=SECURITY)
@require_roles(*READERS)
@blp.arguments(StatementQuerySchema, location="query")
@blp.response(200, StatementPageSchema)
def listing(args):
    with unit_of_work() as uow:
        page = paginate(uow.session, list_statements(uow.session, current_principal(), args["status"]),
                        args["page"], args["per_page"])
        page.items = [statement_view(uow.session, statement) for statement in page.items]
        return page


@blp.get("/statements/<int:statement_id>")
@blp.doc(security=SECURITY)
@require_roles(*READERS)
@blp.response(200, StatementSchema)
def read(statement_id):
    with unit_of_work() as uow:
        statement = get_statement(uow.session, current_principal(), statement_id)
        return statement_view(uow.session, statement, school_timezone())


@blp.post("/statements/<int:statement_id>/signatures")
@blp.doc(security=SECURITY)
@require_roles(*SIGNERS)
@blp.arguments(SignSchema)
@blp.response(200, StatementSchema)
def sign(data, statement_id):
    with unit_of_work() as uow:
        statement = sign_statement(uow.session, current_principal(), statement_id, data["slot"],
                                   data["signer_name"], school_today(), school_timezone())
        view = statement_view(uow.session, statement, school_timezone())
        uow.commit()
    return view
