"""The ``sluice`` CLI: Glue-shaped JSON, tables, and friendly errors."""

from __future__ import annotations

import json

from typer.testing import CliRunner

from sluice.cli import app

runner = CliRunner()


def test_catalog_verbs_print_glue_shapes() -> None:
    assert runner.invoke(app, ["catalog", "create-database", "--name", "lake"]).exit_code == 0
    out = runner.invoke(app, ["catalog", "get-databases", "--json"])
    assert out.exit_code == 0
    assert [d["Name"] for d in json.loads(out.stdout)["DatabaseList"]] == ["lake"]
    out = runner.invoke(app, ["catalog", "get-tables", "--database-name", "lake", "--json"])
    assert json.loads(out.stdout) == {"TableList": []}


def test_missing_table_is_a_clear_error_not_a_traceback() -> None:
    runner.invoke(app, ["catalog", "create-database", "--name", "lake"])
    out = runner.invoke(app, ["catalog", "get-table", "--database-name", "lake", "--name", "nope", "--json"])
    assert out.exit_code == 2
    assert "EntityNotFoundException" in out.output
    assert "Traceback" not in out.output


def test_db_upgrade() -> None:
    out = runner.invoke(app, ["db", "upgrade"])
    assert out.exit_code == 0, out.output
