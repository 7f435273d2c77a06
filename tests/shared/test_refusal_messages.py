"""Every refusal the domain raises is a literal English template with a zh-CN translation.

Pages show a refusal in the reader's language (shared/errors.py DomainError.translated), so
its message must be a template the catalogue can hold: no f-string, no %, no text built at
run time (a value built at run time is passed into the template instead).
"""
import ast
import json
import string
from pathlib import Path

import pytest

from shared.errors import Conflict, InvalidInput, Message, RuleBroken
from shared.pages import Refusal
from tests.support import REPO

SOURCES = [path for folder in (REPO / "shared", REPO / "services") for path in sorted(folder.rglob("*.py"))
           if "migrations" not in path.parts]
COVERED = [REPO / "shared", REPO / "services"]
MECHANISM = REPO / "shared" / "errors.py"  # builds its Messages from its arguments
# the argument holding the message: InvalidInput(field, message), Message(template, values), others (detail, ...)
MESSAGE_ARGUMENT = {"InvalidInput": 1}


def catalogue(folder: Path) -> dict:
    path = folder / "translations" / "zh-CN.json"
    return json.loads(path.read_text(encoding="utf-8")) if path.exists() else {}


def refusal_classes(trees: dict[Path, ast.Module]) -> tuple[set[str], set[str]]:
    """DomainError, RuleBroken and every class deriving from them, by name; and those taking other
    arguments than a message (their own __init__ passes a template to super().__init__, checked there)."""
    classes = [node for tree in trees.values() for node in ast.walk(tree) if isinstance(node, ast.ClassDef)]
    names, grew = {"DomainError", "RuleBroken"}, True
    while grew:
        found = {node.name for node in classes if any(isinstance(b, ast.Name) and b.id in names for b in node.bases)}
        grew, names = not found <= names, names | found
    own = {node.name for node in classes if node.name in names - {"DomainError", "RuleBroken", "InvalidInput"}
           and any(isinstance(item, ast.FunctionDef) and item.name == "__init__" for item in node.body)}
    return names, own


def enclosing_class(tree: ast.Module, call: ast.Call) -> str | None:
    return next((node.name for node in ast.walk(tree) if isinstance(node, ast.ClassDef)
                 and node.lineno <= call.lineno <= node.end_lineno), None)


def placeholders(template: str) -> set[str]:
    return {name for _, name, _, _ in string.Formatter().parse(template) if name is not None}


def refusals():
    """(where, catalogue folder, call name, message node, keyword names) for every refusal built."""
    trees = {path: ast.parse(path.read_text(encoding="utf-8")) for path in SOURCES}
    names, own_init = refusal_classes(trees)
    wanted = names - own_init | {"Message"}
    for path, tree in trees.items():
        if path == MECHANISM or not any(folder in path.parents for folder in COVERED):
            continue
        relative = path.relative_to(REPO)
        folder = REPO / "shared" if relative.parts[0] == "shared" else REPO / "services" / relative.parts[1]
        for node in ast.walk(tree):
            if not isinstance(node, ast.Call):
                continue
            name = node.func.id if isinstance(node.func, ast.Name) else getattr(node.func, "attr", None)
            if name == "__init__" and ast.unparse(node.func.value) == "super()":
                name = "super().__init__" if enclosing_class(tree, node) in own_init else None
            if name == "at" and isinstance(node.func.value, ast.Name) and node.func.value.id in wanted:
                name = node.func.value.id  # Conflict.at(field, message): one field's refusal
                index = 1
            else:
                index = MESSAGE_ARGUMENT.get(name, 0)
            if (name in wanted or name == "super().__init__") and len(node.args) > index:
                keywords = {k.arg for k in node.keywords} if all(k.arg for k in node.keywords) else None
                yield f"{relative}:{node.lineno}", folder, name, node.args[index], keywords


def test_every_refusal_is_a_literal_template_with_a_chinese_translation():
    shared = catalogue(REPO / "shared")
    problems = []
    for where, folder, name, message, keywords in refusals():
        if (isinstance(message, ast.Attribute) and message.attr == "message"
                or isinstance(message, ast.Name) and message.id == "message"):
            continue  # a Message passed on (exc.message, or one a rule returned): checked where it is built
        if not (isinstance(message, ast.Constant) and isinstance(message.value, str)):
            problems.append(f"{where}: {name} with a message built at run time: {ast.unparse(message)}")
            continue
        template = message.value
        known = {**shared, **catalogue(folder)}
        if template not in known:
            problems.append(f"{where}: no zh-CN translation for {template!r}")
        elif not placeholders(known[template]) <= placeholders(template):
            problems.append(f"{where}: the translation of {template!r} names values the template has not")
        if name != "Message" and keywords is not None and placeholders(template) - keywords:
            problems.append(f"{where}: {template!r} is given no {sorted(placeholders(template) - keywords)}")
    assert problems == []


@pytest.mark.parametrize("template, values", [
    ("{supplier} is suspended and may not receive orders", {"supplier": "Fresh Farm"}),
    ("is in the past", {}),
])
def test_a_template_fills_the_same_english_text_as_before(template, values):
    assert Conflict(template, **values).detail == template.format(**values)
    refused = InvalidInput("lines.0.needed_by", template, **values)
    assert refused.detail == f"lines.0.needed_by: {template.format(**values)}"
    assert refused.errors == {"lines.0.needed_by": [template.format(**values)]}


def test_a_refusal_passed_on_keeps_its_template_and_only_its_field_changes():
    unit = InvalidInput("unit", "unknown unit {unit!r}", unit="tin").within("lines.2")
    assert (unit.detail, unit.errors) == ("lines.2.unit: unknown unit 'tin'", {"lines.2.unit": ["unknown unit 'tin'"]})
    short = Conflict.at("lines.0.quantity", RuleBroken("only {on_hand} on hand", on_hand=3).message)
    assert (short.status, short.detail, str(short)) == (409, "lines.0.quantity: only 3 on hand",
                                                        "lines.0.quantity: only 3 on hand")
    several = InvalidInput.several({"a": [Message("is {x}", {"x": 1})], "b": [Message("is empty", {})]})
    assert several.detail == "a: is 1" and several.errors == {"a": ["is 1"], "b": ["is empty"]}


@pytest.mark.parametrize("language, shown", [
    ("zh-CN", "unit: 未知单位 'tin'（该物资以kg计量）；可用单位：kg, bag"),
    ("en", "unit: unknown unit 'tin' for an item counted in kg; use one of kg, bag"),
])
def test_a_page_shows_a_refusal_and_the_message_it_passes_on_in_the_readers_language(procurement, language, shown):
    unknown = RuleBroken("unknown unit {unit!r} for an item counted in {base_unit}", unit="tin", base_unit="kg")
    refused = InvalidInput("unit", "{problem}; use one of {units}", problem=unknown.message, units="kg, bag")
    with procurement.application.test_request_context(headers={"Accept-Language": language}):
        assert Refusal.of(refused).detail == shown
        assert Refusal.of(Conflict("A {state} invoice cannot be paid", state="disputed")).detail == {
            "zh-CN": "状态为“有异议”的发票不能付款", "en": "A disputed invoice cannot be paid"}[language]
    assert refused.detail == "unit: unknown unit 'tin' for an item counted in kg; use one of kg, bag"
