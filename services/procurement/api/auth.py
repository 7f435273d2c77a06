from shared.auth import issue_token
from shared.web import Blueprint, settings, unit_of_work

from ..accounts import authenticate
from ..schemas import LoginSchema, TokenSchema

blp = Blueprint("auth", __name__, url_prefix="/api/auth", description="Staff sign-in")


@blp.post("/login")
@blp.arguments(LoginSchema)
@blp.response(200, TokenSchema)
def login(credentials):
    with unit_of_work() as uow:
        try:
            principal = authenticate(uow.session, credentials["username"], credentials["password"])
        finally:
            uow.commit()  # failed attempts are counted even when sign-in is refused
    config = settings()
    return {"access_token": issue_token(principal, config.secret_key, config.token_ttl_seconds),
            "token_type": "Bearer", "expires_in": config.token_ttl_seconds}
