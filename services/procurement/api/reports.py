from zoneinfo import ZoneInfo

from shared import tabular
from shared.auth import current_principal, require_roles
from shared.web import Blueprint, file_response, settings, unit_of_work

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
                description="Finance reports as JSON, or downloads as CSV (UTF-8 with BOM) or XLSX with Chinese "
                            "headers (`format=csv|xlsx`)")
SECURITY = [{"bearerAuth": []}]


def rows_or_file(schema) -> dict:
    return file_response("the rows as JSON, or as a file with format=csv or xlsx", *tabular.MIMETYPES.values(),
                         json_schema=schema(many=True))


def _answer(report, keyed_columns, name, query):
    """JSON, or the report as a download whose rows stream from the database as it is written.

    `report(session)` yields the rows as dicts; a download reads them in its own unit of work,
    which lasts as long as the response body is being written.
    """
    if query["format"] == "json":
        with unit_of_work() as uow:
            return list(report(uow.session))
    period = "-".join(str(day) for day in (query["date_from"], query["date_to"]) if day)
    keys = [key for key, _ in keyed_columns]

    def rows():
        with unit_of_work() as uow:
            for row in report(uow.session):
                yield [row[key] for key in keys]

    return tabular.download(query["format"], f"{name}{'-' + period if period else ''}",
                            [column for _, column in keyed_columns], rows())


def _zone():
    return ZoneInfo(settings().school_timezone)


@blp.get("/spend")
@blp.doc(security=SECURITY, responses=rows_or_file(SpendRowSchema))
@require_roles(*reports.READERS)
@blp.arguments(SpendQuery, location="query")
@blp.response(200, SpendRowSchema(many=True))
def spend(query):
    principal, zone = current_principal(), _zone()
    return _answer(lambda session: reports.spend(session, principal, query["group_by"], zone, query["date_from"],
                                                 query["date_to"]),
                   reports.group_columns(query["group_by"]), f"spend-by-{query['group_by']}", query)


@blp.get("/price-compliance")
@blp.doc(security=SECURITY, responses=rows_or_file(ComplianceRowSchema))
@require_roles(*reports.READERS)
@blp.arguments(ComplianceQuery, location="query")
@blp.response(200, ComplianceRowSchema(many=True))
def price_compliance(query):
    principal, zone = current_principal(), _zone()
    return _answer(lambda session: reports.price_compliance(session, principal, zone, query["date_from"],
                                                            query["date_to"], query["only_above"]),
                   reports.COMPLIANCE_COLUMNS, "price-compliance", query)


@blp.get("/open-orders")
@blp.doc(security=SECURITY, responses=rows_or_file(OpenOrderRowSchema))
@require_roles(*reports.READERS)
@blp.arguments(OpenOrderQuery, location="query")
@blp.response(200, OpenOrderRowSchema(many=True))
def open_orders(query):
    principal, zone, today = current_principal(), _zone(), school_today()
    return _answer(lambda session: reports.open_orders(session, principal, zone, today, query["date_from"],
                                                       query["date_to"], query["overdue"]),
                   reports.OPEN_ORDER_COLUMNS, "open-orders", query)
