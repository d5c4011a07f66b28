"""The endpoint's pooled PostgreSQL connections: one idle a while is pinged at checkout and replaced when its
backend is gone; one checked in a moment ago is handed out without a ping (no round trip)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import psycopg
import pytest
import sqlalchemy as sa

import sluice.db
from awsapi.keys import create_access_key, secret_of
from sluice.context import SluiceContext
from sluice.settings import Settings

pytestmark = pytest.mark.postgres


@pytest.fixture
def pg_ctx(tmp_path: Path, pg_url: str) -> SluiceContext:
    return SluiceContext(Settings(home=tmp_path / "home", metadata_url=pg_url))


def _backend_pid(ctx: SluiceContext) -> int:
    with ctx.engine().connect() as conn:
        return int(conn.scalar(sa.text("SELECT pg_backend_pid()")))


def _terminate(pid: int, admin_url: str) -> None:
    dsn = sa.make_url(admin_url).set(drivername="postgresql").render_as_string(hide_password=False)
    with psycopg.connect(dsn, autocommit=True) as conn:
        assert conn.execute("SELECT pg_terminate_backend(%s)", (pid,)).fetchone() == (True,)
        while conn.execute("SELECT 1 FROM pg_stat_activity WHERE pid = %s", (pid,)).fetchone():
            pass


def test_an_idle_connection_whose_backend_died_is_replaced(
    pg_ctx: SluiceContext, pg_admin_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    key, _ = create_access_key(pg_ctx, "alice")
    pid = _backend_pid(pg_ctx)  # the pool's one connection
    _terminate(pid, pg_admin_url)
    monkeypatch.setattr(sluice.db, "PING_AFTER", 0.0)  # every pooled connection counts as idle
    found = secret_of(pg_ctx, key.access_key_id)
    assert found is not None and found[0].user_name == "alice"
    assert _backend_pid(pg_ctx) != pid


def test_a_connection_just_checked_in_is_not_pinged(pg_ctx: SluiceContext, monkeypatch: pytest.MonkeyPatch) -> None:
    key, _ = create_access_key(pg_ctx, "alice")
    dialect = pg_ctx.engine().dialect
    pings: list[object] = []
    real_ping = dialect.do_ping

    def counted_ping(dbapi_connection: Any) -> bool:
        pings.append(dbapi_connection)
        return bool(real_ping(dbapi_connection))

    monkeypatch.setattr(dialect, "do_ping", counted_ping)
    for _ in range(3):
        assert secret_of(pg_ctx, key.access_key_id) is not None
    assert pings == []
    monkeypatch.setattr(sluice.db, "PING_AFTER", 0.0)
    assert secret_of(pg_ctx, key.access_key_id) is not None
    assert len(pings) == 1
