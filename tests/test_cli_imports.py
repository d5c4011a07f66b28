"""The ``sluice`` CLI starts light: what each invocation imports, checked in fresh processes (not timed)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from typer.core import TyperCommand
from typer.testing import CliRunner

from sluice.cli import LAZY, SHORT_HELP, app, load
from sluice.db import MIGRATIONS, head_revisions

ROOT = Path(__file__).resolve().parents[1]
HEAVY = ("sqlalchemy", "alembic", "pyarrow", "pandas", "boto3", "botocore", "pyspark", "great_expectations", "airflow")
GROUP_MODULES = sorted({target.split(":")[0] for target, _ in LAZY.values()})

# Runs the CLI as the console script does, then reports (on stderr, at exit) the heavy packages and the
# group modules in sys.modules. argv[0] is "sluice" so completion reads _SLUICE_COMPLETE.
PROBE = f"""
import atexit, json, sys

def report():
    names = {{m.split(".")[0] for m in sys.modules if m.split(".")[0] in {HEAVY!r}}}
    names |= {{m for m in {GROUP_MODULES!r} if m in sys.modules}}
    sys.stderr.write("\\nMODULES " + json.dumps(sorted(names)) + "\\n")

atexit.register(report)
sys.argv[0] = "sluice"
from sluice.cli import main
main()
"""


def run(*args: str, env: dict[str, str] | None = None) -> tuple[subprocess.CompletedProcess[str], set[str]]:
    """Run ``sluice ARGS`` in a fresh interpreter; return the process and the modules it had loaded."""
    proc = subprocess.run(
        [sys.executable, "-c", PROBE, *args],
        cwd=ROOT,
        env={**os.environ, **(env or {})},
        capture_output=True,
        text=True,
        timeout=300,
    )
    line = next(line for line in reversed(proc.stderr.splitlines()) if line.startswith("MODULES "))
    return proc, set(json.loads(line.removeprefix("MODULES ")))


def test_root_help_imports_no_group_and_no_heavy_package() -> None:
    proc, loaded = run("--help")
    assert proc.returncode == 0, proc.stderr
    assert loaded == set()
    for name, (_, text) in LAZY.items():
        assert name in proc.stdout
        assert " ".join(proc.stdout.split()).count(text) == 1, name
    assert "db" in proc.stdout and "The metadata database." in proc.stdout


def test_group_help_imports_only_that_group() -> None:
    proc, loaded = run("catalog", "--help")
    assert proc.returncode == 0, proc.stderr
    assert loaded == {"catalog.cli"}
    assert "get-tables" in proc.stdout and "get-partitions" in proc.stdout


@pytest.mark.parametrize("name", list(LAZY))
def test_every_group_module_is_light_at_import(name: str) -> None:
    proc, loaded = run(name, "--help")
    assert proc.returncode == 0, proc.stderr
    assert loaded == {LAZY[name][0].split(":")[0]}


def test_completion_of_group_names_imports_no_group() -> None:
    env = {"_SLUICE_COMPLETE": "complete_bash", "COMP_WORDS": "sluice ca", "COMP_CWORD": "1"}
    proc, loaded = run(env=env)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.split() == ["catalog"]
    assert loaded == set()


def test_completion_inside_a_group_imports_that_group() -> None:
    env = {"_SLUICE_COMPLETE": "complete_bash", "COMP_WORDS": "sluice catalog get-ta", "COMP_CWORD": "2"}
    proc, loaded = run(env=env)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.split() == ["get-tables", "get-table", "get-table-versions"]
    assert loaded == {"catalog.cli"}


def test_show_completion_prints_the_script() -> None:
    proc, loaded = run("--show-completion", "bash")
    assert proc.returncode == 0, proc.stderr
    assert "_SLUICE_COMPLETE=complete_bash" in proc.stdout
    assert loaded == set()


def test_catalog_read_loads_sqlalchemy_but_not_alembic_at_head() -> None:
    created, _ = run("catalog", "create-database", "--name", "lake")  # creates and migrates the metadata DB
    assert created.returncode == 0, created.stderr
    proc, loaded = run("catalog", "get-databases", "--json")
    assert proc.returncode == 0, proc.stderr
    assert [d["Name"] for d in json.loads(proc.stdout)["DatabaseList"]] == ["lake"]
    assert loaded == {"sqlalchemy", "catalog.cli"}


def test_unknown_group_suggests_lazy_names() -> None:
    proc, loaded = run("catalgo")
    assert proc.returncode == 2
    assert "Did you mean 'catalog'?" in proc.stderr
    assert loaded == set()


@pytest.mark.parametrize("name", list(LAZY))
def test_root_help_text_matches_the_module(name: str) -> None:
    listed = TyperCommand(name, help=LAZY[name][1])
    assert load(name).get_short_help_str(SHORT_HELP) == listed.get_short_help_str(SHORT_HELP)


def test_lazy_groups_run_like_mounted_ones() -> None:
    out = CliRunner().invoke(app, ["workflow", "validate", str(ROOT / "dags" / "workflows"), "--json"])
    assert out.exit_code in (0, 2), out.output
    assert set(json.loads(out.stdout)) == {"Workflows", "Problems"}


# --- the metadata DB's migration check ------------------------------------------------------------------


def test_head_revisions_match_alembic() -> None:
    from alembic.config import Config
    from alembic.script import ScriptDirectory

    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    assert head_revisions() == set(ScriptDirectory.from_config(config).get_heads())


def test_head_revisions_follow_new_files_and_merges(tmp_path: Path) -> None:
    def write(name: str, revision: str, down: str) -> None:
        (tmp_path / f"{name}.py").write_text(f'"""{name}"""\n\nrevision = "{revision}"\ndown_revision = {down}\n')

    write("0001_a", "0001", "None")
    write("0002_b", "0002", '"0001"')
    assert head_revisions(tmp_path) == {"0002"}
    write("0003_c", "0003", "'0001'")
    assert head_revisions(tmp_path) == {"0002", "0003"}
    write("0004_merge", "0004", '(\n    "0002",\n    "0003",\n)')
    assert head_revisions(tmp_path) == {"0004"}
    (tmp_path / "0005_typed.py").write_text('revision: str = "0005"\ndown_revision: str | None = "0004"\n')
    assert head_revisions(tmp_path) == {"0005"}


def test_get_engine_runs_alembic_only_when_behind(monkeypatch: pytest.MonkeyPatch) -> None:
    import sqlalchemy as sa

    from sluice import db

    engine = db.get_engine()  # a fresh SQLite DB: migrated to head
    assert db.current_revisions(engine) == head_revisions()
    calls: list[str] = []
    monkeypatch.setattr(db, "upgrade", lambda engine, revision="head": calls.append(revision))
    db.reset_engines()
    db.get_engine()
    assert calls == []
    with db.get_engine(migrate=False).begin() as conn:
        conn.execute(sa.text("UPDATE alembic_version SET version_num = '0001'"))
    db.reset_engines()
    db.get_engine()
    assert calls == ["head"]
