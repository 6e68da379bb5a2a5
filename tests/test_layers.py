"""The apps' imports point downwards only: a layer may import the layers below it, never above.

Every import statement of every app is read (module-level and inside functions alike, migrations
aside) with `ast`, without importing anything.
"""

import ast
from collections import defaultdict
from pathlib import Path
from typing import NamedTuple

import pytest
from django.conf import settings

ROOT = Path(__file__).resolve().parents[1]
# The project package (settings, URLs, the Celery app): not an app, but at the top.
PROJECT = settings.ROOT_URLCONF.partition(".")[0]

# From the top. An app may import any app of a layer below its own. Within a layer marked
# sideways its apps may import each other as long as they form no cycle; within any other layer
# they may not import each other at all.
LAYERS = [
    ({PROJECT}, False),
    ({"demo"}, False),
    ({"screening", "sessions_app", "safety", "queries", "casebooks", "exports"}, True),
    ({"participants"}, False),
    ({"records"}, False),
    ({"signatures"}, False),
    ({"accounts"}, False),
    ({"audit"}, False),
]
LAYER_OF = {app: index for index, (apps, _) in enumerate(LAYERS) for app in apps}
SIDEWAYS = {index for index, (_, sideways) in enumerate(LAYERS) if sideways}


class Import(NamedTuple):
    file: str  # relative to the repository root
    line: int
    source: str  # the app the file belongs to
    target: str  # the app imported

    def __str__(self) -> str:
        return f"{self.file}:{self.line}: {self.source} -> {self.target}"


def project_apps() -> list[str]:
    """The app folders at the repository root (a folder with an apps.py), and the project."""
    return sorted({path.parent.name for path in ROOT.glob("*/apps.py")} | {PROJECT})


def python_files(app: str):
    for path in sorted((ROOT / app).rglob("*.py")):
        if "migrations" not in path.relative_to(ROOT).parts:
            yield path


def imported_modules(tree: ast.AST):
    """(line, absolute module name) of every import in `tree`, at any depth; relative ones aside."""
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                yield node.lineno, alias.name
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            yield node.lineno, node.module


def imports_between_apps(apps: list[str]) -> list[Import]:
    """Every import, in the apps' files, of another of `apps`."""
    found = []
    for app in apps:
        for path in python_files(app):
            tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
            for line, module in imported_modules(tree):
                target = module.partition(".")[0]
                if target in apps and target != app:
                    found.append(Import(str(path.relative_to(ROOT)), line, app, target))
    return sorted(found)


def _cycles(edges: set[tuple[str, str]]) -> set[tuple[str, str]]:
    """The edges that lie on a cycle of the directed graph `edges`."""
    successors = defaultdict(set)
    for source, target in edges:
        successors[source].add(target)

    def reaches(start, goal):
        seen, todo = set(), [start]
        while todo:
            node = todo.pop()
            if node == goal:
                return True
            if node not in seen:
                seen.add(node)
                todo.extend(successors[node])
        return False

    return {(source, target) for source, target in edges if reaches(target, source)}


def offending(imports: list[Import]) -> list[tuple[Import, str]]:
    """The imports that point upwards, sideways where the layer allows none, or close a cycle."""
    offences = []
    sideways = set()
    for imported in imports:
        source, target = LAYER_OF[imported.source], LAYER_OF[imported.target]
        if target < source:
            offences.append((imported, "upward"))
        elif target == source and source not in SIDEWAYS:
            offences.append((imported, "sideways in a layer that allows none"))
        elif target == source:
            sideways.add((imported.source, imported.target))
    on_cycle = _cycles(sideways)
    offences += [(i, "cycle") for i in imports if (i.source, i.target) in on_cycle]
    return sorted(offences)


def test_every_app_has_a_layer():
    unplaced = [app for app in project_apps() if app not in LAYER_OF]
    assert unplaced == [], f"place these apps in LAYERS of {__file__}: {unplaced}"


def test_imports_are_found_at_every_depth():
    tree = ast.parse(
        "import accounts.models\n"
        "from audit import services\n"
        "from . import forms\n"
        "def view():\n"
        "    from sessions_app.selectors import alert_list\n"
        "    class Inner:\n"
        "        import safety\n"
    )
    assert list(imported_modules(tree)) == [
        (1, "accounts.models"),
        (2, "audit"),
        (5, "sessions_app.selectors"),
        (7, "safety"),
    ]


def test_offences_name_upward_arrows_and_cycles():
    imports = [
        Import("audit/views.py", 3, "audit", "accounts"),
        Import("accounts/x.py", 1, "accounts", "audit"),
        Import("screening/a.py", 1, "screening", "sessions_app"),
        Import("sessions_app/b.py", 2, "sessions_app", "screening"),
        Import("safety/c.py", 1, "safety", "sessions_app"),
    ]
    assert [(str(i), why) for i, why in offending(imports)] == [
        ("audit/views.py:3: audit -> accounts", "upward"),
        ("screening/a.py:1: screening -> sessions_app", "cycle"),
        ("sessions_app/b.py:2: sessions_app -> screening", "cycle"),
    ]


def test_imports_follow_the_layers():
    apps = [app for app in project_apps() if app in LAYER_OF]
    offences = offending(imports_between_apps(apps))
    if offences:
        report = "\n".join(f"  {imported}  ({why})" for imported, why in offences)
        pytest.fail(f"{len(offences)} imports against the layers:\n{report}", pytrace=False)
