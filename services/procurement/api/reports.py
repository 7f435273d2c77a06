from zoneinfo import ZoneInfo

from flask import Response, stream_with_context
from flask_smorest import Blueprint

from shared.auth import current_principal, require_roles
from shared.web import file_response, settings, unit_of_work

from .. import reports
from ..schemas import (
    ComplianceQuery,
    ComplianceRowSchema,
    OpenOrderQuery,
    OpenOrderRowSchema,
    SpendQuery,
    SpendRowSchema,
)
from .catalogue import school_today

blp = Blueprint("reports", __name__, url_prefix="/api/reports",
                description="Finance reports as JSON or CSV (UTF-8 with BOM, Chinese headers)")
SECURITY = [{"bearerAuth": []}]


def rows_or_csv(schema) -> dict:
    return file_response("the rows as JSON, or as CSV with format=csv", "text/csv", json_schema=schema(many=True))


def _answer(rows, columns, name, query):
    if query["format"] != "csv":
        return rows
    period = "-".join(str(day) for day in (query["date_from"], query["date_to"]) if day)
    filename = f"{name}{'-' + period if period else ''}.csv"
    return Response(stream_with_context(reports.csv_chunks(rows, columns)), content_type="text/csv; charset=utf-8",
                    headers={"Content-Disposition": f'attachment; filename="{filename}"'})


def _zone():
    return ZoneInfo(settings().school_timezone)


@blp.get("/spend")
@blp.doc(security=SECURITY, responses=rows_or_csv(SpendRowSchema))
@require_roles(*reports.READERS)
@blp.arguments(SpendQuery, location="query")
@blp.response(200, SpendRowSchema(many=True))
def spend(query):
    with unit_of_work() as uow:
        rows = reports.spend(uow.session, current_principal(), query["group_by"], _zone(), query["date_from"],
                             query["date_to"])
    return _answer(rows, reports.group_columns(query["group_by"]), f"spend-by-{query['group_by']}", query)


@blp.get("/price-compliance")
@blp.doc(security=SECURITY, responses=rows_or_csv(ComplianceRowSchema))
@require_roles(*reports.READERS)
@blp.arguments(ComplianceQuery, location="query")
@blp.response(200, ComplianceRowSchema(many=True))
def price_compliance(query):
    with unit_of_work() as uow:
        rows = reports.price_compliance(uow.session, current_principal(), _zone(), query["date_from"],
                                        query["date_to"], query["only_above"])
    return _answer(rows, reports.COMPLIANCE_COLUMNS, "price-compliance", query)


@blp.get("/open-orders")
@blp.doc(security=SECURITY, responses=rows_or_csv(OpenOrderRowSchema))
@require_roles(*reports.READERS)
@blp.arguments(OpenOrderQuery, location="query")
@blp.response(200, OpenOrderRowSchema(many=True))
def open_orders(query):
    with unit_of_work() as uow:
        rows = reports.open_orders(uow.session, current_principal(), _zone(), school_today(), query["date_from"],
                                   query["date_to"], query["overdue"])
    return _answer(rows, reports.OPEN_ORDER_COLUMNS, "open-orders", query)
