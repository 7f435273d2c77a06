"""Inventory's back-office pages: receiving with inspection, issues (FEFO shown first), meals served,
stock, transfers, stocktakes, waste and the campus store.

Every page calls the same domain functions as the API, inside one unit of work, with the
signed-in principal, and is open to the API's roles for the same action. Staff sign in with
procurement's accounts (procurement owns them), through its sign-in API.
"""
from __future__ import annotations

import functools
from datetime import timedelta
from decimal import Decimal, InvalidOperation

from flask import Blueprint, flash, redirect, render_template, request, session, url_for
from sqlalchemy import exists, or_, select

from shared.auth import STAFF_ROLES
from shared.errors import DomainError, TooManyRequests, Unauthorized
from shared.http import ServiceClient
from shared.i18n import gettext as _
from shared.i18n import gettext_refusal
from shared.pages import date_or_none, load_form, page_number, page_principal, page_roles, refused_renders, yuan
from shared.pagination import Page, paginate
from shared.web import settings, unit_of_work

from .api.common import READERS, STOCKTAKE_APPROVERS, WRITERS, school_today
from .api.receiving import INSPECTORS
from .api.store import SELLERS
from .costing.api.common import MEALS_WRITERS
from .costing.entries import record_meals_served
from .costing.periods import utc_bounds
from .costing.schemas import MealsServedSchema
from .expiry_alerts import horizon_days
from .fefo import NotEnoughStock
from .inspection import DOCUMENTS, get_expected_receipt, inspect_delivery, notes_awaiting_inspection
from .issues import issue_to_kitchen, preview_fefo
from .locations import at_own_location, own_location_id
from .models import (
    MEALS,
    ExpectedReceipt,
    ExpectedReceiptLine,
    Item,
    Location,
    MealsServed,
    Stocktake,
    StoreSale,
    Transfer,
    WasteRecord,
)
from .reports import on_hand
from .schemas import (
    CountsSchema,
    InspectionSchema,
    IssueSchema,
    StocktakeSchema,
    StoreSaleSchema,
    TransferSchema,
    WasteSchema,
)
from .stocktakes import approve_stocktake, cancel_stocktake, get_stocktake, open_stocktake, record_counts
from .store import sell, unified_price
from .transfers import transfer_stock
from .waste import record_waste

blp = Blueprint("inventory_pages", __name__)
PER_PAGE = 20
TRANSFER_ROWS = 5
STOCKTAKE_STATES = ("counting", "approved", "cancelled")
CHOSEN_LOCATION = "inventory_location"


def sign_in(username: str, password: str) -> str:
    """A token from procurement's sign-in API: one set of staff accounts, one lockout rule."""
    client = ServiceClient(settings().service_url("procurement"), retries=0)
    try:
        answer = client.post("/api/auth/login", json={"username": username, "password": password})
    except OSError:
        raise DomainError("Sign-in is unavailable right now; try again in a minute.") from None
    if answer.status_code == 200:
        return answer.json()["access_token"]
    if answer.status_code == 429:
        raise TooManyRequests("Too many failed sign-ins; try again in a few minutes.")
    if answer.status_code in (401, 422):
        raise Unauthorized("Wrong username or password.")
    raise DomainError("Sign-in is unavailable right now; try again in a minute.")


def _list_page(rows: list) -> Page:
    """One page of rows a domain function returns whole."""
    number = page_number()
    return Page(rows[(number - 1) * PER_PAGE:number * PER_PAGE], number, PER_PAGE, len(rows))


def _locations(session, kind: str | None = None, anywhere: bool = False) -> list[Location]:
    """The school's locations (of `kind`) to pick from: a canteen manager's own hall only, unless `anywhere`
    (the other end of a transfer)."""
    principal = page_principal()
    query = select(Location).where(Location.school_id == principal.school_id)
    if not anywhere:
        query = query.where(at_own_location(session, principal, Location.id))
    if kind is not None:
        query = query.where(Location.kind == kind)
    return list(session.scalars(query.order_by(Location.code)))


def _options(locations: list[Location]) -> list[tuple[int, str]]:
    return [(loc.id, loc.name) for loc in locations]


def _chosen(locations: list[Location]) -> Location | None:
    """The location picked by `location_id`, else the one picked last, else the first (a canteen
    manager has only their own hall to pick)."""
    wanted = request.args.get("location_id", type=int) or session.get(CHOSEN_LOCATION)
    chosen = next((loc for loc in locations if loc.id == wanted), locations[0] if locations else None)
    if chosen is not None and request.args.get("location_id", type=int) == chosen.id:
        session[CHOSEN_LOCATION] = chosen.id
    return chosen


def _items(session) -> list[Item]:
    return list(session.scalars(select(Item).where(Item.school_id == page_principal().school_id,
                                                   Item.active.is_(True)).order_by(Item.code)))


def form_id(text: str | None):
    """A form's id as the API's strict schemas want it; anything else goes on for the schema to refuse."""
    return int(text) if text and text.isdigit() else (text or None)


def _positive(text: str) -> Decimal:
    try:
        quantity = Decimal(text)
    except InvalidOperation:
        raise ValueError(_("Enter a number.")) from None
    if not quantity > 0:
        raise ValueError(_("Enter a quantity above zero."))
    return quantity


def _line_field(line_id: int, name: str) -> str:
    return request.form.get(f"line-{line_id}-{name}", "").strip()


def _quantities(prefix: str) -> dict[str, str]:
    """The non-empty `<prefix>-<key>` fields of the form, by key."""
    return {name.removeprefix(f"{prefix}-"): value.strip() for name, value in request.values.items()
            if name.startswith(f"{prefix}-") and value.strip()}


@blp.get("/")
@page_roles(*STAFF_ROLES)
def home():
    return render_template("inventory/home.html")


# ---- canteen manager: deliveries due, incoming inspection, issues, meals served ----

@blp.get("/receiving")
@page_roles(*INSPECTORS)
def receiving():
    show = request.args.get("show", "open")
    with unit_of_work() as uow:
        halls = _locations(uow.session)
        hall = _chosen(halls)
        statement = (select(ExpectedReceipt).where(ExpectedReceipt.school_id == page_principal().school_id)
                     .where(exists().where(ExpectedReceiptLine.expected_receipt_id == ExpectedReceipt.id,
                                           ExpectedReceiptLine.destination == (hall.code if hall else ""))))
        if show == "open":
            statement = statement.where(
                ExpectedReceipt.cancelled_at.is_(None), ExpectedReceipt.closed_at.is_(None),
                exists().where(ExpectedReceiptLine.expected_receipt_id == ExpectedReceipt.id,
                               ExpectedReceiptLine.accepted_quantity < ExpectedReceiptLine.quantity))
        page = paginate(uow.session, statement.order_by(ExpectedReceipt.id.desc()), page_number(), PER_PAGE)
        return render_template("inventory/receiving.html", page=page, locations=halls, location=hall, show=show,
                               today=school_today())


@blp.get("/receiving/<int:expected_receipt_id>")
@page_roles(*INSPECTORS)
def expected_receipt(expected_receipt_id):
    with unit_of_work() as uow:
        expected = get_expected_receipt(uow.session, page_principal(), expected_receipt_id)
        notes = notes_awaiting_inspection(uow.session, expected)
        shipped = {line.po_line_id: line for note in notes for line in note.lines}
        return render_template("inventory/expected_receipt.html", expected=expected, notes=notes, shipped=shipped,
                               documents=DOCUMENTS, today=school_today())


@blp.post("/receiving/<int:expected_receipt_id>/inspections")
@page_roles(*INSPECTORS)
@refused_renders(".expected_receipt")
def inspect(expected_receipt_id):
    principal = page_principal()
    with unit_of_work() as uow:
        line_ids = [line.po_line_id for line in get_expected_receipt(uow.session, principal,
                                                                     expected_receipt_id).lines]
    lines = []
    for line_id in line_ids:
        value = functools.partial(_line_field, line_id)
        if not value("accepted_quantity") and not value("rejected_quantity"):
            continue  # a line left empty did not arrive in this delivery
        lines.append({"po_line_id": line_id, "accepted_quantity": value("accepted_quantity") or "0",
                      "rejected_quantity": value("rejected_quantity") or "0",
                      "rejection_reason": value("rejection_reason"), "lot_number": value("lot_number"),
                      "production_date": value("production_date") or None,
                      "shelf_life_days": form_id(value("shelf_life_days")),
                      "expiry_date": value("expiry_date") or None})
    data = load_form(InspectionSchema(), {
        "delivery_note_id": form_id(request.form.get("delivery_note_id")),
        "inspectors": [name for n in (1, 2) if (name := request.form.get(f"inspector-{n}", "").strip())],
        "documents_checked": request.form.getlist("documents_checked"), "lines": lines})
    with unit_of_work() as uow:
        inspection = inspect_delivery(uow.session, principal, expected_receipt_id, today=school_today(), **data)
        uow.commit()
        accepted = sum(line.accepted_quantity for line in inspection.lines)
    flash(_("Inspection recorded: {accepted} accepted into stock.", accepted=accepted), "ok")
    return redirect(url_for(".expected_receipt", expected_receipt_id=expected_receipt_id))


@blp.get("/issues/new")
@page_roles(*WRITERS)
def new_issue():
    """The issue form; with quantities filled in, the lots FEFO will take, before anything is posted."""
    principal = page_principal()
    # request.values: a refused post shows the same preview again
    meal_date = request.values.get("meal_date") or school_today().isoformat()
    meal = request.values.get("meal") if request.values.get("meal") in MEALS else "lunch"
    asked = _quantities("qty")
    with unit_of_work() as uow:
        halls = _locations(uow.session, "dining_hall")
        hall = _chosen(halls)
        stock = on_hand(uow.session, principal.school_id, school_today(), location_id=hall.id) if hall else []
        previews, used_on = {}, max(school_today(), date_or_none(meal_date) or school_today())
        for row in stock:
            wanted = asked.get(str(row["item_id"]))
            if wanted is None:
                continue
            try:
                previews[row["item_id"]] = preview_fefo(uow.session, principal.school_id, hall.id, row["item_id"],
                                                        _positive(wanted), used_on)
            except NotEnoughStock as short:
                previews[row["item_id"]] = gettext_refusal(short.message.template, **short.message.values)
            except ValueError as refused:
                previews[row["item_id"]] = str(refused)
        return render_template("inventory/issue.html", locations=halls, location=hall, stock=stock, meal=meal,
                               meal_date=meal_date, meals=MEALS, asked=asked, previews=previews)


@blp.post("/issues")
@page_roles(*WRITERS)
@refused_renders(".new_issue")
def post_issue():
    lines = [{"item_id": form_id(key), "quantity": value} for key, value in _quantities("qty").items()]
    data = load_form(IssueSchema(), {"location_id": form_id(request.form.get("location_id")),
                                     "meal_date": request.form.get("meal_date", ""),
                                     "meal": request.form.get("meal", ""), "lines": lines})
    with unit_of_work() as uow:
        issue = issue_to_kitchen(uow.session, page_principal(), today=school_today(), **data)
        uow.commit()
        value = -sum(movement.value for movement in issue.movements)
    flash(_("Issued to the kitchen: {value} at cost.", value=yuan(value)), "ok")
    return redirect(url_for(".new_issue", location_id=data["location_id"]))


@blp.get("/meals-served")
@page_roles(*MEALS_WRITERS)
def meals_served():
    principal = page_principal()
    with unit_of_work() as uow:
        halls = _locations(uow.session, "dining_hall")
        hall = _chosen(halls)
        statement = (select(MealsServed).where(MealsServed.school_id == principal.school_id,
                                               MealsServed.location_id == (hall.id if hall else None))
                     .order_by(MealsServed.meal_date.desc(), MealsServed.id.desc()))
        return render_template("inventory/meals_served.html", locations=halls, location=hall, meals=MEALS,
                               page=paginate(uow.session, statement, page_number(), PER_PAGE),
                               today=school_today())


@blp.post("/meals-served")
@page_roles(*MEALS_WRITERS)
@refused_renders(".meals_served")
def record_meals():
    data = load_form(MealsServedSchema(), {"location_id": form_id(request.form.get("location_id")),
                                           "meal_date": request.form.get("meal_date", ""),
                                           "meal": request.form.get("meal", ""),
                                           "diners": form_id(request.form.get("diners"))})
    with unit_of_work() as uow:
        record_meals_served(uow.session, page_principal(), **data)
        uow.commit()
    flash(_("{diners} diners recorded.", diners=data["diners"]), "ok")
    return redirect(url_for(".meals_served", location_id=data["location_id"]))


# ---- storekeeper: stock with lots and expiry, transfers, stocktakes, waste ----

@blp.get("/stock")
@page_roles(*READERS)
def stock():
    principal, today = page_principal(), school_today()
    search = request.args.get("q", "").strip()
    with unit_of_work() as uow:
        locations = _locations(uow.session)
        wanted = request.args.get("location_id", type=int)
        location = next((loc for loc in locations if loc.id == wanted), None)
        rows = on_hand(uow.session, principal.school_id, today, location_id=location.id if location else None,
                       hall_id=own_location_id(uow.session, principal))
        if search:
            rows = [row for row in rows if search.lower() in f"{row['item_code']} {row['item_name']}".lower()]
        soon = {loc.id: today + timedelta(days=horizon_days(loc)) for loc in locations}
        return render_template("inventory/stock.html", page=_list_page(rows),
                               location_options=_options(locations),
                               location=location, search=search, soon=soon, today=today,
                               names=dict(_options(locations)))


@blp.get("/transfers")
@page_roles(*READERS)
def transfers():
    principal = page_principal()
    with unit_of_work() as uow:
        statement = select(Transfer).where(
            Transfer.school_id == principal.school_id,
            at_own_location(uow.session, principal, Transfer.from_location_id, Transfer.to_location_id),
        ).order_by(Transfer.id.desc())
        through = request.args.get("through", type=int)
        if through:
            statement = statement.where(or_(Transfer.from_location_id == through, Transfer.to_location_id == through))
        # either end may be another location; the posting refuses a canteen manager's transfer that has neither
        # end at their hall
        everywhere = _locations(uow.session, anywhere=True)
        return render_template("inventory/transfers.html", rows=range(TRANSFER_ROWS), through=through,
                               location_options=_options(everywhere),
                               through_options=_options(_locations(uow.session)),
                               item_options=[(item.id, f"{item.name} {item.code}") for item in _items(uow.session)],
                               names=dict(_options(everywhere)),
                               page=paginate(uow.session, statement, page_number(), PER_PAGE))


@blp.post("/transfers")
@page_roles(*WRITERS)
@refused_renders(".transfers")
def post_transfer():
    lines = []
    for row in range(TRANSFER_ROWS):
        item, quantity = request.form.get(f"item-{row}", ""), request.form.get(f"quantity-{row}", "").strip()
        if item or quantity:
            lines.append({"item_id": form_id(item), "quantity": quantity})  # FEFO picks the lots
    data = load_form(TransferSchema(), {"from_location_id": form_id(request.form.get("from_location_id")),
                                        "to_location_id": form_id(request.form.get("to_location_id")),
                                        "lines": lines})
    with unit_of_work() as uow:
        transfer_stock(uow.session, page_principal(), today=school_today(), **data)
        uow.commit()
    flash(_("Transfer posted."), "ok")
    return redirect(url_for(".transfers"))


@blp.get("/stocktakes")
@page_roles(*READERS)
def stocktakes():
    principal = page_principal()
    status = request.args.get("status") if request.args.get("status") in STOCKTAKE_STATES else None
    with unit_of_work() as uow:
        locations = _locations(uow.session)
        wanted = request.args.get("location_id", type=int)
        statement = select(Stocktake).where(Stocktake.school_id == principal.school_id,
                                            at_own_location(uow.session, principal, Stocktake.location_id))
        if status:
            statement = statement.where(Stocktake.status == status)
        if wanted:
            statement = statement.where(Stocktake.location_id == wanted)
        return render_template("inventory/stocktakes.html", status=status, wanted=wanted,
                               location_options=_options(locations),
                               status_options=[(state, _(state)) for state in STOCKTAKE_STATES],
                               names=dict(_options(locations)),
                               page=paginate(uow.session, statement.order_by(Stocktake.id.desc()), page_number(),
                                             PER_PAGE))


@blp.post("/stocktakes")
@page_roles(*WRITERS)
@refused_renders(".stocktakes")
def post_stocktake():
    data = load_form(StocktakeSchema(), {"location_id": form_id(request.form.get("location_id"))})
    with unit_of_work() as uow:
        stocktake = open_stocktake(uow.session, page_principal(), data["location_id"])
        uow.commit()
        stocktake_id = stocktake.id
    flash(_("Count sheet drawn up."), "ok")
    return redirect(url_for(".stocktake", stocktake_id=stocktake_id))


@blp.get("/stocktakes/<int:stocktake_id>")
@page_roles(*READERS)
def stocktake(stocktake_id):
    with unit_of_work() as uow:
        sheet = get_stocktake(uow.session, page_principal(), stocktake_id)
        location = uow.session.get(Location, sheet.location_id)
        return render_template("inventory/stocktake.html", sheet=sheet, location=location,
                               may_approve=bool(page_principal().roles & set(STOCKTAKE_APPROVERS)))


@blp.post("/stocktakes/<int:stocktake_id>/counts")
@page_roles(*WRITERS)
@refused_renders(".stocktake")
def count(stocktake_id):
    lines = [{"line_id": form_id(key), "counted_quantity": value} for key, value in _quantities("count").items()]
    data = load_form(CountsSchema(), {"lines": lines})
    with unit_of_work() as uow:
        record_counts(uow.session, page_principal(), stocktake_id, data["lines"])
        uow.commit()
    flash(_("Counts saved."), "ok")
    return redirect(url_for(".stocktake", stocktake_id=stocktake_id))


@blp.post("/stocktakes/<int:stocktake_id>/approve")
@page_roles(*STOCKTAKE_APPROVERS)
@refused_renders(".stocktake")
def approve(stocktake_id):
    with unit_of_work() as uow:
        approve_stocktake(uow.session, page_principal(), stocktake_id)
        uow.commit()
    flash(_("Stocktake approved: the variances are posted as adjustments."), "ok")
    return redirect(url_for(".stocktake", stocktake_id=stocktake_id))


@blp.post("/stocktakes/<int:stocktake_id>/cancel")
@page_roles(*STOCKTAKE_APPROVERS)
@refused_renders(".stocktake")
def cancel(stocktake_id):
    with unit_of_work() as uow:
        cancel_stocktake(uow.session, page_principal(), stocktake_id, request.form.get("reason", "").strip() or None)
        uow.commit()
    flash(_("Stocktake cancelled."), "ok")
    return redirect(url_for(".stocktake", stocktake_id=stocktake_id))


@blp.get("/waste")
@page_roles(*READERS)
def waste():
    principal = page_principal()
    with unit_of_work() as uow:
        locations = _locations(uow.session)
        location = _chosen(locations)
        rows = on_hand(uow.session, principal.school_id, school_today(), location_id=location.id) if location else []
        statement = (select(WasteRecord).where(WasteRecord.school_id == principal.school_id,
                                               WasteRecord.location_id == (location.id if location else None))
                     .order_by(WasteRecord.id.desc()))
        return render_template("inventory/waste.html", locations=locations, location=location, stock=rows,
                               names=dict(_options(locations)),
                               page=paginate(uow.session, statement, page_number(), PER_PAGE))


@blp.post("/waste")
@page_roles(*WRITERS)
@refused_renders(".waste")
def post_waste():
    lines = []
    for key, quantity in _quantities("waste").items():
        item_id, _sep, lot_id = key.partition("-")
        lines.append({"item_id": form_id(item_id), "lot_id": form_id(lot_id), "quantity": quantity})
    data = load_form(WasteSchema(), {"location_id": form_id(request.form.get("location_id")),
                                     "reason": request.form.get("reason", "").strip(), "lines": lines})
    with unit_of_work() as uow:
        record_waste(uow.session, page_principal(), **data)
        uow.commit()
    flash(_("Waste written off."), "ok")
    return redirect(url_for(".waste", location_id=data["location_id"]))


# ---- store manager: campus-store stock, unified prices, sales, restricted food ----

@blp.get("/store")
@page_roles(*SELLERS, "finance", "supervisor")
def store():
    principal, today = page_principal(), school_today()
    with unit_of_work() as uow:
        shop = next(iter(_locations(uow.session, "campus_store")), None)
        rows = on_hand(uow.session, principal.school_id, today, location_id=shop.id) if shop else []
        prices = []
        for item in _items(uow.session):
            price = unified_price(uow.session, item.id, today)
            if price is not None or item.restricted:
                prices.append({"item": item, "price": price})
        statement = select(StoreSale).where(StoreSale.school_id == principal.school_id).order_by(StoreSale.id.desc())
        sold_on = date_or_none(request.args.get("sold_on", ""))
        if sold_on is not None:
            begin, end = utc_bounds(sold_on, sold_on, settings().school_timezone)
            statement = statement.where(StoreSale.created_at >= begin, StoreSale.created_at < end)
        return render_template("inventory/store.html", shop=shop, stock=rows, prices=prices, today=today,
                               sold_on=sold_on,
                               page=paginate(uow.session, statement, page_number(), PER_PAGE))


@blp.post("/store/sales")
@page_roles(*SELLERS)
@refused_renders(".store")
def post_sale():
    lines = [{"item_id": form_id(key), "quantity": value} for key, value in _quantities("sell").items()]
    data = load_form(StoreSaleSchema(), {"location_id": form_id(request.form.get("location_id")), "lines": lines})
    with unit_of_work() as uow:
        sale = sell(uow.session, page_principal(), today=school_today(), **data)
        uow.commit()
        revenue = sale.revenue
    flash(_("Sale recorded: {revenue}.", revenue=yuan(revenue)), "ok")
    return redirect(url_for(".store"))
