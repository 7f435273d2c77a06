from .auth import blp as auth_blp
from .catalogue import blp as catalogue_blp
from .invitations import blp as invitations_blp

BLUEPRINTS = [auth_blp, invitations_blp, catalogue_blp]
