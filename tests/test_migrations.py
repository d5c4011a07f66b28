"""Alembic migrations build exactly the schema the typed models declare, on SQLite and PostgreSQL, both ways."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
import sqlalchemy as sa
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.config import Config
from alembic.migration import MigrationContext

from sluice.db import MIGRATIONS, Base, make_engine, upgrade


def _downgrade_to_base(engine: sa.Engine) -> None:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    with engine.begin() as connection:
        config.attributes["connection"] = connection
        command.downgrade(config, "base")


def _differences(engine: sa.Engine) -> list:
    with engine.connect() as conn:
        diff = compare_metadata(MigrationContext.configure(conn), Base.metadata)
    return [d for d in diff if not (d[0] == "remove_table" and d[1].name == "alembic_version")]


def _round_trip(engine: sa.Engine) -> None:
    upgrade(engine)
    assert _differences(engine) == []
    _downgrade_to_base(engine)
    assert set(sa.inspect(engine).get_table_names()) <= {"alembic_version"}
    upgrade(engine)
    assert _differences(engine) == []


def test_migrations_gather_every_model(tmp_path: Path) -> None:
    """``sluice/migrations/env.py`` registers every package's tables, in a process that imported none of them."""
    url = f"sqlite:///{tmp_path / 'meta.db'}"
    script = (
        "import sys\n"
        "from sluice.db import Base, make_engine, upgrade\n"
        f"upgrade(make_engine({url!r}))\n"
        "print(' '.join(sorted(Base.metadata.tables)))\n"
        "print(' '.join(sorted(m for m in sys.modules if m.endswith('.models'))))\n"
    )
    tables, models = subprocess.run(
        [sys.executable, "-c", script], check=True, capture_output=True, text=True
    ).stdout.splitlines()
    engine = make_engine(url)
    try:
        assert tables.split() == sorted(set(sa.inspect(engine).get_table_names()) - {"alembic_version"})
    finally:
        engine.dispose()
    assert {"catalog.models", "etl.models", "lifecycle.models", "quality.models"} <= set(models.split())
    assert "sluice.models" not in models.split()


def test_sqlite_migrations_match_the_models(tmp_path: Path) -> None:
    engine = make_engine(f"sqlite:///{tmp_path / 'meta.db'}")
    try:
        _round_trip(engine)
    finally:
        engine.dispose()


@pytest.mark.postgres
def test_postgres_migrations_match_the_models(pg_url: str) -> None:
    engine = make_engine(pg_url)
    try:
        _round_trip(engine)
    finally:
        engine.dispose()
