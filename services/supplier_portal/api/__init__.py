from .auth import blp as auth_blp
from .deliveries import blp as deliveries_blp
from .documents import blp as documents_blp
from .invoices import blp as invoices_blp
from .notifications import blp as notifications_blp
from .orders import blp as orders_blp
from .quotations import blp as quotations_blp
from .scorecards import blp as scorecards_blp
from .six_unifications import blp as six_unifications_blp
from .suppliers import blp as suppliers_blp
from .users import blp as users_blp

BLUEPRINTS = [auth_blp, suppliers_blp, users_blp, documents_blp, notifications_blp, orders_blp, quotations_blp,
              deliveries_blp, invoices_blp, six_unifications_blp, scorecards_blp]
