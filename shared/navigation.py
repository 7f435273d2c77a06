"""The suite's menu: every service's pages, and who sees them. Labels are message ids."""
from shared.auth import STAFF_ROLES, SUPPLIER_ROLES
from shared.pages import NavEntry

BUYERS = frozenset({"procurement_officer", "admin"})

SUITE_NAV = [
    NavEntry("procurement", "/", "Home", STAFF_ROLES),
    NavEntry("procurement", "/supplier-invitations", "Supplier invitations", BUYERS),
    NavEntry("supplier_portal", "/", "Supplier dashboard", SUPPLIER_ROLES),
    NavEntry("supplier_portal", "/orders", "Orders", SUPPLIER_ROLES),
    NavEntry("supplier_portal", "/rfqs", "Requests for quotation", SUPPLIER_ROLES),
]
