"""The supplier's pages about itself: licences on file (upload), its profile and password, its users
(the owner's), and the six-unifications checklist of a campus-store supplier (declare with evidence).

The same domain functions and schemas as the API; a refused form comes back with the reason and
what was typed (shared.pages.refused_renders).
"""
from __future__ import annotations

from datetime import timedelta

from flask import flash, redirect, render_template, request, url_for

from shared.i18n import gettext as _
from shared.pages import load_form, page_principal, page_roles, refused_renders
from shared.web import unit_of_work

from .accounts import add_staff_user, change_password, current_user, list_users, set_user_active, supplier_of
from .api.common import SUPPLIER_USERS, today
from .api.documents import MULTIPART_OVERHEAD, store
from .documents import DOCUMENT_KINDS, MAX_DOCUMENT_BYTES, list_documents, upload_document
from .licence_expiry import WARN_DAYS
from .pages import PER_PAGE, blp, page_number
from .registration import update_contact
from .schemas import (
    DeclarationFormSchema,
    DocumentFormSchema,
    NewUserSchema,
    PasswordChangeSchema,
    ProfileUpdateSchema,
)
from .six_unifications import compliance, declare

UPLOADS = ("portal_pages.upload_document_page", "portal_pages.declare_item")


def allow_document_sized_uploads():
    """Registered on the app ahead of the CSRF check, which reads the form (and so the body) first."""
    if request.endpoint in UPLOADS:
        request.max_content_length = MAX_DOCUMENT_BYTES + MULTIPART_OVERHEAD


def _uploaded() -> tuple[str, bytes]:
    upload = request.files.get("file")
    if upload is None:
        return "", b""  # the domain's own check names the missing file
    return upload.filename or "", upload.read(MAX_DOCUMENT_BYTES + 1)


def _fields(*names: str) -> dict:
    return {name: request.form.get(name, "").strip() for name in names}


@blp.get("/documents")
@page_roles(*SUPPLIER_USERS)
def documents():
    principal = page_principal()
    on = today()
    with unit_of_work() as uow:
        return render_template("documents.html", kinds=DOCUMENT_KINDS, today=on,
                               warn_until=on + timedelta(days=WARN_DAYS),
                               page=list_documents(uow.session, principal, page_number(), PER_PAGE))


@blp.post("/documents")
@page_roles(*SUPPLIER_USERS)
@refused_renders(".documents")
def upload_document_page():
    data = load_form(DocumentFormSchema(), _fields("kind", "number", "expires_on"))
    filename, content = _uploaded()
    with unit_of_work() as uow:
        document = upload_document(uow.session, store(), page_principal(), **data, filename=filename, data=content,
                                   today=today())
        uow.commit()
        number = document.number
    flash(_("Licence {number} uploaded; the school will review it.", number=number), "ok")
    return redirect(url_for(".documents"))


@blp.get("/profile")
@page_roles(*SUPPLIER_USERS)
def profile():
    principal = page_principal()
    with unit_of_work() as uow:
        return render_template("profile.html", supplier=supplier_of(uow.session, principal),
                               user=current_user(uow.session, principal))


@blp.post("/profile")
@page_roles("supplier_owner")
@refused_renders(".profile")
def update_profile():
    principal = page_principal()
    data = load_form(ProfileUpdateSchema(), _fields("address", "contact_name", "contact_phone"))
    with unit_of_work() as uow:
        update_contact(uow.session, principal, principal.supplier_id, data)
        uow.commit()
    flash(_("Company details saved."), "ok")
    return redirect(url_for(".profile"))


@blp.post("/profile/password")
@page_roles(*SUPPLIER_USERS)
@refused_renders(".profile")
def change_own_password():
    data = load_form(PasswordChangeSchema(), {name: request.form.get(name, "")
                                              for name in ("current_password", "new_password")})
    with unit_of_work() as uow:
        change_password(uow.session, page_principal(), data["current_password"], data["new_password"])
        uow.commit()
    flash(_("Your password was changed."), "ok")
    return redirect(url_for(".profile"))


@blp.get("/users")
@page_roles("supplier_owner")
def users():
    with unit_of_work() as uow:
        return render_template("users.html", page=list_users(uow.session, page_principal(), page_number(), PER_PAGE))


@blp.post("/users")
@page_roles("supplier_owner")
@refused_renders(".users")
def add_user():
    data = load_form(NewUserSchema(), {**_fields("email", "display_name"),
                                       "password": request.form.get("password", "")})
    with unit_of_work() as uow:
        user = add_staff_user(uow.session, page_principal(), data["email"], data["display_name"], data["password"])
        uow.commit()
        email = user.email
    flash(_("{email} may now sign in as your staff.", email=email), "ok")
    return redirect(url_for(".users"))


@blp.post("/users/<int:user_id>/deactivate")
@page_roles("supplier_owner")
@refused_renders(".users")
def deactivate_user(user_id):
    return _set_active(user_id, False)


@blp.post("/users/<int:user_id>/reactivate")
@page_roles("supplier_owner")
@refused_renders(".users")
def reactivate_user(user_id):
    return _set_active(user_id, True)


def _set_active(user_id: int, active: bool):
    with unit_of_work() as uow:
        user = set_user_active(uow.session, page_principal(), user_id, active)
        uow.commit()
        email = user.email
    flash(_("{email} was reactivated.", email=email) if active else _("{email} was deactivated.", email=email), "ok")
    return redirect(url_for(".users"))


@blp.get("/six-unifications")
@page_roles(*SUPPLIER_USERS)
def six_unifications():
    principal = page_principal()
    with unit_of_work() as uow:
        return render_template("six_unifications.html",
                               checklist=compliance(uow.session, principal, principal.supplier_id))


@blp.post("/six-unifications")
@page_roles(*SUPPLIER_USERS)
@refused_renders(".six_unifications")
def declare_item():
    data = load_form(DeclarationFormSchema(), _fields("item", "statement"))
    filename, content = _uploaded()
    with unit_of_work() as uow:
        declare(uow.session, store(), page_principal(), data["item"], data["statement"], filename, content)
        uow.commit()
    flash(_("Declaration sent; the school will assess it."), "ok")
    return redirect(url_for(".six_unifications"))
