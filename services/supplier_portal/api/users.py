from shared.auth import require_roles
from shared.idempotency import idempotent
from shared.web import Blueprint, unit_of_work

from ..accounts import add_staff_user, list_users, set_user_active
from ..schemas import NewUserSchema, UserPageSchema, UserQuerySchema, UserSchema
from .common import AUTH, current_principal

blp = Blueprint("users", __name__, url_prefix="/api/users", description="The supplier owner's portal users")


@blp.get("")
@blp.doc(security=AUTH)
@require_roles("supplier_owner")
@blp.arguments(UserQuerySchema, location="query")
@blp.response(200, UserPageSchema)
def index(query):
    with unit_of_work() as uow:
        return list_users(uow.session, current_principal(), **query)


@blp.post("")
@blp.doc(security=AUTH)
@require_roles("supplier_owner")
@idempotent
@blp.arguments(NewUserSchema)
@blp.response(201, UserSchema)
def create(data):
    """Add a staff user to the owner's own supplier."""
    with unit_of_work() as uow:
        user = add_staff_user(uow.session, current_principal(), data["email"], data["display_name"], data["password"])
        uow.commit()
    return user


@blp.post("/<int:user_id>/deactivate")
@blp.doc(security=AUTH)
@require_roles("supplier_owner")
@blp.response(200, UserSchema)
def deactivate(user_id):
    with unit_of_work() as uow:
        user = set_user_active(uow.session, current_principal(), user_id, False)
        uow.commit()
    return user


@blp.post("/<int:user_id>/reactivate")
@blp.doc(security=AUTH)
@require_roles("supplier_owner")
@blp.response(200, UserSchema)
def reactivate(user_id):
    with unit_of_work() as uow:
        user = set_user_active(uow.session, current_principal(), user_id, True)
        uow.commit()
    return user
