"""The authorization matrix: every route of every service (API and pages), called by every kind of
caller on real records, answers as `matrix.yaml` says. A route without a line there fails, and so
does a line naming no route. How a line reads is explained at the top of `matrix.yaml`."""
from __future__ import annotations

import re
from pathlib import Path

import pytest
import yaml

from shared.auth import STAFF_ROLES
from shared.pages import CSRF_KEY, TOKEN_KEY

MATRIX_FILE = Path(__file__).parent / "matrix.yaml"
MATRIX = yaml.safe_load(MATRIX_FILE.read_text())
CALLERS = ["anonymous", *sorted(STAFF_ROLES), "supplier_a", "supplier_b"]
PARAMETER = re.compile(r"<(?:(\w+)(?:\(([^)]*)\))?:)?(\w+)>")
# Flask's own route for a static folder that no service has: every caller gets 404.
FILES = {"/assets/shared/<path:filename>": "app.css", "/static/<path:filename>": "app.css"}


def routes(app) -> set[str]:
    return {f"{method} {rule.rule}" for rule in app.url_map.iter_rules()
            for method in rule.methods - {"HEAD", "OPTIONS"}}


def parse(line) -> tuple[set[str], dict[str, str], dict, dict]:
    """'finance admin; entry_id=income_id' -> ({"finance", "admin"}, {"entry_id": "income_id"}, json, form)."""
    body = line if isinstance(line, dict) else {"who": line}
    who, _, uses = body["who"].partition(";")
    return set(who.split()), dict(use.split("=") for use in uses.split()), body.get("json", {}), body.get("form", {})


def expected(service: str, rule: str, who: set[str], caller: str) -> str:
    exceptions = dict(word.split("=") for word in who if "=" in word)
    if caller in exceptions or "all" in exceptions:
        return exceptions.get(caller, exceptions.get("all"))
    if "absent" in who:
        return "404"
    if "public" in who:
        return "allowed"
    if caller == "anonymous":
        return "401"
    if caller.startswith("supplier_"):
        if "supplier" not in who:
            return "403"
        # Supplier B names supplier A's records: it must not learn that they exist.
        names_a_record = service == "supplier_portal" and "<int:" in rule
        return "404" if caller == "supplier_b" and names_a_record else "allowed"
    return "allowed" if "staff" in who or caller in who else "403"


def outcome(response) -> str:
    if response.status_code >= 500:
        return f"{response.status_code} server error"
    if response.status_code in (401, 403, 404):
        return str(response.status_code)
    if response.status_code == 302 and "/login?next=" in response.headers.get("Location", ""):
        return "401"  # a page sends whoever is not signed in to the sign-in form, and back
    return "allowed"


def fill(rule: str, ids: dict, use: dict) -> str:
    if rule in FILES:
        return rule.replace("<path:filename>", FILES[rule])

    def value(match):
        converter, options, name = match.groups()
        if converter == "any":  # one of a few words: the one `use` names, else the first
            return use.get(name, options.split(",")[0].strip())
        return str(ids[use.get(name, name)])

    return PARAMETER.sub(value, rule)


def is_page(rule: str) -> bool:
    return not rule.startswith(("/api/", "/healthz", "/readyz", "/assets/"))


def call(app, method: str, path: str, headers: dict, page: bool, json: dict | None = None,
         form: dict | None = None):
    """One request: a bearer token for the API, a signed-in session (and its CSRF token) for pages."""
    client = app.test_client()
    if not page:
        return answered(client.open(path, method=method, headers=headers, json=json or {} if method != "GET" else None))
    form = dict(form or {})
    with client.session_transaction() as session:
        session[CSRF_KEY] = form["csrf_token"] = "matrix"
        if headers:
            session[TOKEN_KEY] = headers["Authorization"].removeprefix("Bearer ")
    return answered(client.open(path, method=method, data=form if method != "GET" else None))


def answered(response):
    """Read a streamed answer (the exports) to its end while its savepoint is still open."""
    response.get_data()
    response.close()
    return response


@pytest.mark.parametrize("service", sorted(MATRIX))
def test_every_route_has_one_line_in_the_matrix_and_every_line_a_route(apps, service):
    served, listed = routes(apps[service]), set(MATRIX[service])
    assert sorted(served - listed) == [], f"add a line for each of these routes to {MATRIX_FILE} ({service})"
    assert sorted(listed - served) == [], f"these lines of {MATRIX_FILE} ({service}) name no route"


@pytest.mark.parametrize("service", sorted(MATRIX))
def test_every_caller_gets_what_the_matrix_says_on_every_route(apps, world, callers, savepoint, service):
    app, ids = apps[service], world[service]
    wrong = []
    for route, line in sorted(MATRIX[service].items()):
        method, rule = route.split(" ", 1)
        who, use, json, form = parse(line)
        path = fill(rule, ids, use)
        for caller in CALLERS:
            with savepoint():
                response = call(app, method, path, callers[caller], is_page(rule), json, form)
            want, got = expected(service, rule, who, caller), outcome(response)
            if want != got:
                wrong.append(f"{route} as {caller}: expected {want}, got {got} ({response.status_code})")
    assert not wrong, "\n".join(wrong)
