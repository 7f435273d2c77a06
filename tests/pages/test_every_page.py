"""Every GET page of every service, found in its url_map, renders in zh-CN and in English for someone
allowed to see it: with a <title>, a label for every form field, and no message missing from the
zh-CN catalogues (the i18n layer records, under test, each message id it could not translate).

A new page is covered without touching this file; a new URL argument needs a seeded record in
`url_values` below, and the test says which one is missing.
"""
import dataclasses
from datetime import date, datetime, timezone
from html.parser import HTMLParser

import pytest

from services.procurement import menus
from services.supplier_portal.accounts import principal_for
from shared.auth import STAFF_ROLES, Principal, issue_token
from shared.pages import TOKEN_KEY
from tests.conftest import TEST_SECRET
from tests.pages.inventory import seed_inventory
from tests.pages.purchasing import seed_purchasing
from tests.supplier_portal.conftest import (  # noqa: F401  (the portal's fixtures)
    add_document,
    approved_supplier,
    make_supplier,
    portal,
    portal_db,
    store_root,
)
from tests.supplier_portal.factories import acknowledged_order, deliver, goods_received, rfq_copy, rfq_issued
from tests.support import as_inventory_over

NOT_PAGES = ("/api/", "/healthz", "/readyz", "/assets/")
FIELDS = ("input", "select", "textarea")
UNLABELLED_TYPES = ("hidden", "submit", "button", "reset", "image")


class PageShape(HTMLParser):
    """The page's <title> and the names of form fields no label names."""

    def __init__(self):
        super().__init__()
        self.title, self._in_title, self._label_depth = "", False, 0
        self.labelled_ids, self.fields = set(), []  # fields: (id, name, labelled inside a <label>)

    def handle_starttag(self, tag, attrs):
        attributes = dict(attrs)
        if tag == "title":
            self._in_title = True
        elif tag == "label":
            self._label_depth += 1
            if attributes.get("for"):
                self.labelled_ids.add(attributes["for"])
        elif tag in FIELDS and attributes.get("type") not in UNLABELLED_TYPES:
            self.fields.append((attributes.get("id"), attributes.get("name"),
                                self._label_depth > 0 or bool(attributes.get("aria-label"))))

    def handle_endtag(self, tag):
        if tag == "title":
            self._in_title = False
        elif tag == "label":
            self._label_depth -= 1

    def handle_data(self, data):
        if self._in_title:
            self.title += data

    def unlabelled(self) -> list[str]:
        return [name or field_id for field_id, name, inside in self.fields
                if not inside and field_id not in self.labelled_ids]


def page_rules(app):
    for rule in sorted(app.url_map.iter_rules(), key=lambda rule: rule.rule):
        if "GET" in rule.methods and not rule.rule.startswith(NOT_PAGES) and rule.endpoint != "static":
            yield rule


def render_everywhere(client, principal: Principal | None, url_values: dict[str, object]) -> list[str]:
    """Every GET page of the client's app in both languages; the problems found, one line each."""
    app, problems = client.application, []
    if "pages" not in app.blueprints:
        return []
    for rule in page_rules(app):
        view = app.view_functions[rule.endpoint]
        roles = getattr(view, "page_roles", None)
        missing = sorted(rule.arguments - set(url_values))
        if missing:
            problems.append(f"{rule.rule}: seed a record for {missing} in tests/pages/test_every_page.py")
            continue
        url = rule.build({name: url_values[name] for name in rule.arguments}, append_unknown=False)[1]
        for language in ("zh-CN", "en"):
            with client.session_transaction() as session:
                session.clear()
                session["lang"] = language
                if roles and principal is not None:
                    allowed = dataclasses.replace(principal, roles=principal.roles & roles or roles)
                    session[TOKEN_KEY] = issue_token(allowed, TEST_SECRET, 600)
            app.extensions["untranslated"] = set()
            response = client.get(url)
            body = response.get_data(as_text=True)
            where = f"{url} [{language}]"
            if response.status_code != 200:
                problems.append(f"{where}: answered {response.status_code}")
                continue
            shape = PageShape()
            shape.feed(body)
            if not shape.title.split("·")[0].strip():
                problems.append(f"{where}: no title")
            if shape.unlabelled():
                problems.append(f"{where}: fields without a label {shape.unlabelled()}")
            if language == "zh-CN" and app.extensions["untranslated"]:
                problems.append(f"{where}: untranslated {sorted(app.extensions['untranslated'])}")
    return problems


@pytest.fixture
def no_inventory_call(monkeypatch):
    # the menu page asks inventory for stock; here inventory holds nothing
    monkeypatch.setattr(menus, "stock_on_hand", lambda config, school_id, code: {})


def test_every_staff_page_renders_in_both_languages_with_a_title_labels_and_no_missing_message(
        procurement, inventory, portal, databases, staff, no_inventory_call):  # noqa: F811
    seeded = seed_purchasing(databases, staff)
    # every staff role at once sees every staff page; the principal is narrowed to each page's roles
    everyone = Principal(str(seeded.officer.id), frozenset(STAFF_ROLES), school_id=seeded.officer.school_id)
    url_values = {"menu_id": seeded.menu_id, "requisition_id": seeded.requisition_id, "plan_id": seeded.plan_id,
                  "rfq_id": seeded.rfq_id, "order_id": seeded.order_id, "invoice_id": seeded.invoice_id,
                  **seed_inventory(databases["inventory"], seeded.officer.school_id,
                                   as_inventory_over({"procurement": procurement, "supplier_portal": portal}))}
    problems = render_everywhere(procurement, everyone, url_values) + render_everywhere(inventory, everyone,
                                                                                          url_values)
    assert problems == [], "\n".join(problems)


def test_every_supplier_page_renders_in_both_languages_with_a_title_labels_and_no_missing_message(
        portal, portal_db, approved_supplier):  # noqa: F811
    # A campus-store supplier, so that the six-unifications checklist applies to it too.
    supplier, owner, headers = approved_supplier("页面供应商", categories=("vegetables", "store_goods"))
    order = acknowledged_order(portal, portal_db, supplier.id, headers)
    deliver(portal_db, rfq_issued([supplier.id]))
    note = portal.post(f"/api/orders/{order.id}/delivery-notes", headers=headers, json={
        "planned_at": datetime.now(timezone.utc).isoformat(), "lines": [
            {"po_line_id": 9001, "quantity": "200.000", "lot_number": "L9", "production_date": "2026-02-20"}]}).json
    deliver(portal_db, goods_received(supplier.id, delivery_note_id=note["id"], accepted="200.000"))
    invoice = portal.post(f"/api/orders/{order.id}/invoices", headers=headers, json={
        "invoice_number": "FP-1", "issued_on": date.today().isoformat(),
        "lines": [{"po_line_id": 9001, "quantity": "100.000"}]}).json
    url_values = {"order_id": order.id, "rfq_id": rfq_copy(portal_db, supplier.id).id, "note_id": note["id"],
                  "invoice_id": invoice["id"]}
    assert render_everywhere(portal, principal_for(owner), url_values) == []


def test_the_page_check_finds_an_unlabelled_field_and_a_missing_title():
    shape = PageShape()
    shape.feed('<title> · 食堂采购管理</title><label for="a">A</label><input id="a" name="a">'
               '<label>B <input name="b"></label><input name="c" aria-label="C"><select name="d"></select>'
               '<input type="hidden" name="csrf_token">')
    assert shape.unlabelled() == ["d"]
    assert not shape.title.split("·")[0].strip()
