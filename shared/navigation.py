"""The suite's menu: every service's pages, and who sees them. Labels are message ids."""
from shared.auth import STAFF_ROLES, SUPPLIER_ROLES
from shared.pages import NavEntry

BUYERS = frozenset({"procurement_officer", "admin"})

SUITE_NAV = [
    NavEntry("procurement", "/", "Home", STAFF_ROLES),
    NavEntry("procurement", "/supplier-invitations", "Supplier invitations", BUYERS),
    NavEntry("procurement", "/menus", "Menus", frozenset({"canteen_manager", "procurement_officer", "admin"})),
    NavEntry("procurement", "/requisitions", "Requisitions",
             frozenset({"canteen_manager", "store_manager", "procurement_officer", "approver", "admin"})),
    NavEntry("procurement", "/orders", "Purchase orders",
             frozenset({"canteen_manager", "store_manager", "procurement_officer", "approver", "finance", "admin"})),
    NavEntry("procurement", "/approvals", "Approvals", frozenset({"approver"})),
    NavEntry("procurement", "/plans", "Purchase plans", BUYERS),
    NavEntry("procurement", "/rfqs", "Requests for quotation", BUYERS | {"approver"}),
    NavEntry("procurement", "/invoices", "Invoices",
             frozenset({"finance", "procurement_officer", "approver", "admin"})),
    NavEntry("procurement", "/spend", "Spend by category", frozenset({"finance", "approver", "admin"})),
    NavEntry("supplier_portal", "/", "Supplier dashboard", SUPPLIER_ROLES),
    NavEntry("supplier_portal", "/orders", "Orders", SUPPLIER_ROLES),
    NavEntry("supplier_portal", "/rfqs", "Requests for quotation", SUPPLIER_ROLES),
    NavEntry("supplier_portal", "/quotes", "Your quotes", SUPPLIER_ROLES),
    NavEntry("supplier_portal", "/delivery-notes", "Delivery notes", SUPPLIER_ROLES),
    NavEntry("supplier_portal", "/invoices", "Invoices", SUPPLIER_ROLES),
    NavEntry("supplier_portal", "/documents", "Licences on file", SUPPLIER_ROLES),
    NavEntry("supplier_portal", "/six-unifications", "Six unifications", SUPPLIER_ROLES),
    NavEntry("supplier_portal", "/scorecards", "Scorecards", SUPPLIER_ROLES),
    NavEntry("supplier_portal", "/notifications", "Notifications", SUPPLIER_ROLES),
    NavEntry("supplier_portal", "/profile", "Company profile", SUPPLIER_ROLES),
    NavEntry("supplier_portal", "/users", "Portal users", frozenset({"supplier_owner"})),
    # inventory's pages (the same roles as the inventory and costing APIs for each task)
    NavEntry("inventory", "/receiving", "Deliveries due", frozenset({"canteen_manager", "storekeeper", "admin"})),
    NavEntry("inventory", "/issues/new", "Issue to the kitchen",
             frozenset({"canteen_manager", "storekeeper", "admin"})),
    NavEntry("inventory", "/meals-served", "Meals served", frozenset({"canteen_manager", "finance", "admin"})),
    NavEntry("inventory", "/stock", "Stock on hand", frozenset({"storekeeper", "canteen_manager", "admin"})),
    NavEntry("inventory", "/transfers", "Transfers", frozenset({"storekeeper", "admin"})),
    NavEntry("inventory", "/stocktakes", "Stocktakes", frozenset({"storekeeper", "canteen_manager", "admin"})),
    NavEntry("inventory", "/waste", "Waste", frozenset({"storekeeper", "admin"})),
    NavEntry("inventory", "/store", "Campus store", frozenset({"store_manager", "admin"})),
    NavEntry("inventory", "/costing/statements", "Monthly statements",
             frozenset({"finance", "approver", "admin", "supervisor"})),
    NavEntry("inventory", "/costing/entries/income", "Income and spending", frozenset({"finance", "admin"})),
    NavEntry("inventory", "/costing/chart", "Meal cost chart",
             frozenset({"finance", "approver", "admin", "supervisor"})),
    NavEntry("inventory", "/costing/exports", "Finance exports", frozenset({"finance", "admin"})),
]
