from .agreements import blp as agreements_blp
from .auth import blp as auth_blp
from .catalogue import blp as catalogue_blp
from .invitations import blp as invitations_blp
from .invoices import blp as invoices_blp
from .menus import blp as menus_blp
from .orders import blp as orders_blp
from .plans import blp as plans_blp
from .reports import blp as reports_blp
from .requisitions import blp as requisitions_blp
from .rfqs import blp as rfqs_blp
from .staff import blp as staff_blp

BLUEPRINTS = [auth_blp, staff_blp, invitations_blp, catalogue_blp, requisitions_blp, menus_blp, plans_blp, rfqs_blp,
              orders_blp, invoices_blp, agreements_blp, reports_blp]
