"""The portal's list of bulk-commodity suppliers and their licence state, which the weekly disclosure publishes."""
from datetime import date, timedelta

from shared.auth import service_token
from tests.support import TEST_SECRET

PATH = "/api/suppliers/bulk-commodity-licences"


def test_only_approved_bulk_suppliers_are_listed_with_licence_kinds_expiry_and_state(
        portal, school, make_supplier, approved_supplier, add_document):
    today = date.today()
    grain, _, _ = approved_supplier("粮油", categories=("bulk_grain_oil", "vegetables"))
    coal, _, _ = make_supplier("煤炭", status="approved", categories=("coal",))
    add_document(coal.id, "business_licence", expires_on=today + timedelta(days=30))
    add_document(coal.id, "business_licence", status="rejected", expires_on=today + timedelta(days=900))
    lapsed, _, _ = make_supplier("面粉", status="approved", categories=("bulk_grain_oil",))
    add_document(lapsed.id, "business_licence", expires_on=today + timedelta(days=31))
    add_document(lapsed.id, "food_production_licence", expires_on=today - timedelta(days=1))
    approved_supplier("蔬菜", categories=("vegetables",))  # not a bulk commodity
    make_supplier("待审粮油", status="pending", categories=("bulk_grain_oil",))  # not approved
    service = {"Authorization": f"Bearer {service_token('inventory', school.id, TEST_SECRET)}"}

    response = portal.get(PATH, headers=service)
    assert response.status_code == 200, response.json
    listed = {row["supplier_id"]: row for row in response.json}
    assert set(listed) == {grain.id, coal.id, lapsed.id}
    in_a_year = (today + timedelta(days=365)).isoformat()
    assert listed[grain.id] == {
        "supplier_id": grain.id, "name": grain.name, "categories": ["bulk_grain_oil"], "licence_state": "valid",
        "licences": [{"kind": "business_licence", "expires_on": in_a_year, "state": "valid"},
                     {"kind": "food_business_licence", "expires_on": in_a_year, "state": "valid"}]}
    # coal needs no food licence; 30 days left is "expiring", and a rejected document does not count
    assert (listed[coal.id]["licence_state"], listed[coal.id]["licences"]) == (
        "expiring", [{"kind": "business_licence", "expires_on": (today + timedelta(days=30)).isoformat(),
                      "state": "expiring"}])
    assert listed[lapsed.id]["licence_state"] == "expired"
    assert [(row["kind"], row["state"]) for row in listed[lapsed.id]["licences"]] == [
        ("business_licence", "valid"), ("food_production_licence", "expired")]
    for elsewhere in ("/api/suppliers", f"/api/suppliers/{grain.id}", "/api/documents"):
        assert portal.get(elsewhere, headers=service).status_code == 403, elsewhere
    assert not {"contact_name", "contact_phone", "contact_email", "credit_code", "address"} & set(listed[grain.id])


def test_a_supplier_anonymous_and_a_storekeeper_are_refused(portal, approved_supplier, staff, reviewer):
    _, _, owner = approved_supplier("粮油", categories=("bulk_grain_oil",))
    assert portal.get(PATH, headers=owner).status_code == 403
    assert portal.get(PATH).status_code == 401
    assert portal.get(PATH, headers=staff("storekeeper")[1]).status_code == 403
    assert portal.get(PATH, headers=reviewer).status_code == 200
