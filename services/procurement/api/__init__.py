from .auth import blp as auth_blp
from .catalogue import blp as catalogue_blp
from .invitations import blp as invitations_blp
from .plans import blp as plans_blp
from .requisitions import blp as requisitions_blp

BLUEPRINTS = [auth_blp, invitations_blp, catalogue_blp, requisitions_blp, plans_blp]
