"""Finance's pages of meal-cost accounting: monthly statements and their ordered sign-offs, income and
spending entries, and the meal cost per diner of each dining hall over the months.

The same domain functions and role sets as the costing API, one unit of work per request.
"""
from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, request, url_for
from sqlalchemy import select

from shared import tabular
from shared.errors import NotFound
from shared.i18n import gettext as _
from shared.pages import date_or_none, load_form, page_number, page_principal, page_roles, refused_renders
from shared.pagination import paginate
from shared.web import settings, unit_of_work

from ..locations import at_own_location, own_location_id
from ..pages import form_id
from .accounts import dining_halls, period_accounts
from .api.common import ENTRY_WRITERS, READERS, SIGNERS, school_timezone, school_today
from .api.export_jobs import JOB_READERS, dispatch_job
from .entries import ENTRY_MODELS, add_entry, delete_entry
from .export_jobs import create_job, get_job, job_file, list_jobs
from .models import EXPORT_FORMATS, EXPORT_KINDS, EXPORT_STATES, SIGNATURE_SLOTS, ExportJob
from .periods import month_end, month_start, previous_month
from .schemas import (
    ExpenseEntrySchema,
    ExportJobRequestSchema,
    ExportJobSchema,
    IncomeEntrySchema,
    SignSchema,
    StatementSummarySchema,
)
from .statements import (
    SLOT_ROLES,
    get_statement,
    list_statements,
    prepare_statement,
    sign_statement,
    statement_view,
)

blp = Blueprint("costing_pages", __name__, url_prefix="/costing")
PER_PAGE = 20
CHART_MONTHS = 12
ENTRY_SCHEMAS = {"income": IncomeEntrySchema, "expense": ExpenseEntrySchema}


def _direction(direction: str) -> str:
    if direction not in ENTRY_MODELS:
        raise NotFound("No such kind of entry.")
    return direction


@blp.get("/statements")
@page_roles(*READERS)
def statements():
    status = request.args.get("status") if request.args.get("status") in ("draft", "signing", "published") else None
    with unit_of_work() as uow:
        page = paginate(uow.session, list_statements(uow.session, page_principal(), status), page_number(), PER_PAGE)
        page.items = [statement_view(uow.session, statement) for statement in page.items]
        return render_template("costing/statements.html", page=page, status=status,
                               last_month=previous_month(month_start(school_today())))


@blp.post("/statements")
@page_roles(*ENTRY_WRITERS)
@refused_renders(".statements")
def prepare():
    month = request.form.get("month", "").strip()  # a month field sends YYYY-MM; the schema takes a day
    data = load_form(StatementSummarySchema(), {"month": f"{month}-01" if len(month) == 7 else month})
    with unit_of_work() as uow:
        statement = prepare_statement(uow.session, page_principal(), data["month"])
        uow.commit()
        statement_id = statement.id
    flash(_("Statement prepared."), "ok")
    return redirect(url_for(".statement", statement_id=statement_id))


@blp.get("/statements/<int:statement_id>")
@page_roles(*READERS)
def statement(statement_id):
    principal = page_principal()
    with unit_of_work() as uow:
        view = statement_view(uow.session, get_statement(uow.session, principal, statement_id), school_timezone())
    slot = view["next_slot"]
    return render_template("costing/statement.html", statement=view, slots=SIGNATURE_SLOTS,
                           may_sign=bool(slot and principal.roles & SLOT_ROLES[slot]))


@blp.post("/statements/<int:statement_id>/signatures")
@page_roles(*SIGNERS)
@refused_renders(".statement")
def sign(statement_id):
    data = load_form(SignSchema(), {"slot": request.form.get("slot", ""),
                                    "signer_name": request.form.get("signer_name", "").strip()})
    with unit_of_work() as uow:
        signed = sign_statement(uow.session, page_principal(), statement_id, data["slot"], data["signer_name"],
                                school_today(), school_timezone())
        uow.commit()
        published = signed.status == "published"
    flash(_("Signed and published: the statement is frozen.") if published else _("Signed."), "ok")
    return redirect(url_for(".statement", statement_id=statement_id))


@blp.get("/entries/<direction>")
@page_roles(*READERS)
def entries(direction):
    model, kinds = ENTRY_MODELS[_direction(direction)]
    principal = page_principal()
    with unit_of_work() as uow:
        hall = own_location_id(uow.session, principal)
        halls = dining_halls(uow.session, principal.school_id, hall)
        statement = select(model).where(model.school_id == principal.school_id,
                                        at_own_location(uow.session, principal, model.location_id))
        wanted = request.args.get("location_id", type=int)
        if wanted:
            statement = statement.where(model.location_id == wanted)
        if request.args.get("kind") in kinds:
            statement = statement.where(model.kind == request.args["kind"])
        page = paginate(uow.session, statement.order_by(model.entry_date.desc(), model.id.desc()), page_number(),
                        PER_PAGE)
        return render_template("costing/entries.html", direction=direction, page=page, wanted=wanted,
                               hall_options=[(hall.id, hall.name) for hall in halls],
                               kind_options=[(kind, _(kind)) for kind in kinds],
                               names={hall.id: hall.name for hall in halls}, today=school_today())


@blp.post("/entries/<direction>")
@page_roles(*ENTRY_WRITERS)
@refused_renders(".entries")
def add(direction):
    data = load_form(ENTRY_SCHEMAS[_direction(direction)](), {
        "location_id": form_id(request.form.get("location_id")),
        "entry_date": request.form.get("entry_date", ""), "kind": request.form.get("kind", ""),
        "amount": request.form.get("amount", "").strip(), "note": request.form.get("note", "").strip() or None})
    with unit_of_work() as uow:
        add_entry(uow.session, page_principal(), direction, **data)
        uow.commit()
    flash(_("Entry recorded."), "ok")
    return redirect(url_for(".entries", direction=direction))


@blp.post("/entries/<direction>/<int:entry_id>/delete")
@page_roles(*ENTRY_WRITERS)
@refused_renders(".entries")
def withdraw(direction, entry_id):
    with unit_of_work() as uow:
        delete_entry(uow.session, page_principal(), _direction(direction), entry_id)
        uow.commit()
    flash(_("Entry withdrawn."), "ok")
    return redirect(url_for(".entries", direction=direction))


@blp.get("/chart")
@page_roles(*READERS)
def chart():
    """Cost per diner-meal of each dining hall (a canteen manager's own), month by month: the data the page's
    script draws."""
    principal = page_principal()
    months = [month_start(school_today())]
    for _step in range(CHART_MONTHS - 1):
        months.insert(0, previous_month(months[0]))
    series: dict[str, dict] = {}
    with unit_of_work() as uow:
        own = own_location_id(uow.session, principal)
        for first in months:
            for hall in period_accounts(uow.session, principal.school_id, first, month_end(first), school_timezone(),
                                        own).halls:
                line = series.setdefault(hall.location.code, {"name": hall.location.name, "values": []})
                line["values"].append(hall.statement.as_dict()["cost_per_diner_meal"])
    return render_template("costing/chart.html", chart={"months": [f"{m:%Y-%m}" for m in months],
                                                        "series": list(series.values())})


@blp.get("/exports")
@page_roles(*JOB_READERS)
def exports():
    """Start an export of a period, follow its progress (the page refreshes the list while a job runs),
    download it when done."""
    principal = page_principal()
    state = request.args.get("state") if request.args.get("state") in EXPORT_STATES else None
    with unit_of_work() as uow:
        statement = list_jobs(principal)
        if state:
            statement = statement.where(ExportJob.state == state)
        page = paginate(uow.session, statement, page_number(), PER_PAGE)
        jobs = ExportJobSchema(many=True).dump(page.items)
        halls = dining_halls(uow.session, principal.school_id)
        last_month = previous_month(month_start(school_today()))
        # after a start, the form keeps what was chosen: finance often exports several reports of one period
        start = date_or_none(request.args.get("start", "")) or last_month
        end = date_or_none(request.args.get("end", "")) or month_end(last_month)
        return render_template("costing/exports.html", page=page, jobs=jobs, state=state,
                               chosen={name: request.args.get(name) for name in ("kind", "format", "location_id")},
                               kind_options=[(kind, _(kind)) for kind in EXPORT_KINDS],
                               format_options=[(fmt, fmt.upper()) for fmt in EXPORT_FORMATS],
                               state_options=[(name, _(name)) for name in EXPORT_STATES],
                               hall_options=[(hall.id, hall.name) for hall in halls],
                               names={hall.id: hall.name for hall in halls}, start=start, end=end,
                               running=any(job["state"] in ("queued", "running") for job in jobs))


@blp.post("/exports")
@page_roles(*JOB_READERS)
@refused_renders(".exports")
def start_export():
    data = load_form(ExportJobRequestSchema(), {
        "kind": request.form.get("kind", ""), "format": request.form.get("format", ""),
        "start": request.form.get("start", ""), "end": request.form.get("end", ""),
        "location_id": form_id(request.form.get("location_id"))})
    with unit_of_work() as uow:
        job = create_job(uow.session, page_principal(), data["kind"], data["format"], data["start"], data["end"],
                         data["location_id"])
        uow.commit()
        job_id = job.id
    dispatch_job(job_id)
    flash(_("Export started: its progress shows below."), "ok")
    return redirect(url_for(".exports", kind=data["kind"], format=data["format"], start=data["start"].isoformat(),
                            end=data["end"].isoformat(), location_id=data["location_id"]))


@blp.post("/exports/<int:job_id>/file")  # a form's button: the every-page walk renders GET pages only
@page_roles(*JOB_READERS)
@refused_renders(".exports")
def export_file(job_id):
    with unit_of_work() as uow:
        job = get_job(uow.session, page_principal(), job_id)
        path, filename = job_file(job, settings().var_dir)
    return tabular.send_file(path, job.format, filename)
