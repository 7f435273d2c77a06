"""Price control (DESIGN.md §5): reference prices and the per-category rule that sets a limit.

A rule is a ceiling (the reference price is the limit), reference × (1 − minimum discount),
or reference × (1 + maximum mark-up). Prices are whole fen, so the limit is the exact value
rounded down to the fen: a price is within the limit exactly when it is ≤ the exact value.
"""
from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import date
from decimal import ROUND_FLOOR, Decimal

from sqlalchemy import bindparam, select
from sqlalchemy.orm import Session

from shared.errors import RuleBroken
from shared.money import FEN, to_decimal

from .models import Item, PriceRule, ReferencePrice

# DESIGN.md §5 defaults: vegetables 30 % below reference, pork 15 %, eggs 5 % (an item rule),
# grain and oil at most 9 % above; coal, seasonings and store goods at the reference as ceiling.
DEFAULT_RULES: dict[str, tuple[str, Decimal]] = {
    "rice": ("max_markup", Decimal("0.09")),
    "flour": ("max_markup", Decimal("0.09")),
    "cooking_oil": ("max_markup", Decimal("0.09")),
    "coal": ("ceiling", Decimal("0")),
    "vegetables": ("min_discount", Decimal("0.30")),
    "meat_eggs": ("min_discount", Decimal("0.15")),
    "seasonings": ("ceiling", Decimal("0")),
    "store_goods": ("ceiling", Decimal("0")),
}


def price_limit(kind: str, reference: Decimal, rate: Decimal = Decimal(0), factor: Decimal = Decimal(1)) -> Decimal:
    """The highest allowed price, in yuan to the fen, for `factor` base units at `reference` each."""
    reference, rate, factor = to_decimal(reference), to_decimal(rate), to_decimal(factor)
    if reference < 0 or factor <= 0:
        raise ValueError("the reference price must not be negative and the factor must be positive")
    if kind == "ceiling":
        exact = reference * factor
    elif kind == "min_discount":
        if not 0 <= rate < 1:
            raise RuleBroken("a minimum discount is a fraction from 0 up to (not including) 1")
        exact = reference * factor * (1 - rate)
    elif kind == "max_markup":
        if rate < 0:
            raise RuleBroken("a maximum mark-up must not be negative")
        exact = reference * factor * (1 + rate)
    else:
        raise ValueError(f"unknown price rule {kind!r}")
    return exact.quantize(FEN, rounding=ROUND_FLOOR)


def validate_rule(kind: str, rate: Decimal) -> None:
    price_limit(kind, Decimal(1), rate)


@dataclass(frozen=True)
class PriceCheck:
    reference: Decimal
    source: str
    kind: str
    rate: Decimal
    limit: Decimal  # per base unit

    def limit_for(self, factor: Decimal) -> Decimal:
        return price_limit(self.kind, self.reference, self.rate, factor)


def current_reference(session: Session, item: Item, on: date) -> ReferencePrice | None:
    """The reference price in force on `on`: the newest one; of two from the same day, the lower."""
    return session.scalars(
        select(ReferencePrice)
        .where(ReferencePrice.item_id == item.id, ReferencePrice.effective_from <= on)
        .order_by(ReferencePrice.effective_from.desc(), ReferencePrice.price, ReferencePrice.id)
        .limit(1)).first()


def rule_for(session: Session, item: Item) -> tuple[str, Decimal]:
    rules = {rule.item_id: (rule.kind, rule.rate) for rule in session.scalars(
        select(PriceRule).where(PriceRule.school_id == item.school_id, PriceRule.category == item.category,
                                (PriceRule.item_id == item.id) | PriceRule.item_id.is_(None)))}
    return _rule_of(item, rules)


def _rule_of(item: Item, category_rules: dict[int | None, tuple[str, Decimal]]) -> tuple[str, Decimal]:
    """An item's own rule, else its category's, else the default (category_rules: by item id, None)."""
    return category_rules.get(item.id) or category_rules.get(None) or DEFAULT_RULES[item.category]


def check_for(session: Session, item: Item, on: date) -> PriceCheck | None:
    """The item's price limit on `on`, or None when it has no reference price yet."""
    return checks_for(session, [item], on)[item.id]


# Built once, bound per call: building a statement costs more than running it on an order's few items.
_REFERENCES = (select(ReferencePrice)
               .where(ReferencePrice.item_id.in_(bindparam("item_ids", expanding=True)),
                      ReferencePrice.effective_from <= bindparam("on"))
               .order_by(ReferencePrice.item_id, ReferencePrice.effective_from.desc(), ReferencePrice.price,
                         ReferencePrice.id))
_RULES = select(PriceRule).where(
    PriceRule.school_id == bindparam("school_id"), PriceRule.category.in_(bindparam("categories", expanding=True)),
    PriceRule.item_id.in_(bindparam("item_ids", expanding=True)) | PriceRule.item_id.is_(None))


def checks_for(session: Session, items: list[Item], on: date) -> dict[int, PriceCheck | None]:
    """`check_for` of several items of one school (the lines of an order) in two queries."""
    by_id = {item.id: item for item in items}
    references: dict[int, ReferencePrice] = {}
    for reference in session.scalars(_REFERENCES, {"item_ids": list(by_id), "on": on}):
        references.setdefault(reference.item_id, reference)  # the first of each item is the one in force
    rules: dict[str, dict] = defaultdict(dict)
    if references:
        for rule in session.scalars(_RULES, {"school_id": items[0].school_id, "item_ids": list(by_id),
                                             "categories": list({item.category for item in items})}):
            rules[rule.category][rule.item_id] = (rule.kind, rule.rate)
    checks: dict[int, PriceCheck | None] = dict.fromkeys(by_id)
    for item_id, reference in references.items():
        item = by_id[item_id]
        kind, rate = _rule_of(item, rules[item.category])
        checks[item_id] = PriceCheck(reference.price, reference.source, kind, rate,
                                     price_limit(kind, reference.price, rate))
    return checks
