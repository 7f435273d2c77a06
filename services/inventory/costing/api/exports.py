"""Finance exports, streamed: the monthly statement, the cost detail and spend as CSV or XLSX."""
from shared import tabular
from shared.auth import current_principal, require_roles
from shared.errors import NotFound
from shared.web import Blueprint, file_response, unit_of_work

from ..accounts import get_dining_hall
from ..exports import REPORTS, statement_table
from ..schemas import CostDetailQuerySchema
from ..statements import get_statement, statement_content
from .common import EXPORTERS, SECURITY, school_timezone

blp = Blueprint("costing_exports", __name__, url_prefix="/api/costing",
                description="Finance exports: CSV (UTF-8 with BOM) and XLSX with Chinese headers")


def _check_format(fmt: str) -> None:
    if fmt not in tabular.FORMATS:
        raise NotFound("No export as {fmt}: csv or xlsx", fmt=fmt)


@blp.get("/statements/<int:statement_id>/export.<string:fmt>")
@blp.doc(security=SECURITY, responses=file_response("the statement as CSV or XLSX", *tabular.MIMETYPES.values()))
@require_roles(*EXPORTERS)
def export_statement(statement_id, fmt):
    _check_format(fmt)
    with unit_of_work() as uow:
        statement = get_statement(uow.session, current_principal(), statement_id)
        content = statement_content(uow.session, statement, school_timezone())
        table_columns, rows = statement_table(content, list(statement.signatures))
        return tabular.download(fmt, f"statement-{statement.month:%Y-%m}", table_columns, rows)


@blp.get("/cost-detail.<string:fmt>")
@blp.doc(security=SECURITY, responses=file_response("every issue movement of the period", *tabular.MIMETYPES.values()))
@require_roles(*EXPORTERS)
@blp.arguments(CostDetailQuerySchema, location="query")
def export_cost_detail(args, fmt):
    _check_format(fmt)
    return _period_export("cost_detail", current_principal(), args, fmt)


@blp.get("/spend.<string:fmt>")
@blp.doc(security=SECURITY, responses=file_response("received less returned, by supplier and category",
                                                    *tabular.MIMETYPES.values()))
@require_roles(*EXPORTERS)
@blp.arguments(CostDetailQuerySchema, location="query")
def export_spend(args, fmt):
    _check_format(fmt)
    return _period_export("spend", current_principal(), args, fmt)


def _period_export(kind: str, principal, args, fmt: str):
    report = REPORTS[kind]
    with unit_of_work() as uow:  # validate before the first byte goes out
        if args["location_id"] is not None:
            get_dining_hall(uow.session, principal.school_id, args["location_id"])

    def rows():
        with unit_of_work() as uow:
            yield from report.rows(uow.session, principal.school_id, args["start"], args["end"], school_timezone(),
                                   args["location_id"])

    return tabular.download(fmt, f"{report.filename}-{args['start']:%Y%m%d}-{args['end']:%Y%m%d}", report.columns,
                            rows())
