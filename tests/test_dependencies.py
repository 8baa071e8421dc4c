"""Every library the service imports is one it declares: none may arrive only as another's dependency
(markdown-it-py came in through rich, starlette through fastapi), or an upgrade of that other library
could remove it from under us."""

from __future__ import annotations

import ast
import re
import sys
import tomllib
from importlib.metadata import packages_distributions
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def _imported_modules() -> set[str]:
    """The top-level modules `src/dragoman` imports, at module level or inside functions."""
    modules: set[str] = set()
    for path in (ROOT / "src" / "dragoman").rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Import):
                modules.update(alias.name.split(".")[0] for alias in node.names)
            elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                modules.add(node.module.split(".")[0])
    return modules - set(sys.stdlib_module_names) - {"dragoman"}


def _normalized(requirement: str) -> str:
    name = re.match(r"[A-Za-z0-9._-]+", requirement)
    assert name is not None, requirement
    return re.sub(r"[-_.]+", "-", name.group()).lower()


def test_every_imported_library_is_a_declared_dependency() -> None:
    # Given the distributions pyproject.toml declares (with the PostgreSQL extra, psycopg's)
    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    declared = {_normalized(item) for item in project["dependencies"] + project["optional-dependencies"]["postgresql"]}
    # When each module the service imports is traced to the distributions that provide it
    providers = packages_distributions()
    undeclared = {
        module: providers.get(module, ["(not installed)"])
        for module in sorted(_imported_modules())
        if not declared & {_normalized(dist) for dist in providers.get(module, [])}
    }
    # Then every one is declared
    assert undeclared == {}
