from services.procurement.models import School
from shared.auth import decode_token
from tests.support import TEST_SECRET


def test_the_admin_assigns_a_canteen_manager_to_a_dining_hall(procurement, staff, demand_points):
    user, manager_headers = staff("canteen_manager")
    _, admin = staff("admin")
    response = procurement.put(f"/api/staff/{user.id}/demand-point", json={"demand_point": "DH2"}, headers=admin)
    assert response.status_code == 200 and response.json["demand_point"] == "DH2"
    listed = {u["id"]: u["demand_point"] for u in procurement.get("/api/staff", headers=admin).json}
    assert listed[user.id] == "DH2"
    assert procurement.put(f"/api/staff/{user.id}/demand-point", json={"demand_point": None},
                           headers=admin).json["demand_point"] is None


def test_assignment_is_for_admins_to_known_points_of_their_own_school(procurement, staff, demand_points, databases):
    user, manager_headers = staff("canteen_manager")
    _, admin = staff("admin")
    assert procurement.put(f"/api/staff/{user.id}/demand-point", json={"demand_point": "DH1"},
                           headers=manager_headers).status_code == 403
    assert procurement.put(f"/api/staff/{user.id}/demand-point", json={"demand_point": "DH7"},
                           headers=admin).status_code == 422
    assert procurement.put(f"/api/staff/{user.id}/demand-point", json={}, headers=admin).status_code == 422
    with databases["procurement"].unit_of_work() as uow:
        other = School(name="别校")
        uow.session.add(other)
        uow.commit()
    _, their_admin = staff("admin", school_id=other.id)
    assert procurement.put(f"/api/staff/{user.id}/demand-point", json={"demand_point": "DH1"},
                           headers=their_admin).status_code == 404
    assert user.id not in {u["id"] for u in procurement.get("/api/staff", headers=their_admin).json}


def test_sign_in_puts_the_managers_demand_point_in_the_token(procurement, manager, staff):
    user, _ = manager("DH2")
    signed_in = procurement.post("/api/auth/login", json={"username": user.username,
                                                          "password": "correct horse battery staple"})
    assert decode_token(signed_in.json["access_token"], TEST_SECRET).demand_point == "DH2"
    officer, _ = staff("procurement_officer")
    signed_in = procurement.post("/api/auth/login", json={"username": officer.username,
                                                          "password": "correct horse battery staple"})
    assert decode_token(signed_in.json["access_token"], TEST_SECRET).demand_point is None
