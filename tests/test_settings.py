"""Settings that tell the truth: every setting the app reads is a ``Config`` attribute with
its one default there, read as ``config["NAME"]`` (no second default where it is read), and
documented in README.md's configuration tables; gunicorn.conf.py's settings too.

Read from the source (ast), so a new setting read anywhere in ``app/`` fails here by name
until it is declared and documented.
"""

from __future__ import annotations

import ast
import re
from pathlib import Path

from config import Config, ProductionConfig

ROOT = Path(__file__).resolve().parents[1]
APP = ROOT / "app"
# Flask's and its extensions' own settings that the app reads but Flask defines.
FLASK_OWN = frozenset({"TESTING", "DEBUG"})


def _is_config(node: ast.AST) -> bool:
    """``config``, ``app.config`` or ``current_app.config``."""
    return (isinstance(node, ast.Name) and node.id == "config") or (
        isinstance(node, ast.Attribute) and node.attr == "config"
    )


def _reads(tree: ast.AST) -> list[tuple[str, int, str]]:
    """(name, line, how) for every constant-named setting read in a module."""
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Subscript) and _is_config(node.value):
            key = node.slice
            if isinstance(key, ast.Constant) and isinstance(key.value, str):
                found.append((key.value, node.lineno, "index"))
        elif (
            isinstance(node, ast.Call)
            and isinstance(node.func, ast.Attribute)
            and node.func.attr in {"get", "setdefault"}
            and _is_config(node.func.value)
            and node.args
            and isinstance(node.args[0], ast.Constant)
        ):
            found.append((node.args[0].value, node.lineno, node.func.attr))
    return found


def _all_reads() -> list[tuple[str, str, int, str]]:
    out = []
    for path in sorted(APP.rglob("*.py")):
        tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
        rel = path.relative_to(ROOT).as_posix()
        out += [(name, rel, line, how) for name, line, how in _reads(tree)]
    return out


def _readme_settings() -> set[str]:
    """Every `NAME` in backticks in the first column of README's configuration tables."""
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    section = text[text.index("## Configuration") :]
    section = section[: section.index("\n## ", 1)]
    names = set()
    for line in section.splitlines():
        if line.startswith("|"):
            first = line.split("|")[1]
            names.update(re.findall(r"`([A-Z][A-Z0-9_]+)`", first))
    return names


def test_the_scan_finds_reads():
    reads = {name for name, *_ in _all_reads()}
    assert {"SEARCH_SYNC_MAX_ROWS", "SITE_URL", "SECRET_KEY"} <= reads


def test_every_setting_read_is_a_config_attribute():
    missing = sorted(
        f"{rel}:{line} {name}"
        for name, rel, line, _ in _all_reads()
        if name not in FLASK_OWN
        and not hasattr(Config, name)
        and not hasattr(ProductionConfig, name)
    )
    assert missing == []


def test_settings_are_read_without_a_second_default():
    """``config.get("X", default)`` would hide a default from Config; ``config["X"]`` cannot."""
    gets = sorted(f"{rel}:{line} {name}" for name, rel, line, how in _all_reads() if how != "index")
    assert gets == []


def test_every_setting_read_is_in_the_readme():
    documented = _readme_settings()
    # A setting read under its Flask name and set from another environment variable is
    # documented under the variable, with the Flask name beside it.
    undocumented = sorted({name for name, *_ in _all_reads() if name not in FLASK_OWN} - documented)
    assert undocumented == []


def test_gunicorn_settings_are_documented():
    source = (ROOT / "gunicorn.conf.py").read_text(encoding="utf-8")
    names = set(re.findall(r"""environ\.get\(\s*["']([A-Z][A-Z0-9_]+)["']""", source))
    names |= set(re.findall(r"""environ\[["']([A-Z][A-Z0-9_]+)["']\]""", source))
    assert {"WEB_CONCURRENCY"} <= names
    assert sorted(names - _readme_settings()) == []


def test_the_production_secret_is_checked_in_one_place():
    """ProductionConfig refuses a missing SECRET_KEY; nothing repeats the check."""
    sources = [ROOT / "config.py", *sorted(APP.rglob("*.py"))]
    checks = [
        path.relative_to(ROOT).as_posix()
        for path in sources
        for _ in re.finditer(r"SECRET_KEY must be set", path.read_text(encoding="utf-8"))
    ]
    assert checks == ["config.py"]
