"""marshmallow fields for money and quantities: Decimal in, Decimal out, strings in JSON."""
from __future__ import annotations

from decimal import Decimal, InvalidOperation

from marshmallow import ValidationError, fields, validate


class ExactDecimal(fields.Decimal):
    """A Decimal with at most `places` decimals: extra precision is refused, never rounded away.

    A JSON number arrives as a float; it is read by its shortest repr ("1.1", not
    1.100000000000000088…), which is what the client wrote.
    """

    def __init__(self, places: int, **kwargs):
        super().__init__(places=places, as_string=True, allow_nan=False, **kwargs)
        self.decimal_places = places

    def _deserialize(self, value, attr, data, **kwargs):
        if isinstance(value, bool):
            raise ValidationError("Not a valid number.")
        if isinstance(value, float):
            value = repr(value)
        try:
            exact = Decimal(str(value).strip())
        except (InvalidOperation, ValueError):
            raise ValidationError("Not a valid number.") from None
        if exact.is_finite() and exact.as_tuple().exponent < -self.decimal_places:
            raise ValidationError(f"At most {self.decimal_places} decimal places.")
        return super()._deserialize(value, attr, data, **kwargs)


def Money(*, positive: bool = False, **kwargs) -> ExactDecimal:
    """Yuan to the fen, e.g. "12.50"; never a float."""
    kwargs.setdefault("validate", validate.Range(min=Decimal("0.01") if positive else Decimal("0"),
                                                 max=Decimal("999999999999.99")))
    return ExactDecimal(2, **kwargs)


def Quantity(*, positive: bool = False, **kwargs) -> ExactDecimal:
    """A quantity to the thousandth of its unit, e.g. "25.000"."""
    kwargs.setdefault("validate", validate.Range(min=Decimal("0.001") if positive else Decimal("0"),
                                                 max=Decimal("999999999999.999")))
    return ExactDecimal(3, **kwargs)
