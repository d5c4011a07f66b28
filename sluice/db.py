"""The metadata database: one SQLAlchemy 2 engine, typed ORM base, Alembic-managed schema.

The first ``get_engine`` of a process compares the DB's ``alembic_version`` with the head revision read
from the migration files; Alembic is imported only when they differ and the schema must be upgraded.
"""

from __future__ import annotations

import re
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, ClassVar

from sqlalchemy import DateTime, Engine, MetaData, create_engine, event, text
from sqlalchemy.exc import DBAPIError, DisconnectionError
from sqlalchemy.orm import DeclarativeBase, Session
from sqlalchemy.types import TypeDecorator

from sluice.jsontext import stored
from sluice.settings import get_settings

MIGRATIONS = Path(__file__).parent / "migrations"
_REVISION = re.compile(r"""^revision\s*(?::[^=\n]*)?=\s*["']([^"']+)["']""", re.MULTILINE)
_DOWN_REVISION = re.compile(r"^down_revision\s*(?::[^=\n]*)?=\s*(\([^)]*\)|[^\n]*)", re.MULTILINE)
_QUOTED = re.compile(r"""["']([^"']+)["']""")

NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class UTCDateTime(TypeDecorator[datetime]):
    """A timestamp stored naive in UTC and always returned timezone-aware."""

    impl = DateTime
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: object) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            value = value.replace(tzinfo=UTC)
        return value.astimezone(UTC).replace(tzinfo=None)

    def process_result_value(self, value: datetime | None, dialect: object) -> datetime | None:
        return None if value is None else value.replace(tzinfo=UTC)


class Base(DeclarativeBase):
    """Declarative base for every Sluice metadata table."""

    metadata = MetaData(naming_convention=NAMING)
    type_annotation_map: ClassVar[dict[Any, Any]] = {datetime: UTCDateTime()}


_engines: dict[str, Engine] = {}
_migrated: set[str] = set()
_lock = threading.Lock()
POOL_SIZE = 10
"""Connections an engine keeps open: enough for the API server's concurrent requests, so that none opens and
closes an overflow connection per request."""
PING_AFTER = 1.0
"""Seconds a pooled connection may have been idle and still be handed out without a ping (server engines)."""


def _sqlite_pragmas(dbapi_connection: object, _record: object) -> None:
    cursor = dbapi_connection.cursor()  # type: ignore[attr-defined]
    cursor.execute("PRAGMA journal_mode=WAL")
    # In WAL mode NORMAL syncs at checkpoints, not at every commit: a killed process loses nothing it
    # committed (only a power cut can undo the last commits), and a commit costs no fsync.
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.execute("PRAGMA busy_timeout=30000")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.close()


def make_engine(url: str) -> Engine:
    """Create an engine; SQLite gets WAL, a busy timeout and foreign keys, and its folder is created. JSON columns
    are written by :func:`sluice.jsontext.stored` (the standard library's JSON, at orjson's speed) and read by
    the standard library."""
    if url.startswith("sqlite"):
        path = url.split("///", 1)[1] if "///" in url else ""
        in_memory = path in ("", ":memory:")  # one connection per thread: no pool to size, no folder to make
        if not in_memory:
            Path(path).parent.mkdir(parents=True, exist_ok=True)
        pool = {} if in_memory else {"pool_size": POOL_SIZE}
        engine = create_engine(url, connect_args={"timeout": 30}, json_serializer=stored, **pool)
        event.listen(engine, "connect", _sqlite_pragmas)
        return engine
    engine = create_engine(url, pool_size=POOL_SIZE, json_serializer=stored)
    _ping_when_idle(engine)
    return engine


def _ping_when_idle(engine: Engine) -> None:
    """Ping a pooled connection at checkout if it sat idle over :data:`PING_AFTER` seconds, and replace it when
    the ping fails (what ``pool_pre_ping`` does at every checkout): one back in the pool a moment ago is handed
    out as it is, which saves a round trip per checkout, two per API request, under steady load."""

    def checked_in(_dbapi_connection: Any, record: Any) -> None:
        record.info["idle_since"] = time.monotonic()

    def checked_out(dbapi_connection: Any, record: Any, _proxy: Any) -> None:
        idle_since = record.info.pop("idle_since", None)  # none: a new connection
        if idle_since is None or time.monotonic() - idle_since <= PING_AFTER:
            return
        try:
            engine.dialect.do_ping(dbapi_connection)
        except engine.dialect.loaded_dbapi.Error as exc:
            raise DisconnectionError(f"A pooled connection failed its ping: {exc}") from exc

    event.listen(engine, "checkin", checked_in)
    event.listen(engine, "checkout", checked_out)


def get_engine(url: str | None = None, *, migrate: bool = True) -> Engine:
    """The metadata engine for ``url`` (default: settings), upgraded to the newest schema on first use."""
    url = url or get_settings().metadata_database_url
    with _lock:
        engine = _engines.get(url)
        if engine is None:
            engine = _engines[url] = make_engine(url)
        if migrate and url not in _migrated:
            if current_revisions(engine) != head_revisions():
                upgrade(engine)
            _migrated.add(url)
    return engine


def head_revisions(versions: Path = MIGRATIONS / "versions") -> set[str]:
    """Alembic's head revision ids, read from the migration files' ``revision``/``down_revision`` lines.

    A head is a revision no other file names as its ``down_revision`` (merges name a tuple). This reads
    text only, so checking a DB that is up to date costs no Alembic import.
    """
    revisions: set[str] = set()
    parents: set[str] = set()
    for path in versions.glob("*.py"):
        source = path.read_text(encoding="utf-8")
        if match := _REVISION.search(source):
            revisions.add(match[1])
        if match := _DOWN_REVISION.search(source):
            parents.update(_QUOTED.findall(match[1]))
    return revisions - parents


def current_revisions(engine: Engine) -> set[str]:
    """The revisions stamped in the DB's ``alembic_version`` table; empty when there is none yet."""
    try:
        with engine.connect() as connection:
            return {row[0] for row in connection.execute(text("SELECT version_num FROM alembic_version"))}
    except DBAPIError:
        return set()


def upgrade(engine: Engine, revision: str = "head") -> None:
    """Apply Alembic migrations up to ``revision``."""
    from alembic import command
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    with engine.begin() as connection:
        config.attributes["connection"] = connection
        command.upgrade(config, revision)


@contextmanager
def session_scope(url: str | None = None) -> Iterator[Session]:
    """A session in one transaction: committed on success, rolled back on any error."""
    with Session(bind=get_engine(url), expire_on_commit=False) as session, session.begin():
        yield session


def reset_engines() -> None:
    """Dispose every cached engine (tests and forked workers call this)."""
    with _lock:
        for engine in _engines.values():
            engine.dispose()
        _engines.clear()
        _migrated.clear()
