"""Which module may do what: the transaction boundary, the outbox's one writer, the models.

Read from the source (ast), so a new module that breaks a rule fails here by name.
"""

from __future__ import annotations

import ast
from pathlib import Path

from sqlalchemy import func, select

from app.extensions import db
from app.models import Provider, SearchOutbox
from app.outbox import enqueue, take_written

APP = Path(__file__).resolve().parents[1] / "app"


def _modules(folder: Path = APP):
    for path in sorted(folder.rglob("*.py")):
        yield path, ast.parse(path.read_text(encoding="utf-8"), filename=str(path))


def _imports(tree: ast.AST) -> set[str]:
    names = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.module:
            names.add(node.module)
            names.update(f"{node.module}.{alias.name}" for alias in node.names)
        elif isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
    return names


def _rel(path: Path) -> str:
    return path.relative_to(APP.parent).as_posix()


def test_models_import_nothing_from_search_or_services():
    offenders = {
        _rel(path): sorted(
            n for n in _imports(tree) if n.startswith(("app.search", "app.services"))
        )
        for path, tree in _modules(APP / "models")
    }
    assert {k: v for k, v in offenders.items() if v} == {}


def test_transaction_and_parsing_reach_into_no_service():
    checked = [APP / "transaction.py", APP / "outbox.py", APP / "text.py"]
    checked += sorted((APP / "parsing").glob("*.py"))
    offenders = {}
    for path in checked:
        tree = ast.parse(path.read_text(encoding="utf-8"))
        bad = sorted(n for n in _imports(tree) if n.startswith(("app.services", "app.search")))
        if bad:
            offenders[_rel(path)] = bad
    assert offenders == {}


def _is_outbox(node: ast.AST) -> bool:
    if isinstance(node, ast.Attribute) and node.attr == "__table__":
        node = node.value
    return isinstance(node, ast.Name) and node.id == "SearchOutbox"


def _writes_outbox(tree: ast.AST) -> bool:
    """Does this module build SearchOutbox rows itself (the model, or an INSERT into it)?"""
    for node in ast.walk(tree):
        if not isinstance(node, ast.Call):
            continue
        name = getattr(node.func, "id", None) or getattr(node.func, "attr", None)
        if name == "SearchOutbox" or (name == "insert" and any(map(_is_outbox, node.args))):
            return True
    return False


def test_outbox_rows_are_written_by_one_function_only():
    writers = [_rel(path) for path, tree in _modules() if _writes_outbox(tree)]
    assert writers == ["app/outbox.py"]


def test_enqueue_counts_its_rows_for_the_commit(seeded_app):
    """On SQLite and PostgreSQL: the rows are inserted, counted, and the count is taken."""
    seeded_app.config["SEARCH_SYNC_ON_COMMIT"] = False
    with seeded_app.app_context():
        _enqueue_and_commit()


def _enqueue_and_commit() -> None:
    session = db.session()
    before = db.session.scalar(select(func.count()).select_from(SearchOutbox))
    ids = list(db.session.scalars(select(Provider.id).limit(3)))
    assert enqueue("provider", ids) == len(ids) and enqueue("provider", []) == 0
    assert session.info.get("search_outbox_written") == len(ids)
    db.session.commit()
    assert take_written(session) == 0  # the commit hook took the count
    after = db.session.scalar(select(func.count()).select_from(SearchOutbox))
    assert after == before + len(ids)
