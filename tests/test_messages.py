"""Each message the app says is written once: a rule checked by a form and by its service (or by
a model's constraint and its clean()) asks one place for its wording, so that the two can never
drift apart. This walks the source of the project's apps for sentences written more than once.
"""

import ast
from collections import defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
APPS = sorted(path.parent.name for path in ROOT.glob("*/apps.py"))


def _text(node: ast.AST) -> str | None:
    """A string literal, or an f-string with its placeholders as {}."""
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return node.value
    if isinstance(node, ast.JoinedStr):
        return "".join(v.value if isinstance(v, ast.Constant) else "{}" for v in node.values)
    return None


def _is_sentence(text: str) -> bool:
    return len(text) >= 20 and " " in text and text[0].isupper() and text.endswith((".", "?", "!"))


def _docstrings(tree: ast.AST) -> set[int]:
    kinds = (ast.Module, ast.ClassDef, ast.FunctionDef, ast.AsyncFunctionDef)
    found = set()
    for node in ast.walk(tree):
        if isinstance(node, kinds) and node.body and isinstance(node.body[0], ast.Expr):
            found.add(id(node.body[0].value))
    return found


def sentences() -> dict[str, list[str]]:
    """Every sentence written in the apps' code (not docstrings, not migrations): where."""
    where = defaultdict(list)
    for app in APPS:
        for path in sorted((ROOT / app).rglob("*.py")):
            if "migrations" in path.parts:
                continue
            tree = ast.parse(path.read_text())
            skip = _docstrings(tree)
            for node in ast.walk(tree):
                if isinstance(node, ast.JoinedStr):
                    skip.update(id(part) for part in node.values)
            for node in ast.walk(tree):
                text = None if id(node) in skip else _text(node)
                if text and _is_sentence(text.strip()):
                    where[text.strip()].append(f"{path.relative_to(ROOT)}:{node.lineno}")
    return where


def test_the_walk_finds_the_apps_messages():
    found = sentences()
    assert "Say why this record is being changed." in found
    assert len(found) > 100


def test_no_message_is_written_twice():
    twice = {text: places for text, places in sentences().items() if len(places) > 1}
    assert twice == {}, "\n".join(f"{text!r}: {', '.join(p)}" for text, p in twice.items())
