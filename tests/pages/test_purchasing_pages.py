"""Procurement's pages for each role, through the test client: the canteen manager's menu → requisition →
order, the approver's queue with the price check, the officer's consolidation, RFQ and award, and
finance's invoices, payments and spend chart. Every refused action re-renders its page with the reason
and what was typed; a page a role may not use answers 403."""
import json
import re
from datetime import date, datetime, timedelta, timezone
from decimal import Decimal

import pytest
from sqlalchemy import select

from services.procurement import menus
from services.procurement.models import Invoice, Outbox, PurchaseOrder, Requisition, Rfq
from services.procurement.tasks import consumer
from shared.auth import Principal, issue_token
from shared.pages import CSRF_KEY, TOKEN_KEY
from tests.conftest import TEST_SECRET
from tests.pages.purchasing import SUPPLIER_ID, school_today, seed_purchasing
from tests.procurement.conftest import envelope

CSRF = "page-test-csrf"


@pytest.fixture
def week(databases, staff, monkeypatch):
    monkeypatch.setattr(menus, "stock_on_hand", lambda config, school_id, code: {})
    return seed_purchasing(databases, staff)


def as_user(client, user, language="zh-CN"):
    principal = Principal(str(user.id), frozenset(user.roles), school_id=user.school_id)
    with client.session_transaction() as session:
        session.clear()
        session.update({TOKEN_KEY: issue_token(principal, TEST_SECRET, 600), CSRF_KEY: CSRF, "lang": language})
    return client


def post(client, url, **form):
    return client.post(url, data={**form, "csrf_token": CSRF})


def text(response) -> str:
    return response.get_data(as_text=True)


def row(databases, model, row_id):
    with databases["procurement"].unit_of_work() as uow:
        found = uow.session.get(model, row_id)
        if isinstance(found, (Requisition, Rfq)):
            found.lines  # noqa: B018  (loaded before the unit of work closes)
        return found


# --- canteen manager ---------------------------------------------------------------------------------

def test_a_manager_reads_the_weeks_menu_with_the_requisition_it_proposes(procurement, week):
    body = text(as_user(procurement, week.manager).get(f"/menus/{week.menu_id}"))
    assert "计划就餐人数" in body and "800" in body and "米饭" in body
    # 800 diners × 0.150 kg = 120 kg of rice, bought in whole 25 kg bags: 5 bags
    assert "5 × bag (125 kg)" in body
    assert f"/requisitions/{week.requisition_id}" in body and "生成申购单草稿" not in body


def test_a_manager_drafts_a_requisition_from_a_menu_and_is_told_when_stock_covers_it(
        procurement, week, databases, monkeypatch):
    from services.procurement.demand import demand_point_by_code
    from services.procurement.models import Dish
    with databases["procurement"].unit_of_work() as uow:
        manager = Principal(str(week.manager.id), frozenset({"canteen_manager"}), school_id=week.manager.school_id)
        dish = uow.session.scalar(select(Dish))
        monday = school_today() - timedelta(days=school_today().weekday()) + timedelta(days=14)
        later = menus.create_menu(uow.session, manager, "DH1", monday, [
            {"date": monday, "meal": "dinner", "diners": 100, "dish_ids": [dish.id]}])
        assert demand_point_by_code(uow.session, manager.school_id, "DH1").id == later.demand_point_id
        uow.commit()
    as_user(procurement, week.manager)
    monkeypatch.setattr(menus, "stock_on_hand", lambda config, school_id, code: {week.rice_id: Decimal("500")})
    refused = post(procurement, f"/menus/{later.id}/requisition")
    assert refused.status_code == 409 and "已满足本周菜单" in text(refused)
    monkeypatch.setattr(menus, "stock_on_hand", lambda config, school_id, code: {})
    drafted = post(procurement, f"/menus/{later.id}/requisition")
    assert drafted.status_code == 302
    body = text(procurement.get(drafted.headers["Location"]))
    assert "草稿" in body and "请核对明细后提交" in body and "保存明细" in body


def test_a_manager_corrects_a_draft_requisition_and_a_wrong_date_keeps_what_was_typed(procurement, week, databases):
    as_user(procurement, week.manager)
    [line] = row(databases, Requisition, week.draft_requisition_id).lines
    field = f"line-{line.id}-"
    past = (school_today() - timedelta(days=1)).isoformat()
    refused = post(procurement, f"/requisitions/{week.draft_requisition_id}/lines",
                   **{field + "quantity": "6", field + "needed_by": past})
    assert refused.status_code == 422
    assert "已是过去的日期" in text(refused) and 'value="6"' in text(refused) and f'value="{past}"' in text(refused)
    saved = post(procurement, f"/requisitions/{week.draft_requisition_id}/lines",
                 **{field + "quantity": "6", field + "needed_by": school_today().isoformat()})
    assert saved.status_code == 302
    [line] = row(databases, Requisition, week.draft_requisition_id).lines
    assert line.entered_quantity == Decimal("6") and line.quantity == Decimal("30.000")  # 6 drums of 5 L


def test_a_refused_form_says_why_in_the_readers_language(procurement, week, databases):
    field = f"line-{row(databases, Requisition, week.draft_requisition_id).lines[0].id}-"
    past = (school_today() - timedelta(days=1)).isoformat()
    answers = {}
    for language in ("zh-CN", "en"):
        as_user(procurement, week.manager, language)
        answers[language] = text(post(procurement, f"/requisitions/{week.draft_requisition_id}/lines",
                                      **{field + "quantity": "6", field + "needed_by": past}))
    assert "已是过去的日期" in answers["zh-CN"] and "is in the past" not in answers["zh-CN"]
    assert "is in the past" in answers["en"] and "已是过去的日期" not in answers["en"]


def test_a_manager_submits_a_draft_and_cannot_submit_it_twice(procurement, week, databases):
    as_user(procurement, week.manager)
    assert post(procurement, f"/requisitions/{week.draft_requisition_id}/submit").status_code == 302
    assert row(databases, Requisition, week.draft_requisition_id).state == "submitted"
    again = post(procurement, f"/requisitions/{week.draft_requisition_id}/submit")
    assert again.status_code == 409 and "已提交" in text(again)


def test_a_manager_sees_only_their_own_halls_requisitions_and_no_approval_queue(procurement, week, staff, databases):
    other, _ = staff("canteen_manager")
    from services.procurement.demand import demand_point_by_code
    from services.procurement.models import StaffUser
    with databases["procurement"].unit_of_work() as uow:
        uow.session.get(StaffUser, other.id).demand_point_id = demand_point_by_code(
            uow.session, other.school_id, "DH2").id
        uow.commit()
    as_user(procurement, other)
    assert f"#{week.requisition_id}" not in text(procurement.get("/requisitions"))
    assert procurement.get(f"/requisitions/{week.requisition_id}").status_code == 404
    assert procurement.get("/approvals").status_code == 403


def test_an_officer_filters_requisitions_by_demand_point_and_state(procurement, week):
    as_user(procurement, week.officer)
    assert f'href="/requisitions/{week.requisition_id}"' in text(procurement.get("/requisitions?demand_point=DH1"))
    assert f'href="/requisitions/{week.requisition_id}"' not in text(procurement.get("/requisitions?demand_point=DH2"))
    drafts = text(procurement.get("/requisitions?state=draft"))
    assert f'href="/requisitions/{week.draft_requisition_id}"' in drafts
    assert f'href="/requisitions/{week.requisition_id}"' not in drafts
    assert 'name="demand_point"' not in text(as_user(procurement, week.manager).get("/requisitions"))


def test_a_manager_raises_an_order_for_their_hall_and_is_refused_one_for_another(procurement, week):
    as_user(procurement, week.manager)
    form = {"supplier_id": str(SUPPLIER_ID), "line-1-item_id": str(week.rice_id), "line-1-quantity": "4",
            "line-1-unit": "bag", "line-1-unit_price": "4.10", "line-1-destination": "DH2",
            "line-1-delivery_date": (school_today() + timedelta(days=3)).isoformat()}
    page = procurement.get("/orders/new")
    assert 'value="DH2"' not in text(page)  # a manager is offered their own hall only
    refused = post(procurement, "/orders", **form)
    assert refused.status_code == 403 and "您只能为本人所属需求点下单" in text(refused)
    assert 'value="4.10"' in text(refused)
    created = post(procurement, "/orders", **{**form, "line-1-destination": "DH1"})
    assert created.status_code == 302
    body = text(procurement.get(created.headers["Location"]))
    assert "草稿" in body and "¥410.00" in body and "提交审批" in body  # 100 kg × ¥4.10


def test_a_manager_orders_under_a_fixed_supplier_agreement_at_the_contract_price(procurement, week, databases):
    from services.procurement.agreements import create_agreement
    with databases["procurement"].unit_of_work() as uow:
        agreement = create_agreement(uow.session, week.principal(week.officer), SUPPLIER_ID, week.rice_id,
                                     Decimal("4.05"), school_today(), school_today() + timedelta(days=30), "HT-2026-07")
        uow.commit()
    as_user(procurement, week.manager)
    assert "HT-2026-07" in text(procurement.get("/orders/new"))
    form = {"agreement_id": str(agreement.id), "agreement-quantity": "2", "agreement-unit": "bag",
            "agreement-destination": "DH1"}
    late = post(procurement, "/orders/agreement", **form,
                **{"agreement-delivery_date": (school_today() + timedelta(days=60)).isoformat()})
    ends = school_today() + timedelta(days=30)
    assert late.status_code == 422 and f"晚于协议截止日期（{ends}）" in text(late) and 'value="2"' in text(late)
    ordered = post(procurement, "/orders/agreement", **form,
                   **{"agreement-delivery_date": (school_today() + timedelta(days=2)).isoformat()})
    assert ordered.status_code == 302
    assert "¥202.50" in text(procurement.get(ordered.headers["Location"]))  # 50 kg × ¥4.05


def test_the_orders_list_filters_by_state(procurement, week):
    as_user(procurement, week.manager)
    assert "食用油" not in text(procurement.get("/orders?state=draft"))
    listed = text(procurement.get("/orders?state=pending_approval"))
    assert "PO-" in listed and "¥13,000.00" in listed
    assert procurement.get("/orders?state=nonsense").status_code == 422


# --- approver ---------------------------------------------------------------------------------------

def test_the_approvers_queue_shows_the_price_check_of_each_waiting_order(procurement, week):
    body = text(as_user(procurement, week.approver).get("/approvals"))
    assert "待审批订单 (1)" in body and "¥13,000.00" in body
    # oil: reference ¥12.00 (tender), grain and oil may be at most 9 % above it: limit ¥13.08
    assert "¥12.00" in body and "招标价" in body and "最高上浮 9.0%" in body and "¥13.08" in body
    assert "没有需要超限审批的定标" in body


def test_an_approver_approves_an_order_and_a_rejection_needs_a_reason(procurement, week, databases, staff):
    as_user(procurement, week.approver)
    refused = post(procurement, f"/orders/{week.order_id}/reject", reason="")
    assert refused.status_code == 422 and "请说明订单已驳回的理由" in text(refused) and "驳回原因" in text(refused)
    approved = post(procurement, f"/orders/{week.order_id}/approve", reason="")
    assert approved.status_code == 302 and approved.headers["Location"] == "/approvals"
    assert row(databases, PurchaseOrder, week.order_id).state == "approved"
    assert post(procurement, f"/orders/{week.order_id}/approve").status_code == 409


def test_an_override_is_asked_of_the_approver_when_every_quote_is_above_the_limit(procurement, week, databases):
    consumer.apply(databases["procurement"], envelope("quote.submitted", {
        "quote_id": 73, "rfq_id": week.rfq_id, "supplier_id": SUPPLIER_ID,
        "submitted_at": datetime.now(timezone.utc), "valid_until": school_today() + timedelta(days=10),
        "lines": [{"rfq_line_id": row(databases, Rfq, week.rfq_id).lines[0].id, "item_id": week.rice_id,
                   "unit_price": Decimal("4.50")}]}, event_id="replaced-quote"))
    body = text(as_user(procurement, week.approver).get("/approvals"))
    assert "需超限审批的定标 (1)" in body and "所有报价均超过限价" in body


def test_only_an_approver_approves_and_only_finance_pays(procurement, week):
    as_user(procurement, week.officer)
    assert post(procurement, f"/orders/{week.order_id}/approve").status_code == 403
    assert procurement.get("/approvals").status_code == 403
    as_user(procurement, week.approver)
    assert post(procurement, f"/invoices/{week.invoice_id}/payments", amount="1").status_code == 403


# --- procurement officer ------------------------------------------------------------------------------

def test_an_officer_approves_a_requisition_and_consolidates_it_into_a_plan(procurement, week, databases):
    as_user(procurement, week.manager)
    post(procurement, f"/requisitions/{week.draft_requisition_id}/submit")
    as_user(procurement, week.officer)
    assert post(procurement, f"/requisitions/{week.draft_requisition_id}/approve").status_code == 302
    start, end = school_today(), school_today() + timedelta(days=20)
    consolidated = post(procurement, "/plans", window_start=start.isoformat(), window_end=end.isoformat(),
                        window_days="7")
    assert consolidated.status_code == 302
    body = text(procurement.get(consolidated.headers["Location"]))
    assert "大豆油" in body and "20.000 L" in body and "第一食堂" in body


def test_a_consolidation_with_its_window_backwards_says_why_and_keeps_the_dates(procurement, week):
    as_user(procurement, week.officer)
    refused = post(procurement, "/plans", window_start="2026-12-10", window_end="2026-12-01", window_days="7")
    assert refused.status_code == 422
    assert 'value="2026-12-10"' in text(refused) and 'value="2026-12-01"' in text(refused)


def test_an_officer_issues_an_rfq_with_a_deadline_in_the_schools_time(procurement, week, databases):
    as_user(procurement, week.officer)
    with databases["procurement"].unit_of_work() as uow:
        uow.session.get(Rfq, week.rfq_id).state = "cancelled"  # frees the plan line for a new request
        uow.commit()
    plan_line_id = row(databases, Rfq, week.rfq_id).lines[0].plan_line_id
    past = post(procurement, f"/plans/{week.plan_id}/rfqs", plan_line_ids=str(plan_line_id), title="第二次询价",
                quote_deadline="2020-01-01T10:00")
    assert past.status_code == 422 and 'value="第二次询价"' in text(past) and "checked" in text(past)
    issued = post(procurement, f"/plans/{week.plan_id}/rfqs", plan_line_ids=str(plan_line_id), title="第二次询价",
                  quote_deadline=f"{school_today() + timedelta(days=2)}T10:00")
    assert issued.status_code == 302
    with databases["procurement"].unit_of_work() as uow:
        rfq = uow.session.scalar(select(Rfq).where(Rfq.title == "第二次询价"))
        assert rfq.quote_deadline.astimezone(timezone.utc).hour == 2  # 10:00 in Shanghai


def test_an_officer_compares_quotes_and_awards_the_lowest_then_raises_the_orders(procurement, week, databases):
    as_user(procurement, week.officer)
    page = text(procurement.get(f"/rfqs/{week.rfq_id}"))
    assert page.index("¥4.10") < page.index("¥4.60") and "限价内最低" in page and "超过限价" in page
    [line] = row(databases, Rfq, week.rfq_id).lines
    lowest = re.search(rf'name="award-{line.id}-quote_line_id" value="(\d+)"\s+checked', page).group(1)
    awarded = post(procurement, f"/rfqs/{week.rfq_id}/award", **{f"award-{line.id}-quote_line_id": lowest})
    assert awarded.status_code == 302 and row(databases, Rfq, week.rfq_id).state == "awarded"
    ordered = post(procurement, f"/rfqs/{week.rfq_id}/orders")
    assert ordered.status_code == 302
    assert "PO-" in text(procurement.get(ordered.headers["Location"]))
    assert row(databases, Rfq, week.rfq_id).state == "ordered"


def test_an_award_that_is_not_the_lowest_needs_a_reason_and_above_the_limit_an_approver(procurement, week, databases):
    [line] = row(databases, Rfq, week.rfq_id).lines
    page = text(as_user(procurement, week.officer).get(f"/rfqs/{week.rfq_id}"))
    offered = re.findall(rf'name="award-{line.id}-quote_line_id" value="(\d+)"', page)
    dearer = offered[-1]  # ¥4.60, above the ¥4.36 limit
    refused = post(procurement, f"/rfqs/{week.rfq_id}/award", **{f"award-{line.id}-quote_line_id": dearer,
                                                                   f"award-{line.id}-reason": "质量更好"})
    assert refused.status_code == 403 and "只能由审批人接受" in text(refused) and "质量更好" in text(refused)
    as_user(procurement, week.approver)
    unexplained = post(procurement, f"/rfqs/{week.rfq_id}/award", **{f"award-{line.id}-quote_line_id": dearer})
    assert unexplained.status_code == 422 and "请说明选择理由" in text(unexplained)
    overridden = post(procurement, f"/rfqs/{week.rfq_id}/award", **{
        f"award-{line.id}-quote_line_id": dearer, f"award-{line.id}-reason": "质量更好",
        f"award-{line.id}-override_reason": "校长办公会同意"})
    assert overridden.status_code == 302
    assert "校长办公会同意" in text(procurement.get(f"/rfqs/{week.rfq_id}"))


# --- finance ----------------------------------------------------------------------------------------

def test_finance_sees_a_disputed_invoice_with_its_reasons_and_cannot_pay_it(procurement, week):
    as_user(procurement, week.finance)
    listed = text(procurement.get("/invoices?state=disputed"))
    assert "No.91" in listed and "nothing on it can be invoiced" in listed
    assert "No.91" not in text(procurement.get("/invoices?state=matched"))
    refused = post(procurement, f"/invoices/{week.invoice_id}/payments", amount="100.00",
                   paid_on=school_today().isoformat(), reference="BANK-1")
    assert refused.status_code == 409 and "状态为“有异议”的发票不能付款" in text(refused)


def matched_invoice(procurement, week, databases, school) -> int:
    """The week's oil order approved, sent, received in full and invoiced exactly: a matched invoice."""
    as_user(procurement, week.approver)
    post(procurement, f"/orders/{week.order_id}/approve")
    as_user(procurement, week.officer)
    post(procurement, f"/orders/{week.order_id}/send")
    order = row(databases, PurchaseOrder, week.order_id)
    with databases["procurement"].unit_of_work() as uow:
        line = uow.session.get(PurchaseOrder, week.order_id).lines[0]
        line_id, item_id = line.id, line.item_id
    consumer.apply(databases["procurement"], envelope("goods.received", {
        "receipt_id": 1, "po_id": order.id, "supplier_id": SUPPLIER_ID, "school_id": school.id,
        "location_code": "DH1", "received_at": datetime.now(timezone.utc), "inspectors": ["刘洋", "王敏"],
        "lines": [{"po_line_id": line_id, "item_id": item_id, "accepted_quantity": Decimal("1000"),
                   "rejected_quantity": Decimal("0")}]}))
    consumer.apply(databases["procurement"], envelope("invoice.submitted", {
        "invoice_id": 92, "po_id": order.id, "supplier_id": SUPPLIER_ID, "school_id": school.id,
        "invoice_number": "No.92", "issued_on": date.today(), "total": Decimal("13000.00"),
        "submitted_at": datetime.now(timezone.utc), "receipt_ids": [1],
        "lines": [{"po_line_id": line_id, "quantity": Decimal("1000"), "unit_price": Decimal("13.00")}]}))
    with databases["procurement"].unit_of_work() as uow:
        return uow.session.scalar(select(Invoice.id).where(Invoice.portal_invoice_id == 92))


def test_finance_pays_a_matched_invoice_in_part_and_never_beyond_its_total(procurement, week, databases, school):
    invoice_id = matched_invoice(procurement, week, databases, school)
    as_user(procurement, week.finance)
    page = text(procurement.get(f"/invoices/{invoice_id}"))
    assert "已匹配" in page and 'value="13000.00"' in page
    paid = post(procurement, f"/invoices/{invoice_id}/payments", amount="3000.00",
                paid_on=school_today().isoformat(), reference="BANK-1")
    assert paid.status_code == 302
    assert "已登记付款 ¥3,000.00" in text(procurement.get(paid.headers["Location"]))
    beyond = post(procurement, f"/invoices/{invoice_id}/payments", amount="10000.01",
                  paid_on=school_today().isoformat(), reference="BANK-2")
    assert beyond.status_code == 409 and "10000.00" in text(beyond) and 'value="10000.01"' in text(beyond)


def test_finance_disputes_a_matched_invoice_with_a_reason_and_the_supplier_is_told(
        procurement, week, databases, school):
    invoice_id = matched_invoice(procurement, week, databases, school)
    as_user(procurement, week.finance)
    unexplained = post(procurement, f"/invoices/{invoice_id}/dispute", reason=" ")
    assert unexplained.status_code == 422 and "异议原因" in text(unexplained)
    disputed = post(procurement, f"/invoices/{invoice_id}/dispute", reason="发票抬头有误")
    assert disputed.status_code == 302
    page = text(procurement.get(disputed.headers["Location"]))
    assert "有异议" in page and "发票抬头有误" in page and "登记付款" not in page
    with databases["procurement"].unit_of_work() as uow:
        [told] = [row.payload for row in uow.session.scalars(select(Outbox).where(Outbox.type == "invoice.disputed"))
                  if row.payload["invoice_id"] == 92]
    assert told["reasons"] == ["发票抬头有误"]
    again = post(procurement, f"/invoices/{invoice_id}/dispute", reason="再次")
    assert again.status_code == 409


def test_the_spend_chart_embeds_committed_spend_per_month_and_category(procurement, week):
    as_user(procurement, week.approver)
    post(procurement, f"/orders/{week.order_id}/approve")
    page = text(as_user(procurement, week.finance).get("/spend"))
    chart = json.loads(re.search(r'<script type="application/json" id="spend-data">(.*?)</script>', page,
                                 re.S).group(1))
    month = school_today().strftime("%Y-%m")
    assert chart == {"months": [month], "series": [{"name": "食用油", "values": ["13000.00"]}]}
    assert "¥13,000.00" in page and 'data-chart="spend-data"' in page
    assert procurement.get("/spend?date_from=2026-13-01").status_code == 422


def test_a_manager_may_not_open_finances_pages(procurement, week):
    as_user(procurement, week.manager)
    assert procurement.get("/invoices").status_code == 403
    assert procurement.get("/spend").status_code == 403
    assert post(procurement, "/plans", window_start="2026-12-01", window_end="2026-12-10").status_code == 403
