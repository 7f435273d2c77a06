"""Every message a page can show has its zh-CN translation."""
import json
import re
from pathlib import Path

import pytest

from shared.auth import STAFF_ROLES, SUPPLIER_ROLES
from shared.events import SUPPLIER_CATEGORIES
from shared.navigation import SUITE_NAV
from tests.support import REPO

MESSAGE = re.compile(r"""\b_\(\s*(["'])(.+?)\1""")


def catalogue(folder: Path) -> dict:
    path = folder / "translations" / "zh-CN.json"
    return json.loads(path.read_text(encoding="utf-8")) if path.exists() else {}


SHARED = catalogue(REPO / "shared")
SERVICES = sorted(p.parent for p in REPO.glob("services/*/__init__.py"))


def messages_in(folder: Path) -> set[str]:
    found = set()
    for path in list(folder.glob("templates/**/*.html")) + list(folder.glob("**/*.py")):  # packages too
        found |= {m.group(2) for m in MESSAGE.finditer(path.read_text(encoding="utf-8"))}
    return found


@pytest.mark.parametrize("folder", [REPO / "shared", *SERVICES], ids=lambda p: p.name)
def test_every_message_in_templates_and_page_code_has_a_chinese_translation(folder):
    known = {**SHARED, **catalogue(folder)}
    missing = sorted(messages_in(folder) - set(known))
    assert missing == []


def test_roles_categories_and_menu_labels_have_chinese_translations():
    names = set(STAFF_ROLES) | set(SUPPLIER_ROLES) | set(SUPPLIER_CATEGORIES) | {e.label for e in SUITE_NAV}
    everything = dict(SHARED)
    for folder in SERVICES:
        everything.update(catalogue(folder))
    assert sorted(names - set(everything)) == []


@pytest.mark.parametrize("folder", [REPO / "shared", *SERVICES], ids=lambda p: p.name)
def test_no_translation_is_left_empty_or_untranslated(folder):
    for message, text in catalogue(folder).items():
        assert text.strip(), message
        assert text != message or not re.search(r"[A-Za-z]{3}", message), f"{message!r} is not translated"
