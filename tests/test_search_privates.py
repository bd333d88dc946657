"""Tests use search through its public names: no test reaches a private name of app.search.

A private name (one leading underscore) is the module's own business and may change with
any refactor; a test that needs a hook uses a documented test seam (docs/architecture.md,
"Test seams"), which is a public name. This walks every test module that imports from
app.search and refuses an attribute, an import or a ``setattr``/``getattr`` string naming a
private function, class, module global or attribute defined anywhere in app/search.
"""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]

# Private names a test may still reach, each with why. Empty: every hook is a public seam.
ALLOWED: dict[str, str] = {}


def _private(name: str) -> bool:
    return name.startswith("_") and not name.startswith("__")


def _search_privates() -> set[str]:
    """Every private name app/search defines: functions, classes, globals, attributes."""
    names: set[str] = set()
    for path in (ROOT / "app" / "search").rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
                names.add(node.name)
            elif isinstance(node, ast.Name) and isinstance(node.ctx, ast.Store):
                names.add(node.id)
            elif isinstance(node, ast.Attribute) and isinstance(node.ctx, ast.Store):
                names.add(node.attr)
    return {n for n in names if _private(n)}


def _uses_search(tree: ast.Module) -> bool:
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.module:
            if node.module.startswith("app.search"):
                return True
            if node.module == "app" and any(a.name == "search" for a in node.names):
                return True
        if isinstance(node, ast.Import) and any(
            a.name.startswith("app.search") for a in node.names
        ):
            return True
    return False


def _reaches(tree: ast.Module, private: set[str]) -> list[tuple[int, str]]:
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Attribute) and node.attr in private:
            found.append((node.lineno, node.attr))
        elif isinstance(node, ast.ImportFrom) and (node.module or "").startswith("app.search"):
            found += [(node.lineno, a.name) for a in node.names if a.name in private]
        elif isinstance(node, ast.Call) and _named(node.func) in {"setattr", "getattr", "delattr"}:
            found += [
                (node.lineno, arg.value)
                for arg in node.args[1:2]
                if isinstance(arg, ast.Constant) and arg.value in private
            ]
    return found


def _named(func: ast.expr) -> str | None:
    if isinstance(func, ast.Name):
        return func.id
    return func.attr if isinstance(func, ast.Attribute) else None


def test_the_walk_sees_a_private_reach():
    tree = ast.parse(
        "from app import search\nfrom app.search.vocab import _x\n"
        "search._view(1)\nmonkeypatch.setattr(search, '_cache', 1)\n"
    )
    assert _uses_search(tree)
    found = sorted(_reaches(tree, {"_view", "_x", "_cache"}))
    assert found == [(2, "_x"), (3, "_view"), (4, "_cache")]


def test_no_test_reaches_a_private_name_of_search():
    private = _search_privates() - set(ALLOWED)
    assert {"_view", "_load_places", "_cache"} & _search_privates(), "the walk finds privates"
    reached = {}
    for path in sorted((ROOT / "tests").rglob("*.py")):
        if "node_modules" in path.parts:
            continue
        tree = ast.parse(path.read_text(encoding="utf-8"))
        if _uses_search(tree):
            hits = _reaches(tree, private)
            if hits:
                reached[path.relative_to(ROOT).as_posix()] = hits
    assert reached == {}, f"use a public name or a documented test seam: {reached}"
