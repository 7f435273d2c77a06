"""Pages in a real headless Chromium, with screenshots kept as test artifacts."""
import pytest

from tests.browser import chromium_page, live_services

pytestmark = [pytest.mark.e2e]


def test_a_buyer_signs_in_invites_a_supplier_and_sees_it_listed(suite, tmp_path, artifacts):
    with live_services(suite.settings, ["procurement"]) as urls, chromium_page() as page:
        page.goto(urls["procurement"] + "/supplier-invitations")
        assert page.title().startswith("登录")
        page.screenshot(path=artifacts / "01-sign-in.png", full_page=True)
        page.get_by_label("用户名").fill("e2e-buyer")
        page.get_by_label("密码").fill("e2e password")
        page.get_by_role("button", name="登录").click()
        page.wait_for_url("**/supplier-invitations")
        page.get_by_label("企业名称").fill("浏览器测试粮油公司")
        page.get_by_label("联系邮箱").fill("browser@example.cn")
        page.get_by_label("粮油（大宗）").check()
        page.get_by_role("button", name="发送邀请").click()
        page.wait_for_selector("text=已邀请 浏览器测试粮油公司")
        assert page.locator("table").inner_text().count("浏览器测试粮油公司") == 1
        page.screenshot(path=artifacts / "02-invited.png", full_page=True)
        unlabeled = page.evaluate("""() => [...document.querySelectorAll('input:not([type=hidden]), select, textarea')]
            .filter(f => !(f.labels && f.labels.length) && !f.getAttribute('aria-label')).map(f => f.name)""")
        assert unlabeled == []
        page.select_option("#lang", "en")
        page.wait_for_selector("text=Send invitation")
        page.screenshot(path=artifacts / "03-english.png", full_page=True)
