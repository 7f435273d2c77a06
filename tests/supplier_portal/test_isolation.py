"""Supplier B, signed in, tries every portal route on supplier A's records: it gets 404 (403 where the
route is for school staff only), and A's records are unchanged. A route missing from ROUTES fails."""
from __future__ import annotations

import io
import re
from dataclasses import dataclass, field
from datetime import date, timedelta

import pytest
from sqlalchemy import select

from services.supplier_portal.accounts import create_supplier_user, principal_for
from services.supplier_portal.document_store import LocalDocumentStore
from services.supplier_portal.models import PurchaseOrder, QualificationDocument, SupplierUser
from services.supplier_portal.notifications import notify
from services.supplier_portal.tasks import consumer
from tests.conftest import bearer

from .conftest import PASSWORD, PDF
from .test_orders import po_sent


@dataclass
class Probe:
    """`status` is what B gets when it names A's record; `own` is what it gets on its own record."""

    status: int
    own: int | None = None
    json: dict | None = field(default=None)


@dataclass
class Exempt:
    why: str


# Every (method, rule) the portal serves. Adding a route without an entry here fails the test.
ROUTES = {
    ("GET", "/api/suppliers/<int:supplier_id>"): Probe(404, own=200),
    ("PATCH", "/api/suppliers/<int:supplier_id>"): Probe(404, own=200, json={"contact_name": "改名"}),
    ("POST", "/api/suppliers/<int:supplier_id>/resubmit"): Probe(404, own=409),
    ("POST", "/api/suppliers/<int:supplier_id>/approve"): Probe(403),
    ("POST", "/api/suppliers/<int:supplier_id>/reject"): Probe(403, json={"reason": "x"}),
    ("POST", "/api/suppliers/<int:supplier_id>/invitation-code"): Probe(403),
    ("GET", "/api/suppliers"): Probe(403),
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
    ("GET", "/api/orders"): "list",
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
def tenants(portal_db, store_root, make_supplier):
    store = LocalDocumentStore(store_root)

    def make(name):
        supplier, owner_user, owner = make_supplier(name)
        with portal_db.unit_of_work() as uow:
            staff = create_supplier_user(uow.session, supplier.id, f"staff-{supplier.id}@example.cn", "员工",
                                         PASSWORD, "staff")
            document = QualificationDocument(
                supplier_id=supplier.id, kind="business_licence", number="N1", status="approved",
                expires_on=date.today() + timedelta(days=300), storage_key=store.put(supplier.id, "pdf", PDF),
                content_type="application/pdf", size_bytes=len(PDF), sha256="0" * 64, original_filename="a.pdf",
                uploaded_by=str(owner_user.id))
            uow.session.add(document)
            note = notify(uow.session, supplier.id, "licence_expiring", "提醒", f"probe:{supplier.id}")
            uow.commit()
        consumer.apply(portal_db, po_sent(supplier.id, po_id=7000 + supplier.id))
        with portal_db.unit_of_work() as uow:
            order = uow.session.scalar(select(PurchaseOrder).where(PurchaseOrder.supplier_id == supplier.id))
        ids = {"supplier_id": supplier.id, "user_id": staff.id, "document_id": document.id,
               "notification_id": note.id, "order_id": order.id}
        return Tenant(supplier.id, owner, staff.id, document.id, note.id, ids)

    return make("甲"), make("乙")


def portal_routes(portal):
    for rule in portal.application.url_map.iter_rules():
        for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
            yield method, rule.rule


def test_every_portal_route_has_an_isolation_entry(portal):
    missing = [route for route in portal_routes(portal) if route not in ROUTES]
    assert missing == [], f"add these routes to ROUTES in {__file__}: {missing}"
    stale = [route for route in ROUTES if route not in set(portal_routes(portal))]
    assert stale == [], f"these ROUTES entries name no route: {stale}"


def fill(rule: str, ids: dict) -> str:
    return re.sub(r"<int:(\w+)>", lambda match: str(ids[match.group(1)]), rule)


def test_supplier_b_cannot_reach_any_of_supplier_a_records(portal, tenants, portal_db):
    a, b = tenants
    probes = {route: entry for route, entry in ROUTES.items() if isinstance(entry, Probe)}
    for (method, rule), probe in probes.items():
        response = portal.open(fill(rule, a.ids), method=method, headers=b.owner, json=probe.json)
        assert response.status_code == probe.status, (method, rule, response.json)
        if probe.status == 404:
            assert "甲" not in response.get_data(as_text=True)
    with portal_db.unit_of_work() as uow:  # nothing of A's changed
        assert uow.session.get(SupplierUser, a.staff_user_id).active is True
        assert uow.session.get(QualificationDocument, a.document_id).status == "approved"
        assert uow.session.get(PurchaseOrder, a.ids["order_id"]).status == "sent"
    # The same routes on B's own records do answer: the 404s above were the isolation, not a broken route.
    for (method, rule), probe in probes.items():
        if probe.own is not None:
            response = portal.open(fill(rule, b.ids), method=method, headers=b.owner, json=probe.json)
            assert response.status_code == probe.own, (method, rule, response.json)


def test_lists_and_own_routes_show_supplier_b_only_its_own_rows(portal, tenants):
    a, b = tenants
    users = portal.get("/api/users", headers=b.owner).json
    assert {u["supplier_id"] for u in users} == {b.supplier_id}
    documents = portal.get(f"/api/documents?supplier_id={a.supplier_id}", headers=b.owner).json
    assert documents == []
    assert [d["id"] for d in portal.get("/api/documents", headers=b.owner).json] == [b.document_id]
    assert [n["id"] for n in portal.get("/api/notifications", headers=b.owner).json] == [b.notification_id]
    assert [o["id"] for o in portal.get("/api/orders", headers=b.owner).json] == [b.ids["order_id"]]
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
