"""Procurement's pages in a real headless Chromium, walked by each role in turn: the canteen manager
(menu → requisition), the approver (queue with the price check → approve), the procurement officer
(consolidate → RFQ comparison → award → orders) and finance (invoices → spend chart). Every page has
a title and labelled fields; screenshots are kept under test-artifacts/."""
from datetime import timedelta

import pytest
from sqlalchemy import select

from services.procurement.accounts import create_staff_user
from services.procurement.models import School
from tests.browser import chromium_page, live_services
from tests.pages.purchasing import school_today, seed_purchasing

pytestmark = [pytest.mark.e2e]
PASSWORD = "browser password"
UNLABELLED = """() => [...document.querySelectorAll('input:not([type=hidden]), select, textarea')]
    .filter(f => !(f.labels && f.labels.length) && !f.getAttribute('aria-label')).map(f => f.name)"""


def suite_staff(suite):
    """staff(role) as the page tests call it, making real accounts with a password in the suite's school."""
    database = suite.database("procurement")

    def make(role):
        with database.unit_of_work() as uow:
            school_id = uow.session.scalar(select(School.id).where(School.name == "端到端测试学校"))
            user = create_staff_user(uow.session, school_id, f"browser-{role}", "浏览器测试", PASSWORD, [role])
            uow.commit()
        return user, None

    return make


class Walk:
    def __init__(self, page, base, artifacts):
        self.page, self.base, self.artifacts, self.shots = page, base, artifacts, 0

    def sign_in(self, username):
        if self.page.locator("button", has_text="退出").count():
            self.page.get_by_role("button", name="退出").click()
        self.page.goto(self.base + "/login")
        self.page.get_by_label("用户名").fill(username)
        self.page.get_by_label("密码").fill(PASSWORD)
        self.page.get_by_role("button", name="登录").click()
        self.page.wait_for_url(self.base + "/")

    def open(self, path):
        self.page.goto(self.base + path)
        return self.check()

    def check(self, name=None):
        """The page has a title and labelled fields; a screenshot of it is kept."""
        title = self.page.title()
        assert title.split("·")[0].strip(), f"{self.page.url} has no title"
        assert self.page.evaluate(UNLABELLED) == [], f"{self.page.url} has unlabelled fields"
        self.shots += 1
        slug = name or self.page.url.removeprefix(self.base).strip("/").replace("/", "-") or "home"
        self.page.screenshot(path=self.artifacts / f"{self.shots:02d}-{slug.split('?')[0]}.png", full_page=True)
        return title


def test_manager_approver_officer_and_finance_walk_their_pages(suite, artifacts):
    week = seed_purchasing({"procurement": suite.database("procurement")}, suite_staff(suite))
    with live_services(suite.settings, ["procurement", "inventory"]) as urls, chromium_page() as page:
        walk = Walk(page, urls["procurement"], artifacts)

        walk.sign_in("browser-canteen_manager")
        walk.open("/menus")
        page.locator(f'a[href="/menus/{week.menu_id}"]').click()
        assert "周菜单" in walk.check("menu")
        assert page.get_by_text("5 × bag (125 kg)").count() == 1  # asked inventory: nothing in stock
        walk.open(f"/requisitions/{week.draft_requisition_id}")
        page.get_by_label("数量 (大豆油)").fill("6")
        page.get_by_role("button", name="保存明细").click()
        page.wait_for_selector("text=申购单明细已保存")
        page.get_by_role("button", name="提交审批").click()
        page.wait_for_selector("#requisition-state:has-text('已提交')")
        walk.check("requisition-submitted")

        walk.sign_in("browser-approver")
        walk.open("/approvals")
        assert page.get_by_text("待审批订单 (1)").count() == 1 and page.get_by_text("¥13.08").count() >= 1
        page.set_viewport_size({"width": 390, "height": 844})
        walk.check("approvals-on-a-phone")
        page.set_viewport_size({"width": 1200, "height": 800})
        page.get_by_role("link", name="审批 ›").click()
        page.locator("#f-approve-reason").fill("价格在限价内，同意")
        page.get_by_role("button", name="批准").click()
        page.wait_for_selector("text=没有待审批的订单")
        walk.check("approved")

        walk.sign_in("browser-procurement_officer")
        walk.open(f"/requisitions/{week.draft_requisition_id}")
        page.get_by_role("button", name="批准").click()
        page.wait_for_selector("#requisition-state:has-text('已批准')")
        walk.open("/plans")
        page.get_by_label("需用日期至").fill((school_today() + timedelta(days=30)).isoformat())
        page.get_by_role("button", name="汇总").click()
        page.wait_for_selector("text=已汇总为集中采购计划")
        walk.check("plan")
        walk.open(f"/rfqs/{week.rfq_id}")
        assert page.get_by_text("限价内最低", exact=True).count() == 1
        page.get_by_role("button", name="定标").click()
        page.wait_for_selector("text=询价单已定标")
        page.get_by_role("button", name="生成采购订单").click()
        page.wait_for_selector("text=已根据定标生成订单草稿")
        walk.check("orders-from-award")

        walk.sign_in("browser-finance")
        walk.open("/invoices?state=disputed")
        page.get_by_role("link", name="No.91").click()
        page.wait_for_selector("#invoice-state:has-text('有异议')")
        walk.check("disputed-invoice")
        walk.open("/spend")
        page.wait_for_selector("svg.bars rect")
        assert page.locator("svg.bars text", has_text="食用油").count() == 1
        walk.check("spend-chart")
        page.select_option("#lang", "en")
        page.wait_for_selector("text=Spend by category per month")
        walk.check("spend-chart-in-english")
