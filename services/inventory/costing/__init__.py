"""Meal-cost accounting (伙食成本核算): accounts per dining hall and period, the monthly statement with
its sign-offs, finance exports. DESIGN.md assigns it to inventory; it reads inventory's ledger
and keeps its own tables on inventory's `Base`."""
