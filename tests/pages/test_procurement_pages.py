"""Procurement's pages through the test client: sign-in, CSRF, forms that keep what was typed."""
import re

from sqlalchemy import select

from services.procurement.models import SupplierInvitation


def csrf_of(response) -> str:
    return re.search(r'name="csrf_token" value="([^"]+)"', response.get_data(as_text=True)).group(1)


def sign_in(client, staff, *roles):
    user, _ = staff(*roles)
    page = client.get("/login")
    response = client.post("/login", data={"username": user.username, "password": "correct horse battery staple",
                                            "csrf_token": csrf_of(page)})
    assert response.status_code == 302, response.get_data(as_text=True)
    return user


def test_a_page_sends_an_anonymous_visitor_to_sign_in_and_back(procurement, staff):
    response = procurement.get("/supplier-invitations")
    assert response.status_code == 302
    assert response.headers["Location"].startswith("/login?next=/supplier-invitations")
    user, _ = staff("procurement_officer")
    page = procurement.get("/login")
    signed_in = procurement.post("/login?next=/supplier-invitations", data={
        "username": user.username, "password": "correct horse battery staple", "csrf_token": csrf_of(page)})
    assert signed_in.headers["Location"] == "/supplier-invitations"


def test_sign_in_refuses_a_wrong_password_in_chinese_by_default(procurement, staff):
    user, _ = staff("procurement_officer")
    page = procurement.get("/login")
    assert "<title>登录" in page.get_data(as_text=True)
    response = procurement.post("/login", data={"username": user.username, "password": "wrong",
                                                "csrf_token": csrf_of(page)})
    assert response.status_code == 401
    assert 'value="' + user.username + '"' in response.get_data(as_text=True)


def test_sign_in_never_redirects_to_another_host(procurement, staff):
    user, _ = staff("procurement_officer")
    page = procurement.get("/login")
    response = procurement.post("/login?next=//evil.example/x", data={
        "username": user.username, "password": "correct horse battery staple", "csrf_token": csrf_of(page)})
    assert response.headers["Location"] == "/"


def test_a_form_without_the_csrf_token_is_refused(procurement, staff):
    sign_in(procurement, staff, "procurement_officer")
    response = procurement.post("/supplier-invitations", data={"company_name": "某公司"})
    assert response.status_code == 403
    assert "表单已过期" in response.get_data(as_text=True)


def test_a_buyer_invites_a_supplier_from_the_page(procurement, staff, databases):
    sign_in(procurement, staff, "procurement_officer")
    page = procurement.get("/supplier-invitations")
    response = procurement.post("/supplier-invitations", data={
        "company_name": "河北蔬菜合作社", "contact_email": "veg@example.cn", "categories": ["vegetables"],
        "csrf_token": csrf_of(page)}, follow_redirects=True)
    body = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "已邀请 河北蔬菜合作社" in body and "蔬菜" in body
    with databases["procurement"].unit_of_work() as uow:
        assert uow.session.scalar(select(SupplierInvitation.company_name)) == "河北蔬菜合作社"


def test_an_invalid_invitation_keeps_what_was_typed_and_says_why(procurement, staff):
    sign_in(procurement, staff, "procurement_officer")
    page = procurement.get("/supplier-invitations")
    response = procurement.post("/supplier-invitations", data={
        "company_name": "河北蔬菜合作社", "contact_email": "not-an-email", "csrf_token": csrf_of(page)})
    body = response.get_data(as_text=True)
    assert response.status_code == 422
    assert 'value="河北蔬菜合作社"' in body and 'value="not-an-email"' in body
    assert body.count('class="error"') >= 2  # the email and the missing categories
    assert 'role="alert"' in body and "部分内容填写有误" in body


def test_a_refused_invitation_keeps_the_ticked_categories(procurement, staff):
    sign_in(procurement, staff, "procurement_officer")
    page = procurement.get("/supplier-invitations")
    response = procurement.post("/supplier-invitations", data={
        "company_name": "", "contact_email": "veg@example.cn", "categories": ["coal"], "csrf_token": csrf_of(page)})
    body = response.get_data(as_text=True)
    assert response.status_code == 422
    assert re.search(r'value="coal"\s+checked', body) and not re.search(r'value="vegetables"\s+checked', body)


def test_a_canteen_manager_cannot_open_the_invitations_page(procurement, staff):
    sign_in(procurement, staff, "canteen_manager")
    response = procurement.get("/supplier-invitations")
    assert response.status_code == 403
    assert "您没有权限" in response.get_data(as_text=True)


def test_the_language_can_be_switched_to_english(procurement, staff):
    sign_in(procurement, staff, "procurement_officer")
    page = procurement.get("/supplier-invitations")
    procurement.post("/language", data={"lang": "en", "next": "/supplier-invitations", "csrf_token": csrf_of(page)})
    body = procurement.get("/supplier-invitations").get_data(as_text=True)
    assert "<title>Supplier invitations" in body and "Send invitation" in body


def test_the_session_cookie_is_http_only_and_same_site(procurement, staff):
    user, _ = staff("procurement_officer")
    page = procurement.get("/login")
    response = procurement.post("/login", data={"username": user.username, "password": "correct horse battery staple",
                                                "csrf_token": csrf_of(page)})
    cookie = response.headers["Set-Cookie"]
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie
