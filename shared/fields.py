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


# Ids are INTEGER columns (32 bits on PostgreSQL); a larger one can name no row, and the drivers
# refuse it with an error instead of finding nothing.
MAX_ROW_ID = 2**31 - 1


def RowId(**kwargs) -> fields.Integer:
    """The id of a row, as a filter or a reference: out of range is invalid input, not a 500."""
    kwargs.setdefault("validate", validate.Range(min=1, max=MAX_ROW_ID))
    return fields.Integer(**kwargs)


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


def decimal_strings(self, field, ret: dict, **kwargs) -> dict:
    """apispec attribute function: a Decimal sent as a string is documented as a decimal string.

    apispec documents it as a number bounded by its Range (with the bounds as strings, which is not
    valid JSON Schema); clients and fuzzers then send and expect floats, which this suite refuses.
    """
    if not isinstance(field, fields.Decimal) or not field.as_string:
        return {}
    for bound in ("minimum", "maximum", "exclusiveMinimum", "exclusiveMaximum"):
        ret.pop(bound, None)
    places = getattr(field, "decimal_places", None) or ""
    return {"type": "string", "pattern": rf"^-?\d+(\.\d{{1,{places}}})?$"}
