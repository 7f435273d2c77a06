"""Inventory's pages through the test client: sign-in through procurement's accounts, each page and
action per role, refused actions re-rendered with the reason and the typed values, role checks."""
from __future__ import annotations

import json
import re
import uuid
from datetime import datetime, timedelta, timezone
from decimal import Decimal
from types import SimpleNamespace
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select

from services.inventory.costing.export_jobs import run_job
from services.inventory.costing.models import ExportJob
from services.inventory.costing.periods import month_start, previous_month
from services.inventory.items import upsert_items
from services.inventory.locations import ensure_standard_locations
from services.inventory.models import (
    ExpectedReceipt,
    Issue,
    Lot,
    MealsServed,
    Stocktake,
    StockValuation,
    WasteRecord,
)
from services.inventory.receipts import post_receipt
from services.inventory.tasks import consumer
from services.procurement.models import School
from shared.auth import Principal, issue_token
from tests.inventory.conftest import CHIPS, ITEMS, MILK, RICE
from tests.support import TEST_SECRET

TODAY = datetime.now(ZoneInfo("Asia/Shanghai")).date()
CSRF = "test-csrf-token"


def sign_in(client, staff, *roles):
    """A staff account of the test school with `roles`, signed in on `client` (the cookie's token); a canteen
    manager runs dining hall 1, as sign-in would say."""
    user, _ = staff(*roles)
    hall = "DH1" if "canteen_manager" in roles else None
    with client.session_transaction() as session:
        session["token"] = issue_token(Principal(str(user.id), frozenset(roles), school_id=user.school_id,
                                                 demand_point=hall), TEST_SECRET, 600)
        session["csrf"] = CSRF
    return user


def post(client, url, **form):
    return client.post(url, data={"csrf_token": CSRF, **form})


def text(response) -> str:
    return response.get_data(as_text=True)


@pytest.fixture
def stocked(databases, school):
    """Locations, items, and in the first dining hall: rice in two lots (the later-expiring received first)
    and milk expiring today; in the campus store, crisps."""
    principal = Principal("9", frozenset({"storekeeper"}), school_id=school.id)
    with databases["inventory"].unit_of_work() as uow:
        locations = {loc.code: loc.id for loc in ensure_standard_locations(uow.session, school.id)}
        upsert_items(uow.session, school.id, ITEMS)
        for lot, expiry, quantity in (("R-LATE", TODAY + timedelta(days=200), "30"),
                                      ("R-SOON", TODAY + timedelta(days=2), "20")):
            post_receipt(uow.session, principal, locations["DH1"], [{
                "item_id": RICE["id"], "quantity": Decimal(quantity), "unit_price": Decimal("4.00"),
                "lot_number": lot, "production_date": TODAY - timedelta(days=10), "expiry_date": expiry}], TODAY)
        post_receipt(uow.session, principal, locations["DH1"], [{
            "item_id": MILK["id"], "quantity": Decimal("10"), "unit_price": Decimal("6.00"), "lot_number": "M-1",
            "production_date": TODAY - timedelta(days=6), "expiry_date": TODAY}], TODAY)
        post_receipt(uow.session, principal, locations["STORE"], [{
            "item_id": CHIPS["id"], "quantity": Decimal("40"), "unit_price": Decimal("2.00"), "lot_number": "C-1",
            "production_date": TODAY - timedelta(days=3), "expiry_date": TODAY + timedelta(days=170)}], TODAY)
        uow.commit()
    return locations


def deliver(databases, event_type, payload):
    assert consumer.apply(databases["inventory"], {"id": str(uuid.uuid4()), "type": event_type, "payload": payload})


@pytest.fixture
def order(databases, school, stocked):
    """An order for the first dining hall: 100 kg of rice (a bulk commodity) and 5 L of milk, with its delivery note."""
    line = lambda po_line_id, item, quantity, price: {  # noqa: E731
        "po_line_id": po_line_id, "item_id": item["id"], "item_code": item["code"], "item_name": item["name"],
        "category": item["category"], "unit": item["base_unit"], "quantity": quantity, "unit_price": price,
        "delivery_date": TODAY.isoformat(), "destination": "DH1"}
    deliver(databases, "po.sent", {"po_id": 801, "school_id": school.id, "number": "PO-2026-000801", "revision": 1,
                                   "supplier_id": 31, "total": "430.00",
                                   "sent_at": datetime.now(timezone.utc).isoformat(),
                                   "lines": [line(1, RICE, "100.000", "4.00"), line(2, MILK, "5.000", "6.00")]})
    deliver(databases, "delivery.dispatched", {
        "delivery_note_id": 91, "po_id": 801, "supplier_id": 31, "school_id": school.id, "number": "DN-91",
        "planned_at": datetime.now(timezone.utc).isoformat(),
        "lines": [{"po_line_id": 1, "item_id": RICE["id"], "quantity": "100.000", "lot_number": "R-NEW",
                   "production_date": (TODAY - timedelta(days=1)).isoformat(), "expiry_date": None,
                   "certificate_ref": "QS-1"}]})
    with databases["inventory"].unit_of_work() as uow:
        return uow.session.scalars(select(ExpectedReceipt).where(ExpectedReceipt.po_id == 801)).one().id


def on_hand(databases, location_id, item_id) -> Decimal:
    with databases["inventory"].unit_of_work() as uow:
        return uow.session.scalars(select(StockValuation.quantity).where(
            StockValuation.location_id == location_id, StockValuation.item_id == item_id)).one()


class ProcurementOverTestClient:
    """Stands in for the HTTP client: inventory's sign-in reaches procurement's real sign-in API."""

    def __init__(self, procurement):
        self.procurement = procurement

    def __call__(self, *_args, **_kwargs):
        return self

    def post(self, path, json):
        answer = self.procurement.post(path, json=json)
        return SimpleNamespace(status_code=answer.status_code, json=answer.get_json)


def test_staff_sign_in_on_inventory_with_their_procurement_account(inventory, procurement, staff, monkeypatch):
    monkeypatch.setattr("services.inventory.pages.ServiceClient", ProcurementOverTestClient(procurement))
    user, _ = staff("storekeeper")
    assert inventory.get("/stock").headers["Location"].startswith("/login?next=/stock")
    login = inventory.get("/login")
    csrf = re.search(r'name="csrf_token" value="([^"]+)"', text(login)).group(1)
    wrong = inventory.post("/login?next=/stock", data={"username": user.username, "password": "nope",
                                                       "csrf_token": csrf})
    assert wrong.status_code == 401 and "用户名或密码错误" in text(wrong)
    right = inventory.post("/login?next=/stock", data={"username": user.username,
                                                       "password": "correct horse battery staple",
                                                       "csrf_token": csrf})
    assert right.status_code == 302 and right.headers["Location"] == "/stock"
    page = inventory.get("/stock")
    assert page.status_code == 200 and "<title>库存" in text(page)
    home = text(inventory.get("/"))
    assert "调拨" in home and "月度伙食成本核算表" not in home  # the storekeeper's tasks only


def test_sign_in_says_so_when_procurement_cannot_be_reached(inventory, test_settings):
    login = inventory.get("/login")
    csrf = re.search(r'name="csrf_token" value="([^"]+)"', text(login)).group(1)
    test_settings.service_urls["procurement"] = "http://127.0.0.1:9"  # nothing listens on the discard port
    try:
        refused = inventory.post("/login", data={"username": "someone", "password": "secret", "csrf_token": csrf})
    finally:
        test_settings.service_urls.pop("procurement")
    assert refused.status_code == 401 and "登录暂时不可用" in text(refused)


@pytest.mark.parametrize("role, url", [("canteen_manager", "/store"), ("storekeeper", "/costing/entries/income"),
                                       ("store_manager", "/costing/statements"), ("supervisor", "/issues/new"),
                                       ("finance", "/receiving")])
def test_each_page_is_refused_to_roles_that_do_not_do_its_task(inventory, staff, stocked, role, url):
    sign_in(inventory, staff, role)
    response = inventory.get(url)
    assert response.status_code == 403 and "您没有权限打开此页面" in text(response)


def test_a_supervisor_may_read_stock_but_not_post_a_transfer(inventory, staff, stocked):
    sign_in(inventory, staff, "supervisor")
    assert inventory.get("/stock").status_code == 200
    assert post(inventory, "/transfers", from_location_id=stocked["DH1"], to_location_id=stocked["CSR"],
                **{"item-0": RICE["id"], "quantity-0": "1"}).status_code == 403


def test_the_delivery_due_at_a_hall_is_listed_there_and_not_at_another(inventory, staff, order, stocked):
    sign_in(inventory, staff, "storekeeper")
    mine = text(inventory.get(f"/receiving?location_id={stocked['DH1']}"))
    assert "PO-2026-000801" in mine and "大米 100.000/100.000 kg" in mine
    assert "PO-2026-000801" not in text(inventory.get(f"/receiving?location_id={stocked['DH2']}"))
    remembered = text(inventory.get("/issues/new"))  # the hall picked last, on the next page too
    assert re.search(rf'<option value="{stocked["DH2"]}" selected>', remembered)
    sign_in(inventory, staff, "canteen_manager")  # of dining hall 1: asking for another hall shows their own
    assert "PO-2026-000801" in text(inventory.get(f"/receiving?location_id={stocked['DH2']}"))


def inspection_form(**overrides):
    form = {"delivery_note_id": "91", "documents_checked": ["licence", "product_certificate", "delivery_note"],
            "inspector-1": "王敏", "inspector-2": "刘洋",
            "line-1-accepted_quantity": "98", "line-1-rejected_quantity": "2",
            "line-1-rejection_reason": "袋子破损", "line-1-lot_number": "R-NEW",
            "line-1-production_date": (TODAY - timedelta(days=1)).isoformat(), "line-1-shelf_life_days": "365"}
    form.update(overrides)
    return form


def test_receiving_with_the_inspection_form_posts_accepted_goods_into_stock(inventory, staff, order, stocked,
                                                                             databases):
    sign_in(inventory, staff, "canteen_manager")
    form = text(inventory.get(f"/receiving/{order}"))
    assert 'value="R-NEW"' in form and "进货查验" in form and "第二验收人" in form
    before = on_hand(databases, stocked["DH1"], RICE["id"])
    response = post(inventory, f"/receiving/{order}/inspections", **inspection_form())
    assert response.status_code == 302
    assert on_hand(databases, stocked["DH1"], RICE["id"]) == before + 98
    shown = text(inventory.get(response.headers["Location"]))
    assert "查验已记录" in shown and "部分到货" in shown


def test_a_bulk_receipt_with_one_inspector_is_refused_and_keeps_what_was_typed(inventory, staff, order, stocked,
                                                                              databases):
    sign_in(inventory, staff, "canteen_manager")
    before = on_hand(databases, stocked["DH1"], RICE["id"])
    refused = post(inventory, f"/receiving/{order}/inspections",
                   **inspection_form(**{"inspector-2": "", "line-1-rejection_reason": "袋子受潮"}))
    body = text(refused)
    assert refused.status_code == 422 and "须由两名验收人验收" in body
    assert 'value="袋子受潮"' in body and 'value="王敏"' in body  # the form as it was typed
    assert on_hand(databases, stocked["DH1"], RICE["id"]) == before


def test_accepting_expired_goods_is_refused_with_the_reason(inventory, staff, order, stocked):
    sign_in(inventory, staff, "canteen_manager")
    expired = (TODAY - timedelta(days=1)).isoformat()
    refused = post(inventory, f"/receiving/{order}/inspections", **inspection_form(**{
        "line-1-accepted_quantity": "", "line-1-rejected_quantity": "",
        "line-2-accepted_quantity": "5", "line-2-lot_number": "M-OLD",
        "line-2-production_date": (TODAY - timedelta(days=9)).isoformat(), "line-2-expiry_date": expired}))
    assert refused.status_code == 422 and "过期货物一律拒收" in text(refused)


def test_the_issue_form_shows_the_lots_fefo_takes_before_anything_is_posted(inventory, staff, stocked, databases):
    sign_in(inventory, staff, "canteen_manager")
    preview = text(inventory.get(f"/issues/new?location_id={stocked['DH1']}&meal=lunch&meal_date={TODAY}"
                                 f"&qty-{RICE['id']}=25"))
    taken = preview[preview.index("先到期先出将领用"):]
    assert taken.index("R-SOON × 20.000") < taken.index("R-LATE × 5.000")  # the earlier expiry first
    one_lot = text(inventory.get(f"/issues/new?location_id={stocked['DH1']}&qty-{RICE['id']}=7"))
    assert "R-SOON × 7.000 kg" in one_lot  # quantities to the gram, however they were typed
    with databases["inventory"].unit_of_work() as uow:
        assert uow.session.scalars(select(Issue)).first() is None
    posted = post(inventory, f"/issues?location_id={stocked['DH1']}", location_id=str(stocked["DH1"]),
                  meal_date=TODAY.isoformat(), meal="lunch", **{f"qty-{RICE['id']}": "25"})
    assert posted.status_code == 302
    assert on_hand(databases, stocked["DH1"], RICE["id"]) == Decimal(25)
    assert "已发往厨房：成本 ¥100.00" in text(inventory.get(posted.headers["Location"]))


def test_issuing_more_than_is_on_hand_is_refused_with_what_is_usable(inventory, staff, stocked, databases):
    sign_in(inventory, staff, "storekeeper")
    preview = text(inventory.get(f"/issues/new?location_id={stocked['DH1']}&qty-{RICE['id']}=60"))
    assert "申领 60，但可用库存仅 50.000" in preview and "过账领用" not in preview
    nonsense = text(inventory.get(f"/issues/new?location_id={stocked['DH1']}&qty-{RICE['id']}=lots"))
    assert "请输入数字" in nonsense and "过账领用" not in nonsense
    refused = post(inventory, f"/issues?location_id={stocked['DH1']}", location_id=str(stocked["DH1"]),
                   meal_date=TODAY.isoformat(), meal="dinner", **{f"qty-{RICE['id']}": "60"})
    assert refused.status_code == 409 and "可用库存仅 50.000" in text(refused)
    assert on_hand(databases, stocked["DH1"], RICE["id"]) == Decimal(50)


def test_an_expired_lot_is_never_issued(inventory, staff, stocked):
    sign_in(inventory, staff, "canteen_manager")
    tomorrow = (TODAY + timedelta(days=1)).isoformat()  # the milk expires today
    refused = post(inventory, f"/issues?location_id={stocked['DH1']}", location_id=str(stocked["DH1"]),
                   meal_date=tomorrow, meal="breakfast", **{f"qty-{MILK['id']}": "1"})
    assert refused.status_code == 409 and "已过期，不得发放" in text(refused)


def test_the_manager_records_the_diners_of_a_meal(inventory, staff, stocked, databases):
    sign_in(inventory, staff, "canteen_manager")
    response = post(inventory, "/meals-served", location_id=str(stocked["DH1"]), meal_date=TODAY.isoformat(),
                    meal="lunch", diners="412")
    assert response.status_code == 302
    assert "412" in text(inventory.get(response.headers["Location"]))
    with databases["inventory"].unit_of_work() as uow:
        assert uow.session.scalars(select(MealsServed.diners)).one() == 412
    refused = post(inventory, "/meals-served", location_id=str(stocked["DH1"]), meal_date=TODAY.isoformat(),
                   meal="lunch", diners="many")
    assert refused.status_code == 422 and "diners" in text(refused)


def test_stock_on_hand_shows_lots_and_highlights_what_expires_soon(inventory, staff, stocked):
    sign_in(inventory, staff, "storekeeper")
    body = text(inventory.get(f"/stock?location_id={stocked['DH1']}"))
    assert '<span class="lot soon">R-SOON' in body and '<span class="lot">R-LATE' in body
    assert "¥200.00" in body  # 50 kg of rice at ¥4.00
    filtered = text(inventory.get("/stock?q=milk"))
    assert "纯牛奶" in filtered and "大米" not in filtered


def test_a_transfer_moves_stock_and_one_to_the_same_place_is_refused(inventory, staff, stocked, databases):
    sign_in(inventory, staff, "storekeeper")
    moved = post(inventory, "/transfers", from_location_id=str(stocked["DH1"]), to_location_id=str(stocked["CSR"]),
                 **{"item-0": str(RICE["id"]), "quantity-0": "10"})
    assert moved.status_code == 302
    assert on_hand(databases, stocked["CSR"], RICE["id"]) == Decimal(10)
    listed = lambda code: text(inventory.get(f"/transfers?through={stocked[code]}"))  # noqa: E731
    assert "<td>中心库房</td>" in listed("CSR") and "<td>中心库房</td>" not in listed("STORE")
    refused = post(inventory, "/transfers", from_location_id=str(stocked["DH1"]), to_location_id=str(stocked["DH1"]),
                   **{"item-0": str(RICE["id"]), "quantity-0": "10"})
    assert refused.status_code == 422 and "调拨须调往其他库位" in text(refused)


def test_a_stocktake_is_counted_by_the_keeper_and_its_variance_approved_by_a_manager(inventory, staff, stocked,
                                                                                   databases):
    sign_in(inventory, staff, "storekeeper")
    opened = post(inventory, "/stocktakes", location_id=str(stocked["STORE"]))
    assert opened.status_code == 302
    sheet = text(inventory.get(opened.headers["Location"]))
    assert "data-print" in sheet and "C-1" in sheet and "审核差异" not in sheet
    with databases["inventory"].unit_of_work() as uow:
        stocktake = uow.session.scalars(select(Stocktake)).one()
        line_id = stocktake.lines[0].id
    assert post(inventory, f"/stocktakes/{stocktake.id}/counts", **{f"count-{line_id}": "38"}).status_code == 302
    assert post(inventory, f"/stocktakes/{stocktake.id}/approve").status_code == 403
    sign_in(inventory, staff, "canteen_manager")  # of dining hall 1: the store's count is not theirs
    assert post(inventory, f"/stocktakes/{stocktake.id}/approve").status_code == 404
    sign_in(inventory, staff, "store_manager")
    assert post(inventory, f"/stocktakes/{stocktake.id}/approve").status_code == 302
    assert on_hand(databases, stocked["STORE"], CHIPS["id"]) == Decimal(38)
    assert "已审核" in text(inventory.get(f"/stocktakes/{stocktake.id}"))
    again = post(inventory, f"/stocktakes/{stocktake.id}/approve")
    assert again.status_code == 409 and "C-1" in text(again)  # refused on the sheet itself


def test_waste_is_written_off_by_lot_with_a_reason(inventory, staff, stocked, databases):
    sign_in(inventory, staff, "storekeeper")
    with databases["inventory"].unit_of_work() as uow:
        lot_id = uow.session.scalars(select(Lot.id).where(Lot.lot_number == "M-1")).one()
    field = f"waste-{MILK['id']}-{lot_id}"
    refused = post(inventory, f"/waste?location_id={stocked['DH1']}", location_id=str(stocked["DH1"]), reason="",
                   **{field: "3"})
    assert refused.status_code == 422 and 'value="3"' in text(refused)
    written = post(inventory, f"/waste?location_id={stocked['DH1']}", location_id=str(stocked["DH1"]),
                   reason="冷藏柜故障变质", **{field: "3"})
    assert written.status_code == 302 and on_hand(databases, stocked["DH1"], MILK["id"]) == Decimal(7)
    assert "冷藏柜故障变质" in text(inventory.get(written.headers["Location"]))
    with databases["inventory"].unit_of_work() as uow:
        assert uow.session.scalars(select(WasteRecord.reason)).one() == "冷藏柜故障变质"


def test_the_store_manager_sells_at_the_unified_price_with_restricted_food_flagged(inventory, staff, stocked,
                                                                                  databases):
    sign_in(inventory, staff, "store_manager")
    refused = post(inventory, "/store/sales", location_id=str(stocked["STORE"]), **{f"sell-{CHIPS['id']}": "2"})
    assert refused.status_code == 422 and "没有统一价格" in text(refused)
    deliver(databases, "unified_prices.published", {
        "supplier_id": 61, "effective_from": TODAY.isoformat(),
        "prices": [{"item_id": CHIPS["id"], "item_code": CHIPS["code"], "unit_price": "3.50"}]})
    page = text(inventory.get("/store"))
    assert "¥3.50" in page and "高盐高糖高脂" in page
    sold = post(inventory, "/store/sales", location_id=str(stocked["STORE"]), **{f"sell-{CHIPS['id']}": "2"})
    assert sold.status_code == 302
    assert "已记录销售：¥7.00" in text(inventory.get(sold.headers["Location"]))
    assert "¥7.00" in text(inventory.get(f"/store?sold_on={TODAY}"))
    assert "¥7.00" not in text(inventory.get(f"/store?sold_on={TODAY - timedelta(days=1)}"))


def test_finance_prepares_the_statement_and_signs_it_in_order_until_it_is_frozen(inventory, staff, stocked):
    last_month = previous_month(month_start(TODAY))
    sign_in(inventory, staff, "finance")
    prepared = post(inventory, "/costing/statements", month=f"{last_month:%Y-%m}")
    assert prepared.status_code == 302
    url = prepared.headers["Location"]
    assert "成本核算员" in text(inventory.get(url)) and "下一位签字" in text(inventory.get(url))
    sign_in(inventory, staff, "approver")
    early = text(inventory.get(url))
    assert "轮不到您签字" in early and 'name="signer_name"' not in early
    out_of_turn = post(inventory, url + "/signatures", slot="cost_accountant", signer_name="孙伟")
    assert out_of_turn.status_code == 403 and "成本核算员签字栏须由以下角色之一签字" in text(out_of_turn)
    for roles, name in ((("finance",), "周芳"), (("approver",), "孙伟"), (("approver",), "钱明"), (("admin",), "郑华"),
                        (("admin",), "冯校长")):
        sign_in(inventory, staff, *roles)
        slot = re.search(r'name="slot" value="([a-z_]+)"', text(inventory.get(url))).group(1)
        assert post(inventory, url + "/signatures", slot=slot, signer_name=name).status_code == 302
    frozen = text(inventory.get(url))
    assert "已冻结" in frozen and "冯校长" in frozen and 'name="signer_name"' not in frozen


def test_a_statement_of_the_month_under_way_cannot_be_signed_yet(inventory, staff, stocked):
    sign_in(inventory, staff, "finance")
    url = post(inventory, "/costing/statements", month=f"{TODAY:%Y-%m}").headers["Location"]
    refused = post(inventory, url + "/signatures", slot="cost_accountant", signer_name="周芳")
    assert refused.status_code == 409 and "尚未结束" in text(refused) and "月度伙食成本核算表" in text(refused)


def test_finance_enters_income_and_withdraws_a_mistaken_entry(inventory, staff, stocked):
    sign_in(inventory, staff, "finance")
    refused = post(inventory, "/costing/entries/income", location_id=str(stocked["DH1"]),
                   entry_date=TODAY.isoformat(), kind="student_fees", amount="-5")
    assert refused.status_code == 422 and 'value="-5"' in text(refused)
    added = post(inventory, "/costing/entries/income", location_id=str(stocked["DH1"]),
                 entry_date=TODAY.isoformat(), kind="student_fees", amount="12000.5")
    assert added.status_code == 302
    listed = text(inventory.get(added.headers["Location"]))
    assert "¥12,000.50" in listed
    entry_id = re.search(r"/costing/entries/income/(\d+)/delete", listed).group(1)
    assert post(inventory, f"/costing/entries/income/{entry_id}/delete").status_code == 302
    assert "¥12,000.50" not in text(inventory.get("/costing/entries/income"))
    assert inventory.get("/costing/entries/bribes").status_code == 404


def test_the_chart_embeds_the_cost_per_diner_meal_of_each_hall_for_the_script_to_draw(inventory, staff, stocked):
    sign_in(inventory, staff, "canteen_manager")
    post(inventory, f"/issues?location_id={stocked['DH1']}", location_id=str(stocked["DH1"]),
         meal_date=TODAY.isoformat(), meal="lunch", **{f"qty-{RICE['id']}": "25"})
    post(inventory, "/meals-served", location_id=str(stocked["DH1"]), meal_date=TODAY.isoformat(), meal="lunch",
         diners="400")
    sign_in(inventory, staff, "finance")
    body = text(inventory.get("/costing/chart"))
    data = re.search(r'<script type="application/json" id="cost-chart-data">(.+?)</script>', body, re.S).group(1)
    chart = json.loads(data)
    assert chart["months"][-1] == f"{TODAY:%Y-%m}" and len(chart["months"]) == 12
    first_hall = next(line for line in chart["series"] if line["name"] == "第一食堂")
    assert first_hall["values"][-1] == "0.25"  # ¥100.00 of rice over 400 diner-meals


@pytest.mark.parametrize("url", ["/", "/receiving", "/issues/new", "/meals-served", "/stock", "/transfers",
                                 "/stocktakes", "/waste", "/store", "/costing/statements", "/costing/entries/income",
                                 "/costing/entries/expense", "/costing/chart", "/costing/exports"])
def test_every_page_renders_in_english_with_a_title_and_every_field_labelled(inventory, staff, stocked, url):
    sign_in(inventory, staff, "admin")
    with inventory.session_transaction() as session:
        session["lang"] = "en"
    response = inventory.get(url)
    body = text(response)
    assert response.status_code == 200 and '<html lang="en">' in body and re.search(r"<title>\w", body)
    fields = re.findall(r'<(?:input|select|textarea)\b(?![^>]*type="(?:hidden|checkbox)")[^>]*\bid="([^"]+)"', body)
    labelled = set(re.findall(r'<label[^>]*\bfor="([^"]+)"', body))
    unnamed = re.findall(r'<(?:input|select|textarea)\b(?![^>]*type="(?:hidden|checkbox)")(?![^>]*\bid=)[^>]*>', body)
    assert unnamed == [] and sorted(set(fields) - labelled) == []


def test_a_supplier_signed_in_on_the_portal_is_refused_the_schools_stock_pages(inventory, stocked):
    with inventory.session_transaction() as session:  # the cookie is shared by the services of one host
        session["token"] = issue_token(Principal("77", frozenset({"supplier_owner"}), supplier_id=5), TEST_SECRET, 600)
    for url in ("/", "/stock", "/receiving", "/costing/statements"):
        assert inventory.get(url).status_code == 403


def test_another_schools_documents_are_not_found_on_the_pages(inventory, staff, stocked, order, databases):
    sign_in(inventory, staff, "storekeeper")
    sheet = post(inventory, "/stocktakes", location_id=str(stocked["DH1"])).headers["Location"]
    with databases["procurement"].unit_of_work() as uow:
        other = School(name="别的学校", timezone="Asia/Shanghai")
        uow.session.add(other)
        uow.commit()
    outsider, _ = staff("admin", school_id=other.id)
    with inventory.session_transaction() as session:
        session["token"] = issue_token(Principal(str(outsider.id), frozenset({"admin"}), school_id=other.id),
                                       TEST_SECRET, 600)
    assert inventory.get(sheet).status_code == 404
    assert inventory.get(f"/receiving/{order}").status_code == 404
    assert "PO-2026-000801" not in text(inventory.get("/receiving"))


def test_finance_starts_an_export_follows_it_and_downloads_it_when_done(inventory, staff, stocked, databases,
                                                                        test_settings):
    sign_in(inventory, staff, "finance")
    refused = post(inventory, "/costing/exports", kind="cost_detail", format="xlsx", start=TODAY.isoformat(),
                   end=(TODAY - timedelta(days=3)).isoformat(), location_id="")
    assert refused.status_code == 422 and f'value="{TODAY.isoformat()}"' in text(refused)
    started = post(inventory, "/costing/exports", kind="cost_detail", format="csv",
                   start=(TODAY - timedelta(days=30)).isoformat(), end=TODAY.isoformat(),
                   location_id=str(stocked["DH1"]))
    assert started.status_code == 302
    waiting = text(inventory.get(started.headers["Location"]))
    assert "导出已开始" in waiting and "排队中" in waiting and 'data-refresh="2000"' in waiting
    # the form keeps the period, report, format and hall for the next export
    assert f'value="{(TODAY - timedelta(days=30)).isoformat()}"' in waiting
    assert f'<option value="{stocked["DH1"]}" selected>' in waiting and '<option value="csv" selected>' in waiting
    with databases["inventory"].unit_of_work() as uow:
        job_id = uow.session.scalars(select(ExportJob.id)).one()
    assert post(inventory, f"/costing/exports/{job_id}/file").status_code == 409  # not written yet
    assert run_job(databases["inventory"], job_id, test_settings.var_dir, "Asia/Shanghai") == "done"
    finished = text(inventory.get("/costing/exports"))
    assert "已完成" in finished and "data-refresh" not in finished and 'value="100"' in finished
    download = post(inventory, f"/costing/exports/{job_id}/file")
    assert download.status_code == 200 and "attachment" in download.headers["Content-Disposition"]
    assert download.get_data().startswith("\ufeff".encode())  # a CSV Excel opens as UTF-8
    sign_in(inventory, staff, "canteen_manager")
    assert inventory.get("/costing/exports").status_code == 403


@pytest.mark.parametrize("url", ["/issues/new", "/meals-served", "/stock", "/waste", "/stocktakes", "/receiving",
                                 "/costing/entries/income"])
def test_a_canteen_manager_picks_only_their_own_hall(inventory, staff, stocked, url):
    sign_in(inventory, staff, "finance" if url in ("/meals-served", "/costing/entries/income") else "storekeeper")
    assert "第二食堂" in text(inventory.get(url))
    sign_in(inventory, staff, "canteen_manager")  # of dining hall 1
    page = text(inventory.get(f"{url}?location_id={stocked['DH2']}"))
    assert "第一食堂" in page and "第二食堂" not in page and "中心库房" not in page


def test_a_canteen_manager_sees_only_the_transfers_through_their_hall_but_may_send_anywhere(inventory, staff,
                                                                                            stocked, databases):
    sign_in(inventory, staff, "storekeeper")
    for source, target in (("DH1", "CSR"), ("DH1", "DH2"), ("DH2", "DH3")):
        assert post(inventory, "/transfers", from_location_id=str(stocked[source]), to_location_id=str(stocked[target]),
                    **{"item-0": str(RICE["id"]), "quantity-0": "1"}).status_code == 302
    sign_in(inventory, staff, "canteen_manager")
    page = text(inventory.get("/transfers"))
    assert "第三食堂" in page.split("<table")[0]  # the other end of a transfer may be any location
    listed = page.split("<table")[1]
    assert "中心库房" in listed and "第三食堂" not in listed
    refused = post(inventory, "/transfers", from_location_id=str(stocked["DH2"]), to_location_id=str(stocked["DH3"]),
                   **{"item-0": str(RICE["id"]), "quantity-0": "1"})
    assert refused.status_code == 403
