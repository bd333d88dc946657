"""Search behind one interface: nothing outside app/search imports more than its face.

Walks every import in ``app/`` (top-level and inside functions) with ``ast``. Code outside
``app/search`` may import ``app.search.interface`` (and its names) and nothing else of the
package, so another engine can stand behind ``SearchService`` later.
"""

from __future__ import annotations

import ast
from pathlib import Path

import app as app_package
from app.search import interface
from app.search.interface import SearchService, service
from app.search.service import WhooshSearch

APP = Path(app_package.__file__).resolve().parent
SEARCH = APP / "search"
ALLOWED = "app.search.interface"


def _module(path: Path) -> str:
    parts = path.relative_to(APP.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def imported_modules(source: str, package: str) -> set[str]:
    """Every module some source imports: ``from a import b`` counts as ``a.b`` (b may be a
    module); relative imports are read from ``package``, the package the source is in."""
    tree = ast.parse(source)
    found: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.split(".")[: len(package.split(".")) - node.level + 1]
                base = ".".join([*anchor, base] if base else anchor)
            found.update(f"{base}.{alias.name}" for alias in node.names)
    return found


def _search_imports_outside() -> set[tuple[str, str]]:
    out = set()
    for path in sorted(APP.rglob("*.py")):
        if SEARCH in path.parents:
            continue
        module = _module(path)
        package = module if path.name == "__init__.py" else module.rpartition(".")[0]
        for name in imported_modules(path.read_text(encoding="utf-8"), package):
            if name != "app.search" and not name.startswith("app.search."):
                continue
            if name == ALLOWED or name.startswith(ALLOWED + "."):
                continue
            out.add((str(path.relative_to(APP.parent)), name.rsplit(".", 1)[0]))
    return out


def test_nothing_outside_search_imports_more_than_its_interface():
    wrong = _search_imports_outside()
    assert not wrong, f"import app.search.interface instead: {sorted(wrong)}"


def test_the_walk_sees_every_kind_of_import():
    """The walker itself: plain, from, relative and late imports are all found."""
    source = (
        "import app.search.engine\n"
        "from app import search\n"
        "from app.search.interface import Results\n"
        "def late():\n"
        "    from ..search import vocab\n"
    )
    assert imported_modules(source, "app.public") == {
        "app.search.engine",
        "app.search",
        "app.search.interface.Results",
        "app.search.vocab",
    }


def test_the_whoosh_service_is_the_interface(app):
    """The app's service is the Whoosh one, and it has every method the protocol names."""
    with app.app_context():
        engine = service()
    assert isinstance(engine, WhooshSearch)
    wanted = {
        name
        for name, value in vars(SearchService).items()
        if callable(value) and not name.startswith("_")
    }
    assert {"search", "suggest", "apply", "rebuild", "verify", "clone_from"} <= wanted
    assert all(callable(getattr(engine, name, None)) for name in wanted)
    assert set(interface.__all__) <= set(dir(interface))
