from .auth import blp as auth_blp
from .invitations import blp as invitations_blp

BLUEPRINTS = [auth_blp, invitations_blp]
