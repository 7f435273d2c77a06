"""Input validation through a real endpoint: every bad input is a 4xx application/problem+json, never a 500.

POST /api/supplier-invitations of procurement, called by a procurement officer.
"""
import json

import pytest
from argon2 import PasswordHasher
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from shared.events import SUPPLIER_CATEGORIES

URL = "/api/supplier-invitations"
VALID = {"company_name": "山东鲁粮粮油有限公司", "contact_email": "sales@luliang.example.cn",
         "categories": ["bulk_grain_oil"]}
JSON = "application/json"


_CHEAP_HASHER = PasswordHasher(time_cost=1, memory_cost=8, parallelism=1)


@pytest.fixture
def buyer(staff, monkeypatch):
    """A real procurement officer of the test school; their password is hashed cheaply (these
    tests never sign in), which saves the ~0.4 s a production-strength argon2 hash costs."""
    monkeypatch.setattr("services.procurement.accounts.hash_password", _CHEAP_HASHER.hash)
    _, headers = staff("procurement_officer")
    return headers


def send(client, headers, body: bytes | str, content_type=JSON):
    return client.post(URL, data=body, headers={**headers, "Content-Type": content_type})


def assert_problem(response, status: int) -> dict:
    assert response.status_code == status, response.get_data(as_text=True)[:500]
    assert response.mimetype == "application/problem+json"
    body = response.get_json(force=True)
    assert {"type", "title", "status"} <= set(body)
    assert body["status"] == status
    return body


def test_the_valid_body_is_accepted(procurement, buyer):
    assert procurement.post(URL, json=VALID, headers=buyer).status_code == 201


@pytest.mark.parametrize("body", ['{"company_name": ', "{'single': 'quotes'}", "not json", "{}}", b"\xff\xfe{}"])
def test_invalid_json_is_a_400_problem(procurement, buyer, body):
    problem = assert_problem(send(procurement, buyer, body), 400)
    assert problem["errors"] == {"json": ["Invalid JSON body."]}


@pytest.mark.parametrize("body", [[], [VALID], "a string", 42, None, True])
def test_a_json_value_that_is_not_an_object_is_a_422_problem(procurement, buyer, body):
    problem = assert_problem(send(procurement, buyer, json.dumps(body)), 422)
    assert problem["errors"] == {"_schema": ["Invalid input type."]}


@pytest.mark.parametrize(("field", "value"), [
    ("company_name", 123), ("company_name", ["x"]), ("company_name", None), ("company_name", ""),
    ("company_name", "x" * 201), ("contact_email", "not-an-email"), ("contact_email", 5),
    ("categories", "bulk_grain_oil"), ("categories", [1]), ("categories", ["weapons"]), ("categories", []),
    ("categories", {"0": "coal"}),
])
def test_a_field_of_the_wrong_type_or_value_is_named_in_a_422_problem(procurement, buyer, field, value):
    problem = assert_problem(procurement.post(URL, json={**VALID, field: value}, headers=buyer), 422)
    assert list(problem["errors"]) == [field]
    assert all(isinstance(message, str) for message in _messages(problem["errors"][field]))


def _messages(errors):
    if isinstance(errors, dict):
        return [m for value in errors.values() for m in _messages(value)]
    return list(errors)


def test_each_missing_field_is_named(procurement, buyer):
    problem = assert_problem(procurement.post(URL, json={}, headers=buyer), 422)
    assert problem["errors"] == {field: ["Missing data for required field."] for field in VALID}


@pytest.mark.parametrize("field", ["school_id", "id", "invited_by", "created_at", "Company_Name"])
def test_an_unknown_or_read_only_field_is_refused_and_named(procurement, buyer, field):
    problem = assert_problem(procurement.post(URL, json={**VALID, field: 99}, headers=buyer), 422)
    assert field in problem["errors"]


def test_a_body_over_one_mebibyte_is_a_413_problem(procurement, buyer):
    body = json.dumps({**VALID, "company_name": "x" * (1024 * 1024)})
    assert_problem(send(procurement, buyer, body), 413)


def test_a_body_just_under_the_limit_is_read_and_validated(procurement, buyer):
    body = json.dumps({**VALID, "company_name": "x" * (1024 * 1024 - 200)})
    problem = assert_problem(send(procurement, buyer, body), 422)
    assert list(problem["errors"]) == ["company_name"]


@pytest.mark.parametrize("content_type", ["text/plain", "application/x-www-form-urlencoded", "application/xml"])
def test_a_body_of_another_content_type_is_not_read_as_json(procurement, buyer, content_type):
    problem = assert_problem(send(procurement, buyer, json.dumps(VALID), content_type), 422)
    assert set(problem["errors"]) == set(VALID)


def test_an_unauthenticated_request_is_a_401_problem(procurement):
    assert_problem(procurement.post(URL, json=VALID), 401)


def test_an_unknown_route_is_a_404_problem(procurement, buyer):
    assert_problem(procurement.get("/api/no-such-thing", headers=buyer), 404)


def test_a_wrong_method_is_a_405_problem(procurement, buyer):
    assert_problem(procurement.delete(URL, headers=buyer), 405)


def test_a_405_problem_says_which_methods_are_allowed(procurement, buyer):
    """RFC 9110 §15.5.6: a 405 response MUST carry an Allow header."""
    response = procurement.put(URL, json=VALID, headers=buyer)
    assert response.status_code == 405
    assert {"GET", "POST"} <= {method.strip() for method in response.headers.get("Allow", "").split(",")}


# Bodies that no schema sees: the JSON parser itself, or the database, fails on them.

def test_json_nested_deeper_than_the_parser_can_follow_is_a_400_not_a_500(procurement, buyer):
    body = "[" * 100_000 + "]" * 100_000
    assert_problem(send(procurement, buyer, body), 400)


def test_an_integer_too_long_to_convert_is_a_4xx_not_a_500(procurement, buyer):
    body = '{"company_name": ' + "9" * 5000 + ', "contact_email": "a@b.cn", "categories": ["coal"]}'
    response = send(procurement, buyer, body)
    assert 400 <= response.status_code < 500
    assert response.mimetype == "application/problem+json"


@pytest.mark.parametrize("escaped", ["\\ud800", "abc\\udfff", "\\udc00\\ud800"])
def test_text_with_an_unpaired_surrogate_is_a_4xx_not_a_500(procurement, buyer, escaped):
    body = '{"company_name": "' + escaped + '", "contact_email": "a@b.cn", "categories": ["coal"]}'
    response = send(procurement, buyer, body)
    assert 400 <= response.status_code < 500
    assert response.mimetype == "application/problem+json"


def test_a_correctly_paired_surrogate_escape_is_ordinary_text(procurement, buyer):
    body = '{"company_name": "\\ud83c\\udf5a rice", "contact_email": "a@b.cn", "categories": ["coal"]}'
    response = send(procurement, buyer, body)
    assert response.status_code == 201
    assert response.get_json()["company_name"] == "🍚 rice"


def test_text_with_a_nul_character_is_refused_on_every_database(procurement, buyer):
    """PostgreSQL cannot store NUL in text (the insert fails with a 500); SQLite stores it.
    Refuse it at the door so both backends answer the same 4xx."""
    response = procurement.post(URL, json={**VALID, "company_name": "鲁粮\u0000粮油"}, headers=buyer)
    assert 400 <= response.status_code < 500
    assert response.mimetype == "application/problem+json"


json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False, allow_infinity=False) | st.text(),
    lambda children: st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=12), children, max_size=4),
    max_leaves=12)

invitation_like = st.fixed_dictionaries({}, optional={
    "company_name": st.text(max_size=210) | json_values,
    "contact_email": st.emails() | st.text(max_size=30) | json_values,
    "categories": st.lists(st.sampled_from(SUPPLIER_CATEGORIES + ("coal ", "")), max_size=6) | json_values,
    "extra": json_values,
})

FUZZ = settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])


@FUZZ
@given(json_values)
def test_no_json_value_makes_the_endpoint_answer_5xx(procurement, buyer, value):
    response = send(procurement, buyer, json.dumps(value))
    assert response.status_code < 500, response.get_data(as_text=True)[:500]
    if response.status_code >= 400:
        assert response.mimetype == "application/problem+json"


@FUZZ
@given(invitation_like)
def test_no_object_shaped_like_an_invitation_makes_the_endpoint_answer_5xx(procurement, buyer, body):
    response = send(procurement, buyer, json.dumps(body))
    assert response.status_code in (201, 400, 422), response.get_data(as_text=True)[:500]
    if response.status_code == 422:
        problem = response.get_json()
        assert problem["status"] == 422 and problem["errors"]


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.binary(max_size=200))
def test_no_bytes_sent_as_json_make_the_endpoint_answer_5xx(procurement, buyer, raw):
    response = send(procurement, buyer, raw)
    assert 400 <= response.status_code < 500 or response.status_code == 201
    assert response.status_code == 201 or response.mimetype == "application/problem+json"
