"""Configuration travels in a SluiceContext, never through ``os.environ``: no module below the tests writes it."""

from __future__ import annotations

import ast
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
PACKAGES = ("sluice", "catalog", "etl", "quality", "lifecycle", "warehouse", "workflow", "service", "sparkio", "awsapi")
TREES = (*PACKAGES, "plugins", "dags")
WRITES = {"update", "setdefault", "pop", "popitem", "clear", "__setitem__", "__delitem__"}


def _environ(node: ast.AST) -> bool:
    return isinstance(node, ast.Attribute) and node.attr == "environ" and getattr(node.value, "id", None) == "os"


def env_writes(source: str) -> list[int]:
    """Line numbers that change ``os.environ`` (item assignment or deletion, a mutating method, ``os.putenv``)."""
    lines = []
    for node in ast.walk(ast.parse(source)):
        targets = node.targets if isinstance(node, ast.Assign | ast.Delete) else []
        if isinstance(node, ast.AugAssign):
            targets = [node.target]
        if any(isinstance(t, ast.Subscript) and _environ(t.value) for t in targets):
            lines.append(node.lineno)
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute):
            func = node.func
            if (func.attr in WRITES and _environ(func.value)) or (
                func.attr in {"putenv", "unsetenv"} and getattr(func.value, "id", None) == "os"
            ):
                lines.append(node.lineno)
    return sorted(lines)


def test_the_detector_sees_every_kind_of_write() -> None:
    source = "import os\nos.environ['A'] = '1'\nos.environ.update(B='2')\ndel os.environ['A']\nos.putenv('C', '3')\n"
    assert env_writes(source) == [2, 3, 4, 5]
    assert env_writes("import os\nenv = dict(os.environ)\nenv['A'] = '1'\nos.environ.get('A')\n") == []


def test_no_library_plugin_or_dag_module_writes_the_environment() -> None:
    found = [
        f"{path.relative_to(REPO)}:{line}"
        for tree in TREES
        if (REPO / tree).is_dir()
        for path in sorted((REPO / tree).rglob("*.py"))
        for line in env_writes(path.read_text(encoding="utf-8"))
    ]
    assert found == [], "os.environ written outside the tests (pass a SluiceContext, or env= to a subprocess)"
