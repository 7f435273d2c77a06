"""Finance exports, streamed: the monthly statement and the cost detail as CSV or XLSX."""
import tempfile

from flask import Response, stream_with_context
from flask_smorest import Blueprint

from shared.auth import current_principal, require_roles
from shared.errors import NotFound
from shared.web import file_response, unit_of_work

from ..accounts import get_dining_hall
from ..exports import (
    COST_DETAIL_HEADER,
    SPEND_HEADER,
    cost_detail_rows,
    csv_chunks,
    file_chunks,
    spend_rows,
    statement_table,
    write_xlsx,
)
from ..schemas import CostDetailQuerySchema
from ..statements import get_statement, statement_content
from .common import EXPORTERS, SECURITY, school_timezone

blp = Blueprint("costing_exports", __name__, url_prefix="/api/costing",
                description="Finance exports: CSV (UTF-8 with BOM) and XLSX with Chinese headers")
CSV = "text/csv; charset=utf-8"
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
FORMATS = ("csv", "xlsx")


def _check_format(fmt: str) -> None:
    if fmt not in FORMATS:
        raise NotFound(f"No export as {fmt}: csv or xlsx")


def _download(fmt: str, filename: str, header, rows) -> Response:
    disposition = {"Content-Disposition": f"attachment; filename={filename}.{fmt}"}
    if fmt == "csv":
        return Response(stream_with_context(csv_chunks(header, rows)), mimetype=CSV, headers=disposition)
    # A zip needs its whole body before the central directory: the workbook goes to a temporary file
    # (rows flushed as they come), which is then streamed.
    handle = tempfile.TemporaryFile()
    write_xlsx(handle, filename[:31], header, rows)
    return Response(file_chunks(handle), mimetype=XLSX, headers=disposition)


@blp.get("/statements/<int:statement_id>/export.<string:fmt>")
@blp.doc(security=SECURITY, responses=file_response("the statement as CSV or XLSX", CSV, XLSX))
@require_roles(*EXPORTERS)
def export_statement(statement_id, fmt):
    _check_format(fmt)
    with unit_of_work() as uow:
        statement = get_statement(uow.session, current_principal(), statement_id)
        content = statement_content(uow.session, statement, school_timezone())
        header, rows = statement_table(content, list(statement.signatures))
        return _download(fmt, f"statement-{statement.month:%Y-%m}", header, rows)


@blp.get("/cost-detail.<string:fmt>")
@blp.doc(security=SECURITY, responses=file_response("every issue movement of the period", CSV, XLSX))
@require_roles(*EXPORTERS)
@blp.arguments(CostDetailQuerySchema, location="query")
def export_cost_detail(args, fmt):
    _check_format(fmt)
    principal = current_principal()
    with unit_of_work() as uow:  # validate before the first byte goes out
        if args["location_id"] is not None:
            get_dining_hall(uow.session, principal.school_id, args["location_id"])
    filename = f"cost-detail-{args['start']:%Y%m%d}-{args['end']:%Y%m%d}"

    def rows():
        with unit_of_work() as uow:
            yield from cost_detail_rows(uow.session, principal.school_id, args["start"], args["end"],
                                        school_timezone(), args["location_id"])

    return _download(fmt, filename, COST_DETAIL_HEADER, rows())


@blp.get("/spend.<string:fmt>")
@blp.doc(security=SECURITY, responses=file_response("received less returned, by supplier and category", CSV, XLSX))
@require_roles(*EXPORTERS)
@blp.arguments(CostDetailQuerySchema, location="query")
def export_spend(args, fmt):
    _check_format(fmt)
    principal = current_principal()
    filename = f"spend-{args['start']:%Y%m%d}-{args['end']:%Y%m%d}"

    def rows():
        with unit_of_work() as uow:
            yield from spend_rows(uow.session, principal.school_id, args["start"], args["end"], school_timezone())

    return _download(fmt, filename, SPEND_HEADER, rows())
