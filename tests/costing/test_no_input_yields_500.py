"""No body or query the meal-cost API can be sent makes it answer 500."""
from __future__ import annotations

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from shared.auth import Principal
from tests.conftest import bearer

json_values = st.recursive(
    st.none() | st.booleans() | st.integers(-2**70, 2**70) | st.floats(allow_nan=False) | st.text(max_size=12)
    | st.sampled_from(["2026-10-01", "0001-01-01", "9999-12-31", "1e400", "-0.00", "NaN", "lunch", "other",
                       "cost_accountant", "parent_representative", "food_quality"]),
    lambda children: st.lists(children, max_size=3) | st.dictionaries(st.text(max_size=8), children, max_size=3),
    max_leaves=6)
BODIES = {
    ("put", "/api/costing/settings"): ["food_share_floor"],
    ("put", "/api/costing/meals-served"): ["location_id", "meal_date", "meal", "diners"],
    ("post", "/api/costing/income"): ["location_id", "entry_date", "kind", "amount", "note"],
    ("post", "/api/costing/expenses"): ["location_id", "entry_date", "kind", "amount", "note"],
    ("post", "/api/costing/statements"): ["month", "opening_surplus"],
    ("post", "/api/costing/statements/1/signatures"): ["slot", "signer_name"],
    ("put", "/api/costing/ratings"): ["location_id", "week_of", "rater_kind", "price_score", "quality_score"],
    ("post", "/api/costing/complaints"): ["location_id", "category", "text", "filer_kind"],
    ("post", "/api/costing/complaints/1/answer"): ["answer"],
    ("post", "/api/costing/disclosures"): ["week_of"],
}
QUERIES = ["/api/costing/accounts", "/api/costing/cost-detail.csv", "/api/costing/spend.xlsx",
           "/api/costing/meals-served", "/api/costing/income", "/api/costing/statements", "/api/costing/ratings",
           "/api/costing/complaints"]
ALL_ROLES = frozenset({"finance", "admin", "supervisor", "canteen_manager", "approver"})


@pytest.fixture
def everyone(school_id):
    return bearer(Principal("8000", ALL_ROLES, school_id=school_id))


@pytest.mark.parametrize("method, path", sorted(BODIES))
@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.data())
def test_no_body_makes_a_500(inventory, everyone, halls, method, path, data):
    keys = BODIES[(method, path)]
    body = data.draw(st.fixed_dictionaries({}, optional={key: json_values for key in keys}) | json_values)
    response = getattr(inventory, method)(path, json=body, headers=everyone)
    assert response.status_code < 500, (body, response.json)


@pytest.mark.parametrize("path", QUERIES)
@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(query=st.dictionaries(st.sampled_from(["period", "date", "start", "end", "location_id", "page", "per_page",
                                               "status", "kind", "week_of"]),
                             st.text(max_size=12) | st.sampled_from(["2026-10-01", "term", "week", "0", "-1",
                                                                    "99999999999999999999", "0001-01-01"]),
                             max_size=5))
def test_no_query_makes_a_500(inventory, everyone, halls, path, query):
    response = inventory.get(path, query_string=query, headers=everyone)
    assert response.status_code < 500, (query, response.data[:300])
