"""Ratings and complaints by supervisors, answers by staff, and the stored weekly disclosure with its public page.

The disclosure of the week of 28 Sep – 4 Oct 2026 over the October fixture, by hand:
DH1 issued on 2 Oct: rice 126.00 + cabbage 22.50 + milk 24.00 = 172.50
DH1 diners: 30 Sep dinner 33 + 2 Oct 40 + 60 + 50 = 183
DH1 income in the week: student fees of 1 Oct 300.00; spending entered: wages of 30 Sep 500.00
    ingredient cost per diner-meal 172.50 / 183 = 0.9426… → 0.94
    cost per diner-meal (172.50 + 500.00) / 183 = 3.6748… → 3.67
    food share 172.50 / 300.00 = 57.50 % (below the 85 % floor)
Deliveries received on 1 Oct: DH1 6 lines 420.00 + 90.00 + 530.00 + 23.50 + 60.00 + 550.00 = 1673.50;
    DH2 2 lines 215.00 + 57.00 = 272.00
"""
from __future__ import annotations

from datetime import date, datetime, timedelta, timezone

import pytest
from sqlalchemy import func, select

import services.inventory.costing.disclosure as disclosure
import services.inventory.costing.supervision as supervision
from services.inventory.costing.disclosure import SourceUnavailable, build_disclosure, build_due_disclosures
from services.inventory.costing.models import WeeklyDisclosure
from services.inventory.costing.supervision import answer_complaint, file_complaint, rate_week
from shared.auth import Principal
from shared.errors import Conflict
from tests.conftest import bearer
from tests.support import RefusingClient

from .conftest import at

TZ = "Asia/Shanghai"
NOW = datetime(2026, 10, 7, 1, tzinfo=timezone.utc)


@pytest.fixture
def tokens(school_id):
    roles = {"parent": "supervisor", "judge": "supervisor", "manager": "canteen_manager", "finance": "finance"}
    tokens = {name: bearer(Principal(str(6000 + index), frozenset({role}), school_id=school_id,
                                     demand_point="DH1" if role == "canteen_manager" else None))
              for index, (name, role) in enumerate(roles.items())}
    tokens["dh2_manager"] = bearer(Principal("6100", frozenset({"canteen_manager"}), school_id=school_id,
                                             demand_point="DH2"))
    return tokens


@pytest.fixture
def supervisors(school_id):
    return [Principal(str(7000 + index), frozenset({"supervisor"}), school_id=school_id) for index in range(3)]


@pytest.fixture
def manager(school_id):
    return Principal("7100", frozenset({"canteen_manager"}), school_id=school_id, demand_point="DH1")


@pytest.fixture
def week_of_28_september(session, october, supervisors, manager, monkeypatch):
    dh1, dh2 = october["DH1"], october["DH2"]
    on = date(2026, 10, 3)
    rate_week(session, supervisors[0], dh1.id, on, "parent_representative", 4, 5, "饭菜可口", on)
    rate_week(session, supervisors[1], dh1.id, on, "meal_quality_judge", 3, 4, None, on)
    rate_week(session, supervisors[2], dh2.id, on, "nutrition_instructor", 5, 5, None, on)

    def filed(instant, *args, **kwargs):
        monkeypatch.setattr(supervision, "utcnow", lambda: instant)
        return file_complaint(session, *args, **kwargs)

    answered = filed(at(2026, 10, 1, 2), supervisors[0], "portion", "午餐份量偏少", "parent_representative", dh1.id)
    filed(at(2026, 10, 2, 3), supervisors[1], "hygiene", "餐桌不够干净", "hygiene_supervisor")
    filed(at(2026, 10, 6, 3), supervisors[1], "price", "下一周的投诉", "meal_cost_supervisor")
    monkeypatch.setattr(supervision, "utcnow", lambda: at(2026, 10, 3, 4))
    answer_complaint(session, manager, answered.id, "已按标准增加份量")
    return october


def test_the_weekly_disclosure_is_computed_from_the_weeks_records(session, school_id, week_of_28_september,
                                                                  week_sources):
    content = build_disclosure(session, school_id, date(2026, 10, 1), TZ, NOW, week_sources).content
    assert (content["week_start"], content["week_end"]) == ("2026-09-28", "2026-10-04")
    dh1 = next(hall for hall in content["halls"] if hall["code"] == "DH1")
    assert (dh1["diner_meals"], dh1["ingredient_total"], dh1["ingredient_cost_per_diner_meal"],
            dh1["cost_per_diner_meal"], dh1["food_share"], dh1["below_floor"]) == (
        183, "172.50", "0.94", "3.67", "57.50", True)
    assert content["school"]["ingredient_cost_per_diner_meal"] == "0.94"  # DH2 and DH3 served nobody that week
    assert [(d["received_on"], d["location"], d["lines"], d["value"], d["delivery_reference"])
            for d in content["deliveries"]] == [("2026-10-01", "第一食堂", 6, "1673.50", "DN-DH1"),
                                                ("2026-10-01", "第二食堂", 2, "272.00", "DN-DH2")]
    complaints = content["complaints"]
    assert (complaints["filed"], complaints["answered"], complaints["open"]) == (2, 1, 1)
    assert [(c["text"], c["status"], c["answer"], c["hall"]) for c in complaints["items"]] == [
        ("午餐份量偏少", "answered", "已按标准增加份量", "第一食堂"), ("餐桌不够干净", "open", None, None)]
    ratings = content["ratings"]
    # DH1: price (4 + 3) / 2 = 3.50, quality (5 + 4) / 2 = 4.50; school: (4+3+5)/3 = 4.00, (5+4+5)/3 = 4.67
    assert (ratings["count"], ratings["price_average"], ratings["quality_average"]) == (3, "4.00", "4.67")
    assert ratings["halls"][0] == {"name": "第一食堂", "count": 2, "price_average": "3.50", "quality_average": "4.50"}
    assert len(content["trend"]) == 12 and content["trend"][-1] == {
        "week_start": "2026-09-28", "ingredient_cost_per_diner_meal": "0.94", "cost_per_diner_meal": "3.67"}
    assert all(week["ingredient_cost_per_diner_meal"] is None for week in content["trend"][:-1])


def test_the_disclosure_shows_the_weeks_menus_and_bulk_suppliers_read_from_the_services(
        session, school_id, week_of_28_september, week_sources):
    content = build_disclosure(session, school_id, date(2026, 10, 1), TZ, NOW, week_sources).content
    [asked] = week_sources.made
    assert asked["procurement"].requests == [("/api/menus", {"week_start": "2026-09-28", "page": 1, "per_page": 100})]
    assert asked["supplier_portal"].requests == [("/api/suppliers/bulk-commodity-licences", {})]
    # breakfast before lunch, whatever order procurement keeps them in; the hall named as inventory names it
    assert content["menus"] == [{"code": "DH1", "name": "第一食堂", "meals": [
        {"date": "2026-09-28", "meal": "breakfast", "diners": 600,
         "dishes": [{"name": "馒头", "ingredients": [{"item": "面粉", "per_serving": "0.100", "unit": "kg"}]}]},
        {"date": "2026-09-28", "meal": "lunch", "diners": 800,
         "dishes": [{"name": "米饭", "ingredients": [{"item": "大米", "per_serving": "0.150", "unit": "kg"}]}]}]}]
    today = date.today()
    assert content["bulk_suppliers"] == [
        {"name": "煤炭公司", "categories": ["coal"], "licence_state": "expiring",
         "licences": [{"kind": "business_licence", "expires_on": (today + timedelta(days=10)).isoformat(),
                       "state": "expiring"}]},
        {"name": "粮油公司", "categories": ["bulk_grain_oil"], "licence_state": "valid",
         "licences": [{"kind": "business_licence", "expires_on": (today + timedelta(days=400)).isoformat(),
                       "state": "valid"},
                      {"kind": "food_business_licence", "expires_on": (today + timedelta(days=200)).isoformat(),
                       "state": "valid"}]}]


@pytest.mark.parametrize("down", ["procurement", "supplier_portal"])
def test_nothing_is_kept_when_a_service_cannot_answer(session, school_id, week_of_28_september, week_sources,
                                                      down):
    def clients(asked_for):
        return {**week_sources(asked_for), down: RefusingClient()}

    with pytest.raises(SourceUnavailable):
        build_due_disclosures(session, date(2026, 10, 7), TZ, NOW, clients)
    assert session.scalar(select(func.count()).select_from(WeeklyDisclosure)) == 0


def test_the_trend_reaches_back_twelve_weeks(session, school_id, week_of_28_september, week_sources):
    trend = build_disclosure(session, school_id, date(2026, 10, 12), TZ, NOW, week_sources).content["trend"]
    # 12 Oct week: pork 193.45 + salt 4.00 = 197.45 over 55 lunches = 3.59; the week of 5 Oct served nobody
    assert [(week["week_start"], week["ingredient_cost_per_diner_meal"]) for week in trend[-3:]] == [
        ("2026-09-28", "0.94"), ("2026-10-05", None), ("2026-10-12", "3.59")]
    assert trend[0]["week_start"] == "2026-07-27"


def test_the_job_builds_last_weeks_disclosure_once_and_keeps_it(session, school_id, week_of_28_september,
                                                                 supervisors, week_sources):
    [built] = build_due_disclosures(session, date(2026, 10, 7), TZ, NOW, week_sources)
    assert (built.school_id, built.week_start) == (school_id, date(2026, 9, 28))
    kept = dict(built.content)
    file_complaint(session, supervisors[0], "other", "之后的投诉", "parent_representative")
    assert build_due_disclosures(session, date(2026, 10, 9), TZ, NOW, week_sources) == []
    assert build_disclosure(session, school_id, date(2026, 9, 30), TZ, NOW, week_sources).content == kept
    assert len(week_sources.made) == 1  # a kept week asks the services nothing
    assert session.scalar(select(func.count()).select_from(WeeklyDisclosure)) == 1


def test_a_complaint_is_answered_once(session, week_of_28_september, manager, supervisors):
    complaint = file_complaint(session, supervisors[0], "service", "打饭排队太久", "canteen_operator")
    answer_complaint(session, manager, complaint.id, "增开一个窗口")
    with pytest.raises(Conflict):
        answer_complaint(session, manager, complaint.id, "再次答复")


def test_supervisors_rate_and_complain_through_the_api(inventory, tokens, october, halls):
    hall = october["DH1"].id
    rating = {"location_id": hall, "week_of": "2026-10-14", "rater_kind": "parent_representative",
              "price_score": 4, "quality_score": 3, "comment": "偏咸"}
    first = inventory.put("/api/costing/ratings", json=rating, headers=tokens["parent"])
    assert first.status_code == 200 and first.json["week_start"] == "2026-10-12"
    again = inventory.put("/api/costing/ratings", json={**rating, "quality_score": 5}, headers=tokens["parent"])
    assert again.json["id"] == first.json["id"] and again.json["quality_score"] == 5
    listed = inventory.get("/api/costing/ratings?week_of=2026-10-12", headers=tokens["finance"]).json
    assert listed["total"] == 1
    for bad in ({"price_score": 6}, {"quality_score": 0}, {"rater_kind": "principal"}, {"week_of": "2099-01-05"},
                {"location_id": halls["CSR"].id}, {"location_id": 999999}):
        response = inventory.put("/api/costing/ratings", json={**rating, **bad}, headers=tokens["parent"])
        assert response.status_code == 422, bad
    assert inventory.put("/api/costing/ratings", json=rating, headers=tokens["manager"]).status_code == 403

    complaint = {"category": "food_quality", "text": "米饭夹生", "filer_kind": "meal_quality_judge",
                 "location_id": hall}
    filed = inventory.post("/api/costing/complaints", json=complaint, headers=tokens["judge"])
    assert filed.status_code == 201 and filed.json["status"] == "open"
    assert inventory.post("/api/costing/complaints", json=complaint, headers=tokens["finance"]).status_code == 403
    path = f"/api/costing/complaints/{filed.json['id']}/answer"
    assert inventory.post(path, json={"answer": "已处理"}, headers=tokens["judge"]).status_code == 403
    refused = inventory.post(path, json={"answer": "已处理"}, headers=tokens["dh2_manager"])
    assert refused.status_code == 403 and refused.json["detail"] == "You may act only for your own dining hall"
    answered = inventory.post(path, json={"answer": "已调整蒸饭时间"}, headers=tokens["manager"])
    assert answered.status_code == 200 and answered.json["status"] == "answered"
    assert inventory.post(path, json={"answer": "again"}, headers=tokens["manager"]).status_code == 409
    assert inventory.get("/api/costing/complaints?status=open", headers=tokens["parent"]).json["total"] == 0
    assert inventory.get("/api/costing/complaints?status=answered", headers=tokens["parent"]).json["total"] == 1


def test_the_public_page_needs_no_sign_in_and_keeps_past_weeks(inventory, tokens, school_id, week_of_28_september,
                                                                week_sources, monkeypatch):
    monkeypatch.setattr(disclosure, "service_clients", lambda settings: week_sources)
    assert inventory.get(f"/disclosure/{school_id}").status_code == 404  # nothing published yet
    for week in ("2026-09-28", "2026-10-12"):
        built = inventory.post("/api/costing/disclosures", json={"week_of": week}, headers=tokens["finance"])
        assert built.status_code == 200
    latest = inventory.get(f"/disclosure/{school_id}")
    assert latest.status_code == 200 and latest.mimetype == "text/html"
    page = latest.get_data(as_text=True)
    assert "2026-10-12 至 2026-10-18" in page and "3.59" in page and "<polyline" in page
    assert f"/disclosure/{school_id}/2026-09-28" in page  # the history
    earlier = inventory.get(f"/disclosure/{school_id}/2026-09-28").get_data(as_text=True)
    assert "午餐份量偏少" in earlier and "已按标准增加份量" in earlier and "57.50%" in earlier
    assert "1673.50" in earlier and "3.50" in earlier
    assert "馒头" in earlier and "面粉 0.100 kg" in earlier and "煤炭公司" in earlier and "即将到期" in earlier
    for missing in (f"/disclosure/{school_id}/2026-01-05", f"/disclosure/{school_id}/not-a-date",
                    f"/disclosure/{school_id + 1}"):
        assert inventory.get(missing).status_code == 404
    listed = inventory.get("/api/costing/disclosures", headers=tokens["parent"]).json
    assert [d["week_start"] for d in listed] == ["2026-10-12", "2026-09-28"]
    assert inventory.get("/api/costing/disclosures/2026-09-28", headers=tokens["parent"]).status_code == 200
    assert inventory.post("/api/costing/disclosures", json={"week_of": "2026-10-12"},
                          headers=tokens["parent"]).status_code == 403


def test_building_through_the_api_while_the_portal_is_down_answers_503_and_keeps_nothing(
        inventory, tokens, week_of_28_september, week_sources, monkeypatch):
    def portal_down(school_id):
        return {**week_sources(school_id), "supplier_portal": RefusingClient()}

    monkeypatch.setattr(disclosure, "service_clients", lambda settings: portal_down)
    response = inventory.post("/api/costing/disclosures", json={"week_of": "2026-09-28"}, headers=tokens["finance"])
    assert response.status_code == 503 and "supplier_portal" in response.json["detail"]
    assert inventory.get("/api/costing/disclosures", headers=tokens["parent"]).json == []
