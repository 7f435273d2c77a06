"""Input that would crash before or after validation is refused up front with a 4xx."""
from __future__ import annotations

import json
import re

from flask import request

from .errors import DomainError, InvalidInput

# NUL, which PostgreSQL cannot store in text, and unpaired surrogates, which are not UTF-8 at all.
_UNSTORABLE = re.compile("[\x00\ud800-\udfff]")


def _unstorable_field(body) -> str | None:
    """The top-level field (or "_schema") holding text no database stores, if any."""
    stack = list(body.items()) if isinstance(body, dict) else [("_schema", body)]
    while stack:  # iterative: the body may nest as deep as the parser allowed
        field, item = stack.pop()
        if isinstance(item, str):
            if _UNSTORABLE.search(item) or _UNSTORABLE.search(field):
                return field
        elif isinstance(item, dict):
            stack.extend((field, part) for pair in item.items() for part in pair)
        elif isinstance(item, list):
            stack.extend((field, part) for part in item)
    return None


def refuse_unsafe_input() -> None:
    """Refuse what would crash before or after validation instead of answering 500: JSON nested
    deeper than the parser's recursion limit or with integers over Python's 4300-digit limit
    (webargs catches only JSONDecodeError), and text no database stores."""
    # Multipart bodies are left to their route, which may allow a larger body than the default.
    form = request.form.items(multi=True) if request.mimetype == "application/x-www-form-urlencoded" else []
    for name, value in [*request.args.items(multi=True), *form]:
        if _UNSTORABLE.search(name) or _UNSTORABLE.search(value):
            raise InvalidInput(name, "Text may not contain NUL characters or unpaired surrogates.")
    if not request.is_json:
        return
    raw = request.get_data(cache=True)
    if not raw.strip():
        return
    try:
        body = json.loads(raw)
    except (ValueError, RecursionError):  # JSONDecodeError and UnicodeDecodeError are ValueErrors
        raise DomainError("The body is not valid JSON", {"json": ["Invalid JSON body."]}) from None
    # NUL and lone surrogates reach JSON text only as \u escapes (control characters and invalid
    # UTF-8 are refused by the parser), or in a UTF-16/32 body, whose bytes hold NULs
    field = _unstorable_field(body) if b"\\u" in raw or b"\x00" in raw else None
    if field is not None:
        raise InvalidInput(field, "Text may not contain NUL characters or unpaired surrogates.")
