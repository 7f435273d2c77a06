"""Translations: English message ids, a JSON catalogue per language (zh-CN is the default).

Catalogues live in `shared/translations/` and in each service's `translations/` folder; a
message missing from the zh-CN catalogues fails the catalogue test, so pages never show
an untranslated string to a Chinese user.
"""
from __future__ import annotations

import json
from functools import cache
from pathlib import Path

from flask import current_app, has_request_context, request, session

from .errors import Message

LANGUAGES = {"zh-CN": "中文", "en": "English"}
DEFAULT_LANGUAGE = "zh-CN"
SHARED_TRANSLATIONS = Path(__file__).parent / "translations"


@cache
def load_catalogue(folders: tuple[Path, ...], language: str) -> dict[str, str]:
    catalogue: dict[str, str] = {}
    for folder in folders:
        path = folder / f"{language}.json"
        if path.exists():
            catalogue.update(json.loads(path.read_text(encoding="utf-8")))
    return catalogue


def current_language() -> str:
    if has_request_context():
        chosen = session.get("lang")
        if chosen in LANGUAGES:
            return chosen
        best = request.accept_languages.best_match(["zh-CN", "zh", "en"])
        if best == "en":
            return "en"
    return DEFAULT_LANGUAGE


def translation_folders() -> tuple[Path, ...]:
    return (SHARED_TRANSLATIONS, Path(current_app.root_path) / "translations")


def gettext(message: str, **values) -> str:
    language = current_language()
    if language == "en":
        text = message
    else:
        catalogue = load_catalogue(translation_folders(), language)
        text = catalogue.get(message, message)
        if message not in catalogue and current_app.testing:
            # tests read this to prove a rendered page showed no untranslated message
            current_app.extensions.setdefault("untranslated", set()).add(message)
    return text.format(**values) if values else text


def gettext_refusal(template: str, **values) -> str:
    """A refusal's message template (shared/errors.py) in the reader's language.

    Values the catalogue knows are the suite's own words (states, actions, categories) and are
    translated too; names, numbers and codes are not in it and stay as they are.
    """
    language = current_language()
    catalogue = load_catalogue(translation_folders(), language) if language != "en" else {}
    values = {name: gettext_refusal(value.template, **value.values) if isinstance(value, Message)
              else catalogue.get(value, value) if isinstance(value, str) else value for name, value in values.items()}
    return gettext(template, **values)
