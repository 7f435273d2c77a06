"""Units of measure and conversions to an item's base unit.

Standard units convert within their dimension (mass, volume, count); packaging units
(bag, drum, box, ...) are defined per item, e.g. one bag of rice = 25 kg.
"""
from __future__ import annotations

from collections.abc import Mapping
from decimal import Decimal

from .errors import RuleBroken
from .money import to_decimal

# factor to the dimension's reference unit (kg, L, piece)
STANDARD_UNITS: dict[str, tuple[str, Decimal]] = {
    "kg": ("mass", Decimal("1")),
    "g": ("mass", Decimal("0.001")),
    "jin": ("mass", Decimal("0.5")),  # 斤
    "t": ("mass", Decimal("1000")),
    "L": ("volume", Decimal("1")),
    "mL": ("volume", Decimal("0.001")),
    "piece": ("count", Decimal("1")),
}
UNIT_ALIASES = {"斤": "jin", "公斤": "kg", "千克": "kg", "克": "g", "吨": "t", "升": "L", "毫升": "mL",
                "件": "piece", "个": "piece"}
Packaging = Mapping[str, Decimal | str]


class UnitError(RuleBroken):
    """A unit that is unknown or cannot be converted to the item's base unit."""


def canonical(unit: str) -> str:
    return UNIT_ALIASES.get(unit, unit)


def to_base(amount: Decimal | int | str, unit: str, base_unit: str, packaging: Packaging | None = None) -> Decimal:
    """Convert `amount` of `unit` into the item's `base_unit`.

    `packaging` maps an item's own units (bag, drum, ...) to how many base units one holds.
    """
    amount = to_decimal(amount)
    unit, base_unit = canonical(unit), canonical(base_unit)
    if unit == base_unit:
        return amount
    if packaging and unit in packaging:
        return amount * to_decimal(packaging[unit])
    if unit in STANDARD_UNITS and base_unit in STANDARD_UNITS:
        dimension, factor = STANDARD_UNITS[unit]
        base_dimension, base_factor = STANDARD_UNITS[base_unit]
        if dimension == base_dimension:
            return amount * factor / base_factor
        raise UnitError("cannot convert {unit} ({dimension}) to {base_unit} ({base_dimension})", unit=unit,
                        dimension=dimension, base_unit=base_unit, base_dimension=base_dimension)
    raise UnitError("unknown unit {unit!r} for an item counted in {base_unit}", unit=unit, base_unit=base_unit)


def from_base(amount: Decimal | int | str, unit: str, base_unit: str, packaging: Packaging | None = None) -> Decimal:
    """Express `amount` of the base unit in `unit` (the inverse of to_base)."""
    return to_decimal(amount) / to_base(1, unit, base_unit, packaging)
