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
    from shared.errors import Conflict, InvalidInput

    assert Conflict(template, **values).detail == template.format(**values)
    refused = InvalidInput("lines.0.needed_by", template, **values)
    assert refused.detail == f"lines.0.needed_by: {template.format(**values)}"
    assert refused.errors == {"lines.0.needed_by": [template.format(**values)]}
