"""The unified social credit code (统一社会信用代码, GB 32100-2015): 18 characters with a check character."""
from __future__ import annotations

CHARSET = "0123456789ABCDEFGHJKLMNPQRTUWXY"  # no I, O, S, V, Z
WEIGHTS = (1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28)


def check_character(body: str) -> str:
    """The 18th character for a 17-character body."""
    total = sum(CHARSET.index(char) * weight for char, weight in zip(body, WEIGHTS, strict=True))
    return CHARSET[(31 - total % 31) % 31]


def credit_code_problem(code: str) -> str | None:
    """Why `code` is not a valid unified social credit code, or None when it is."""
    if len(code) != 18:
        return "must be 18 characters"
    if any(char not in CHARSET for char in code):
        return "may contain only digits and the capital letters used by GB 32100 (no I, O, S, V, Z)"
    if not code[2:8].isdigit():
        return "characters 3 to 8 must be the administrative division code"
    if code[17] != check_character(code[:17]):
        return "the check character does not match"
    return None
