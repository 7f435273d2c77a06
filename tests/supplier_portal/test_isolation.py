"""Supplier B, signed in, tries every portal route on supplier A's records: it gets 404 (403 where the
route is for school staff only), and A's records are unchanged. A route missing from ROUTES fails.
API routes are probed with B's bearer token, page routes with B's signed-in session cookie."""
from __future__ import annotations

import io
import re
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal

import pytest
from sqlalchemy import func, select

from services.supplier_portal.accounts import create_supplier_user, principal_for
from services.supplier_portal.models import (
    ComplianceDeclaration,
    DeliveryNote,
    Invoice,
    Notification,
    PurchaseOrder,
    QualificationDocument,
    Quote,
    Scorecard,
    Supplier,
    SupplierUser,
    UnifiedPriceLine,
    UnifiedPriceList,
)
from services.supplier_portal.notifications import notify
from services.supplier_portal.tasks import consumer
from shared.auth import Principal, verify_password
from shared.uploads import LocalFileStore
from tests.conftest import bearer

from .conftest import PASSWORD, PDF
from .factories import acknowledged_order, deliver, goods_received, po_sent, rfq_copy, rfq_issued


@dataclass
class Probe:
    """`status` is what B gets when it names A's record; `own` is what it gets on its own record."""

    status: int
    own: int | None = None
    json: dict | None = field(default=None)
    # Which of the tenant's ids fills a placeholder, when not the one of the same name.
    use: dict = field(default_factory=dict)


@dataclass
class PageProbe:
    """A page route, probed through a signed-in session; `form` is posted with the session's CSRF token."""

    status: int
    own: int | None = None
    form: dict | None = None
    use: dict = field(default_factory=dict)


@dataclass
class Exempt:
    why: str


NEXT_MONTH = (date.today() + timedelta(days=30)).isoformat()
QUOTE = {"valid_until": NEXT_MONTH, "lines": [{"rfq_line_id": 1, "unit_price": "5.60"}]}
DELIVERY = {"planned_at": "2026-03-04T23:00:00+00:00", "lines": [
    {"po_line_id": 9001, "quantity": "10.000", "lot_number": "L2", "production_date": "2026-02-20"}]}
DELIVERY_FORM = {"planned_at": "2026-03-05T07:00", "deliver-9001-quantity": "10", "deliver-9001-lot_number": "L3",
                 "deliver-9001-production_date": "2026-02-20"}
INVOICE = {"invoice_number": "INV-2", "issued_on": date.today().isoformat(),
           "lines": [{"po_line_id": 9001, "quantity": "1.000"}]}

# Every (method, rule) the portal serves. Adding a route without an entry here fails the test.
ROUTES = {
    ("GET", "/api/suppliers/<int:supplier_id>"): Probe(404, own=200),
    ("PATCH", "/api/suppliers/<int:supplier_id>"): Probe(404, own=200, json={"contact_name": "改名"}),
    ("POST", "/api/suppliers/<int:supplier_id>/resubmit"): Probe(404, own=409),
    ("POST", "/api/suppliers/<int:supplier_id>/approve"): Probe(403),
    ("POST", "/api/suppliers/<int:supplier_id>/reject"): Probe(403, json={"reason": "x"}),
    ("POST", "/api/suppliers/<int:supplier_id>/invitation-code"): Probe(403),
    ("GET", "/api/suppliers"): Probe(403),
    ("GET", "/api/suppliers/bulk-commodity-licences"): Probe(403),
    ("POST", "/api/users/<int:user_id>/deactivate"): Probe(404, own=200),
    ("POST", "/api/users/<int:user_id>/reactivate"): Probe(404, own=200),
    ("GET", "/api/documents/<int:document_id>"): Probe(404, own=200),
    ("GET", "/api/documents/<int:document_id>/file"): Probe(404, own=200),
    ("POST", "/api/documents/<int:document_id>/approve"): Probe(403, json={}),
    ("POST", "/api/documents/<int:document_id>/reject"): Probe(403, json={"note": "x"}),
    ("POST", "/api/notifications/<int:notification_id>/read"): Probe(404, own=200),
    # Lists and the caller's own things name no record: they must show only B's rows.
    ("GET", "/api/orders/<int:order_id>"): Probe(404, own=200),
    ("POST", "/api/orders/<int:order_id>/acknowledge"): Probe(404, own=200, json={"revision": 1}),
    ("POST", "/api/orders/<int:order_id>/decline"): Probe(404, own=409, json={"revision": 1, "reason": "x"}),
    # Entries run in this order: the draft is saved before the quote is submitted.
    ("GET", "/api/rfqs/<int:rfq_id>"): Probe(404, own=200),
    ("PUT", "/api/rfqs/<int:rfq_id>/quote"): Probe(404, own=200, json={"lines": []}),
    ("POST", "/api/rfqs/<int:rfq_id>/quote"): Probe(404, own=201, json=QUOTE),
    ("GET", "/api/quotes/<int:quote_id>"): Probe(404, own=200),
    ("POST", "/api/orders/<int:order_id>/delivery-notes"): Probe(
        404, own=201, json=DELIVERY, use={"order_id": "delivered_order_id"}),
    ("GET", "/api/delivery-notes/<int:note_id>"): Probe(404, own=200),
    ("POST", "/api/orders/<int:order_id>/invoices"): Probe(
        404, own=201, json=INVOICE, use={"order_id": "delivered_order_id"}),
    ("GET", "/api/invoices/<int:invoice_id>"): Probe(404, own=200),
    ("GET", "/api/suppliers/<int:supplier_id>/six-unifications"): Probe(404, own=200),
    ("GET", "/api/six-unifications/declarations/<int:declaration_id>/evidence"): Probe(404, own=200),
    ("POST", "/api/six-unifications/declarations/<int:declaration_id>/assess"): Probe(
        403, json={"result": "accepted", "assessed_on": date.today().isoformat()}),
    ("GET", "/api/unified-prices/<int:price_list_id>"): Probe(404, own=200),
    ("POST", "/api/suppliers/<int:supplier_id>/scorecards"): Probe(
        403, json={"period_start": "2026-03-01", "period_end": "2026-03-31", "rating": "satisfactory"}),
    ("GET", "/api/scorecards/<int:scorecard_id>"): Probe(404, own=200),
    ("GET", "/api/unified-prices"): "list",
    ("GET", "/api/scorecards"): "list",
    ("POST", "/api/six-unifications/declarations"): "own",
    ("POST", "/api/unified-prices"): "own",
    ("GET", "/api/orders"): "list",
    ("GET", "/api/rfqs"): "list",
    ("GET", "/api/quotes"): "list",
    ("GET", "/api/delivery-notes"): "list",
    ("GET", "/api/invoices"): "list",
    ("GET", "/api/users"): "list",
    ("GET", "/api/documents"): "list",
    ("GET", "/api/notifications"): "list",
    ("GET", "/api/auth/me"): "own",
    ("POST", "/api/auth/password"): "own",
    ("POST", "/api/users"): "own",
    ("POST", "/api/documents"): "own",
    ("POST", "/api/auth/register"): Exempt("public: creates a new supplier, reads none"),
    ("POST", "/api/auth/register-invited"): Exempt("public: finds its supplier only by a secret one-time code"),
    ("POST", "/api/auth/login"): Exempt("public: answers the same for every unknown or wrong credential"),
    ("GET", "/healthz"): Exempt("no tenant data"),
    ("GET", "/readyz"): Exempt("no tenant data"),
    ("GET", "/api/openapi.json"): Exempt("no tenant data"),
    ("GET", "/api/docs"): Exempt("no tenant data"),
    ("GET", "/static/<path:filename>"): Exempt("Flask's static files; the portal has none"),
    # Pages: the same domain functions as the API, reached with the session cookie.
    ("GET", "/orders/<int:order_id>"): PageProbe(404, own=200),
    ("POST", "/orders/<int:order_id>/acknowledge"): PageProbe(404, own=302, form={"revision": "1"}),
    ("POST", "/orders/<int:order_id>/decline"): PageProbe(404, own=409, form={"revision": "1", "reason": "x"}),
    ("GET", "/rfqs/<int:rfq_id>"): PageProbe(404, own=200),
    ("POST", "/rfqs/<int:rfq_id>/quote"): PageProbe(404, own=302, form={"action": "draft",
                                                                         "quote-1-unit_price": "5.00"}),
    ("POST", "/orders/<int:order_id>/delivery-notes"): PageProbe(
        404, own=302, form=DELIVERY_FORM, use={"order_id": "delivered_order_id"}),
    ("POST", "/orders/<int:order_id>/invoices"): PageProbe(404, own=302, use={"order_id": "delivered_order_id"}, form={
        "invoice_number": "INV-P", "issued_on": date.today().isoformat(), "invoice-9001-quantity": "1.000"}),
    ("GET", "/delivery-notes/<int:note_id>"): PageProbe(404, own=200),
    ("GET", "/invoices/<int:invoice_id>"): PageProbe(404, own=200),
    ("POST", "/notifications/<int:notification_id>/read"): PageProbe(404, own=302),
    ("POST", "/users/<int:user_id>/deactivate"): PageProbe(404, own=302),
    ("POST", "/users/<int:user_id>/reactivate"): PageProbe(404, own=302),
    ("GET", "/"): "page",
    ("GET", "/orders"): "page",
    ("GET", "/rfqs"): "page",
    ("GET", "/quotes"): "page",
    ("GET", "/delivery-notes"): "page",
    ("GET", "/invoices"): "page",
    ("GET", "/scorecards"): "page",
    ("GET", "/notifications"): "page",
    ("GET", "/documents"): "page",
    ("GET", "/users"): "page",
    ("GET", "/profile"): "page",
    ("GET", "/six-unifications"): "page",
    # Page forms that name no record: they act on the signed-in user's own supplier (see PAGE_FORMS).
    ("POST", "/documents"): "page form",
    ("POST", "/profile"): "page form",
    ("POST", "/profile/password"): "page form",
    ("POST", "/users"): "page form",
    ("POST", "/six-unifications"): "page form",
    ("GET", "/login"): Exempt("public: the sign-in form"),
    ("POST", "/login"): Exempt("public: answers the same for every unknown or wrong credential"),
    ("POST", "/logout"): Exempt("ends the caller's own session only"),
    ("POST", "/language"): Exempt("sets the caller's own language only"),
    ("GET", "/assets/shared/<path:filename>"): Exempt("the shared stylesheet and script; no tenant data"),
}


@dataclass
class Tenant:
    supplier_id: int
    owner: dict
    staff_user_id: int
    document_id: int
    notification_id: int
    ids: dict


@pytest.fixture
def tenants(portal, portal_db, store_root, approved_supplier):
    """Two approved suppliers, each with a user, a licence, a notification, an RFQ copy and a draft quote,
    an order to answer, and an order delivered, inspected and invoiced."""
    store = LocalFileStore(store_root)

    def make(name):
        supplier, owner_user, owner = approved_supplier(name, categories=("vegetables", "store_goods"))
        with portal_db.unit_of_work() as uow:
            staff = create_supplier_user(uow.session, supplier.id, f"staff-{supplier.id}@example.cn", "员工",
                                         PASSWORD, "staff")
            document = QualificationDocument(
                supplier_id=supplier.id, kind="business_licence", number="N1", status="approved",
                expires_on=date.today() + timedelta(days=300), storage_key=store.put(supplier.id, "pdf", PDF),
                content_type="application/pdf", size_bytes=len(PDF), sha256="0" * 64, original_filename="a.pdf",
                uploaded_by=str(owner_user.id))
            uow.session.add(document)
            note = notify(uow.session, supplier.id, "licence_expiring", f"probe:{supplier.id}", number="N1",
                          expires_on=document.expires_on, days=300)
            declaration = ComplianceDeclaration(
                supplier_id=supplier.id, item_code="pricing", statement="统一价格", status="declared",
                storage_key=store.put(supplier.id, "pdf", PDF), content_type="application/pdf",
                size_bytes=len(PDF), sha256="0" * 64, original_filename="p.pdf", declared_by=str(owner_user.id))
            price_list = UnifiedPriceList(supplier_id=supplier.id, effective_from=date.today(),
                                          published_by=str(owner_user.id), lines=[UnifiedPriceLine(
                                              item_id=31, item_code="WATER-550", unit_price=Decimal("1.50"))])
            scorecard = Scorecard(school_id=1, supplier_id=supplier.id, period_start=date(2026, 1, 1),
                                  period_end=date(2026, 1, 31), deliveries=0, disputes=0, rating="satisfactory",
                                  rated_by="1")
            uow.session.add_all([declaration, price_list, scorecard])
            uow.commit()
        consumer.apply(portal_db, po_sent(supplier.id, po_id=7000 + supplier.id))
        with portal_db.unit_of_work() as uow:
            order = uow.session.scalar(select(PurchaseOrder).where(PurchaseOrder.po_id == 7000 + supplier.id))
        delivered = acknowledged_order(portal, portal_db, supplier.id, owner, po_id=8000 + supplier.id)
        delivery = portal.post(f"/api/orders/{delivered.id}/delivery-notes", headers=owner, json=DELIVERY).json
        deliver(portal_db, goods_received(supplier.id, po_id=8000 + supplier.id, receipt_id=8000 + supplier.id,
                                          delivery_note_id=delivery["id"], accepted="10.000"))
        invoice = portal.post(f"/api/orders/{delivered.id}/invoices", headers=owner,
                              json=INVOICE | {"invoice_number": "INV-1"}).json
        return supplier, owner, staff, document, note, {
            "supplier_id": supplier.id, "user_id": staff.id, "document_id": document.id,
            "notification_id": note.id, "order_id": order.id, "delivered_order_id": delivered.id,
            "note_id": delivery["id"], "invoice_id": invoice["id"], "declaration_id": declaration.id,
            "price_list_id": price_list.id, "scorecard_id": scorecard.id, "owner_email": owner_user.email,
            "staff_email": staff.email}

    made = [make("甲"), make("乙")]
    # Both were invited to the same RFQ: each holds its own copy and its own draft.
    deliver(portal_db, rfq_issued([made[0][0].id, made[1][0].id], rfq_id=301))
    tenants = []
    for supplier, owner, staff, document, note, ids in made:
        rfq = rfq_copy(portal_db, supplier.id)
        draft = portal.put(f"/api/rfqs/{rfq.id}/quote", headers=owner, json={"lines": []}).json
        ids |= {"rfq_id": rfq.id, "quote_id": draft["id"]}
        tenants.append(Tenant(supplier.id, owner, staff.id, document.id, note.id, ids))
    return tenants


def portal_routes(portal):
    for rule in portal.application.url_map.iter_rules():
        for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
            yield method, rule.rule


def test_every_portal_route_has_an_isolation_entry(portal):
    missing = [route for route in portal_routes(portal) if route not in ROUTES]
    assert missing == [], f"add these routes to ROUTES in {__file__}: {missing}"
    stale = [route for route in ROUTES if route not in set(portal_routes(portal))]
    assert stale == [], f"these ROUTES entries name no route: {stale}"


def fill(rule: str, ids: dict, use: dict | None = None) -> str:
    use = use or {}
    return re.sub(r"<int:(\w+)>", lambda match: str(ids[use.get(match.group(1), match.group(1))]), rule)


def test_supplier_b_cannot_reach_any_of_supplier_a_records(portal, tenants, portal_db):
    a, b = tenants
    probes = {route: entry for route, entry in ROUTES.items() if isinstance(entry, Probe)}
    for (method, rule), probe in probes.items():
        response = portal.open(fill(rule, a.ids, probe.use), method=method, headers=b.owner, json=probe.json)
        assert response.status_code == probe.status, (method, rule, response.json)
        if probe.status == 404:
            assert "甲" not in response.get_data(as_text=True)
    with portal_db.unit_of_work() as uow:  # nothing of A's changed
        assert uow.session.get(SupplierUser, a.staff_user_id).active is True
        assert uow.session.get(QualificationDocument, a.document_id).status == "approved"
        assert uow.session.get(PurchaseOrder, a.ids["order_id"]).status == "sent"
        assert uow.session.get(Quote, a.ids["quote_id"]).status == "draft"
        assert uow.session.get(ComplianceDeclaration, a.ids["declaration_id"]).status == "declared"
        assert uow.session.scalar(select(func.count()).select_from(DeliveryNote).where(
            DeliveryNote.supplier_id == a.supplier_id)) == 1
        assert uow.session.scalar(select(func.count()).select_from(Invoice).where(
            Invoice.supplier_id == a.supplier_id)) == 1
    # The same routes on B's own records do answer: the 404s above were the isolation, not a broken route.
    for (method, rule), probe in probes.items():
        if probe.own is not None:
            response = portal.open(fill(rule, b.ids, probe.use), method=method, headers=b.owner, json=probe.json)
            assert response.status_code == probe.own, (method, rule, response.json)


def test_lists_and_own_routes_show_supplier_b_only_its_own_rows(portal, tenants):
    a, b = tenants
    def items(url):
        return portal.get(url, headers=b.owner).json["items"]

    assert {u["supplier_id"] for u in items("/api/users")} == {b.supplier_id}
    assert items(f"/api/documents?supplier_id={a.supplier_id}") == []
    assert b.document_id in [d["id"] for d in items("/api/documents")]
    assert {d["supplier_id"] for d in items("/api/documents")} == {b.supplier_id}
    assert b.notification_id in [n["id"] for n in items("/api/notifications?per_page=200")]
    assert a.notification_id not in [n["id"] for n in items("/api/notifications?per_page=200")]
    assert {o["id"] for o in items("/api/orders")} == {b.ids["order_id"], b.ids["delivered_order_id"]}
    assert [r["id"] for r in items("/api/rfqs")] == [b.ids["rfq_id"]]
    assert [q["id"] for q in items("/api/quotes")] == [b.ids["quote_id"]]
    assert [n["id"] for n in items("/api/delivery-notes")] == [b.ids["note_id"]]
    assert items(f"/api/delivery-notes?order_id={a.ids['delivered_order_id']}") == []
    assert [i["id"] for i in items("/api/invoices")] == [b.ids["invoice_id"]]
    assert items(f"/api/invoices?order_id={a.ids['delivered_order_id']}") == []
    assert [p["id"] for p in items("/api/unified-prices")] == [b.ids["price_list_id"]]
    assert items(f"/api/unified-prices?supplier_id={a.supplier_id}") == []
    assert [c["id"] for c in items("/api/scorecards")] == [b.ids["scorecard_id"]]
    declared = portal.post("/api/six-unifications/declarations", headers=b.owner, content_type="multipart/form-data",
                           data={"item": "pricing", "statement": "x", "supplier_id": str(a.supplier_id),
                                 "file": (io.BytesIO(PDF), "p.pdf")})
    assert declared.status_code == 422 and "supplier_id" in declared.json["errors"]
    published = portal.post("/api/unified-prices", headers=b.owner, json={
        "supplier_id": a.supplier_id, "effective_from": date.today().isoformat(),
        "prices": [{"item_id": 1, "item_code": "X", "unit_price": "1.00"}]})
    assert published.status_code == 422 and "supplier_id" in published.json["errors"]
    assert portal.get("/api/auth/me", headers=b.owner).json["supplier"]["id"] == b.supplier_id
    created = portal.post("/api/users", headers=b.owner, json={
        "email": "new@b.example.cn", "display_name": "新", "password": PASSWORD, "supplier_id": a.supplier_id})
    assert created.status_code == 422  # a supplier cannot even name another supplier
    uploaded = portal.post("/api/documents", headers=b.owner, content_type="multipart/form-data", data={
        "kind": "business_licence", "number": "N2", "expires_on": (date.today() + timedelta(days=9)).isoformat(),
        "supplier_id": str(a.supplier_id), "file": (io.BytesIO(PDF), "b.pdf")})
    assert uploaded.status_code == 422 and "supplier_id" in uploaded.json["errors"]


def test_a_staff_token_of_supplier_b_is_refused_the_owner_routes_of_its_own_supplier(portal, tenants, portal_db):
    _, b = tenants
    with portal_db.unit_of_work() as uow:
        staff = uow.session.get(SupplierUser, b.staff_user_id)
    headers = bearer(principal_for(staff))
    assert portal.get("/api/users", headers=headers).status_code == 403
    assert portal.patch(f"/api/suppliers/{b.supplier_id}", headers=headers, json={}).status_code == 403


def test_a_deactivated_supplier_users_still_valid_token_is_refused_on_every_route(portal, tenants, portal_db):
    _, b = tenants
    with portal_db.unit_of_work() as uow:
        staff = uow.session.get(SupplierUser, b.staff_user_id)
    token = bearer(principal_for(staff))
    assert portal.get("/api/rfqs", headers=token).status_code == 200
    assert portal.post(f"/api/users/{b.staff_user_id}/deactivate", headers=b.owner).status_code == 200
    guarded = {route: entry for route, entry in ROUTES.items() if isinstance(entry, Probe) or entry in ("list", "own")}
    for (method, rule), entry in guarded.items():
        use = entry.use if isinstance(entry, Probe) else {}
        body = entry.json if isinstance(entry, Probe) else None
        response = portal.open(fill(rule, b.ids, use), method=method, headers=token, json=body)
        assert response.status_code == 401, (method, rule, response.json)
        assert "deactivated" in response.json["detail"]
    # The check knows no exceptions: even a public route refuses a request carrying the stale token.
    assert portal.get("/healthz", headers=token).status_code == 401
    assert portal.get("/healthz").status_code == 200


def test_a_token_naming_a_user_of_another_supplier_or_no_user_is_refused(portal, tenants):
    a, b = tenants
    forged = bearer(Principal(str(a.staff_user_id), frozenset({"supplier_staff"}), supplier_id=b.supplier_id))
    ghost = bearer(Principal("999999", frozenset({"supplier_owner"}), supplier_id=b.supplier_id))
    promoted = bearer(Principal(str(b.staff_user_id), frozenset({"supplier_owner"}), supplier_id=b.supplier_id))
    for headers in (forged, ghost, promoted):
        assert portal.get("/api/orders", headers=headers).status_code == 401


def test_every_list_route_answers_one_page_with_its_total(portal, tenants, reviewer):
    _, b = tenants
    lists = [rule for (method, rule), entry in ROUTES.items() if entry == "list"] + ["/api/suppliers"]
    for rule in lists:
        headers = reviewer if rule == "/api/suppliers" else b.owner
        whole = portal.get(rule, headers=headers).json
        assert set(whole) == {"items", "page", "per_page", "total"}, rule
        assert whole["total"] == len(whole["items"]) >= 1, rule
        first = portal.get(f"{rule}?per_page=1", headers=headers).json
        assert (first["page"], first["per_page"], first["total"], len(first["items"])) == (1, 1, whole["total"], 1)
        assert first["items"][0] == whole["items"][0], rule
        beyond = portal.get(f"{rule}?page={whole['total'] + 1}&per_page=1", headers=headers).json
        assert beyond["items"] == [] and beyond["total"] == whole["total"], rule
        for bad in ("per_page=0", "per_page=201", "page=0", "page=x"):
            assert portal.get(f"{rule}?{bad}", headers=headers).status_code == 422, (rule, bad)


def page_session(portal, email: str) -> str:
    """Sign `email` in on the pages; returns the session's CSRF token."""
    portal.post("/logout", data={"csrf_token": _csrf(portal.get("/login"))})
    signed_in = portal.post("/login", data={"username": email, "password": PASSWORD,
                                            "csrf_token": _csrf(portal.get("/login"))})
    assert signed_in.status_code == 302, signed_in.get_data(as_text=True)
    return _csrf(portal.get("/"))


def _csrf(response) -> str:
    return re.search(r'name="csrf_token" value="([^"]+)"', response.get_data(as_text=True)).group(1)


def test_supplier_b_signed_in_on_the_pages_cannot_reach_any_of_supplier_a_records(portal, tenants, portal_db):
    a, b = tenants
    csrf = page_session(portal, b.ids["owner_email"])
    probes = {route: entry for route, entry in ROUTES.items() if isinstance(entry, PageProbe)}
    for (method, rule), probe in probes.items():
        form = {**(probe.form or {}), "csrf_token": csrf} if method == "POST" else None
        response = portal.open(fill(rule, a.ids, probe.use), method=method, data=form)
        assert response.status_code == probe.status, (method, rule, response.get_data(as_text=True))
        assert "甲" not in response.get_data(as_text=True)
    with portal_db.unit_of_work() as uow:
        assert uow.session.get(PurchaseOrder, a.ids["order_id"]).status == "sent"
        assert uow.session.get(Quote, a.ids["quote_id"]).lines == []
        assert uow.session.get(SupplierUser, a.staff_user_id).active is True
        assert uow.session.get(Notification, a.notification_id).read_at is None
        assert uow.session.scalar(select(func.count()).select_from(DeliveryNote).where(
            DeliveryNote.supplier_id == a.supplier_id)) == 1
        assert uow.session.scalar(select(func.count()).select_from(Invoice).where(
            Invoice.supplier_id == a.supplier_id)) == 1
    for (method, rule), probe in probes.items():
        form = {**(probe.form or {}), "csrf_token": csrf} if method == "POST" else None
        response = portal.open(fill(rule, b.ids, probe.use), method=method, data=form)
        assert response.status_code == probe.own, (method, rule, response.get_data(as_text=True))


def test_the_list_pages_show_supplier_b_only_its_own_records(portal, tenants):
    a, b = tenants
    page_session(portal, b.ids["owner_email"])
    pages = [rule for (method, rule), entry in ROUTES.items() if entry == "page"]
    shown = {rule: portal.get(rule).get_data(as_text=True) for rule in pages}
    assert all(body.count("甲") == 0 for body in shown.values())
    everything = "".join(shown.values())
    for name in ("order_id", "delivered_order_id"):
        assert f"/orders/{b.ids[name]}\"" in everything and f"/orders/{a.ids[name]}\"" not in everything
    assert f"/rfqs/{b.ids['rfq_id']}\"" in shown["/rfqs"] and f"/rfqs/{a.ids['rfq_id']}\"" not in everything
    assert f"/rfqs/{b.ids['rfq_id']}\"" in shown["/quotes"] and f"/rfqs/{a.ids['rfq_id']}\"" not in shown["/quotes"]
    for rule, link in (("/delivery-notes", "/delivery-notes/{}\""), ("/invoices", "/invoices/{}\"")):
        key = "note_id" if rule == "/delivery-notes" else "invoice_id"
        assert link.format(b.ids[key]) in shown[rule] and link.format(a.ids[key]) not in everything
    assert f"/notifications/{b.notification_id}/read" in shown["/notifications"]
    assert f"/notifications/{a.notification_id}/read" not in everything
    assert b.ids["staff_email"] in shown["/users"] and a.ids["staff_email"] not in everything
    assert "N1" in shown["/documents"] and shown["/documents"].count("<td>N1</td>") == 1


PAGE_FORMS = {
    "/documents": {"kind": "business_licence", "number": "NB-2", "expires_on": NEXT_MONTH},
    "/profile": {"address": "青岛市市南区", "contact_name": "赵经理", "contact_phone": "0532-88888888"},
    "/profile/password": {"current_password": PASSWORD, "new_password": "another long password"},
    "/users": {"email": "new-staff@b.example.cn", "display_name": "新员工", "password": PASSWORD},
    "/six-unifications": {"item": "pricing", "statement": "统一价格表已公示"},
}


def test_every_page_form_acts_on_the_signed_in_suppliers_own_records_only(portal, tenants, portal_db):
    a, b = tenants
    assert set(PAGE_FORMS) == {rule for (method, rule), entry in ROUTES.items() if entry == "page form"}
    csrf = page_session(portal, b.ids["owner_email"])
    for rule, form in PAGE_FORMS.items():
        data = {**form, "supplier_id": str(a.supplier_id), "csrf_token": csrf}
        if rule in ("/documents", "/six-unifications"):
            data["file"] = (io.BytesIO(PDF), "evidence.pdf")
        response = portal.post(rule, data=data, content_type="multipart/form-data")
        assert response.status_code == 302, (rule, response.get_data(as_text=True))
    with portal_db.unit_of_work() as uow:
        def count(model, supplier_id):
            return uow.session.scalar(select(func.count()).select_from(model).where(model.supplier_id == supplier_id))
        assert (count(QualificationDocument, a.supplier_id), count(QualificationDocument, b.supplier_id)) == (3, 4)
        assert (count(ComplianceDeclaration, a.supplier_id), count(ComplianceDeclaration, b.supplier_id)) == (1, 2)
        assert (count(SupplierUser, a.supplier_id), count(SupplierUser, b.supplier_id)) == (2, 3)
        assert uow.session.get(Supplier, a.supplier_id).address == "济南市历下区"
        assert uow.session.get(Supplier, b.supplier_id).address == "青岛市市南区"
        owners = {user.supplier_id: user for user in uow.session.scalars(select(SupplierUser).where(
            SupplierUser.role == "owner", SupplierUser.supplier_id.in_((a.supplier_id, b.supplier_id))))}
        assert verify_password(owners[a.supplier_id].password_hash, PASSWORD)
        assert verify_password(owners[b.supplier_id].password_hash, "another long password")


def test_a_deactivated_users_page_session_is_refused_on_every_page(portal, tenants):
    _, b = tenants
    csrf = page_session(portal, b.ids["staff_email"])
    assert portal.get("/orders").status_code == 200
    assert portal.post(f"/api/users/{b.ids['user_id']}/deactivate", headers=b.owner).status_code == 200
    pages = {route: entry for route, entry in ROUTES.items()
             if isinstance(entry, PageProbe) or entry in ("page", "page form")}
    for (method, rule), entry in pages.items():
        use = entry.use if isinstance(entry, PageProbe) else {}
        typed = (entry.form if isinstance(entry, PageProbe) else PAGE_FORMS.get(rule)) or {}
        form = {**typed, "csrf_token": csrf} if method == "POST" else None
        response = portal.open(fill(rule, b.ids, use), method=method, data=form)
        assert response.status_code == 302 and response.headers["Location"].startswith("/login"), (method, rule)
