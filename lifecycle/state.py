"""Recorded object state (``lifecycle_objects``) and where a local object's bytes live in each class."""

from __future__ import annotations

import os
from collections.abc import Iterable
from datetime import datetime
from typing import Any, NamedTuple

from sqlalchemy import delete, select, tuple_
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from sluice.clock import utcnow
from sluice.context import SluiceContext
from sluice.lake.guard import ObjectStateRow
from sluice.lake.paths import is_object_store

_CHUNK = 500


class State(NamedTuple):
    """An object's row in ``lifecycle_objects``."""

    storage_class: str
    location: str
    modified: float | None
    created_on: datetime | None
    class_since: datetime | None
    restored_until: datetime | None
    last_access: datetime | None


_COLUMNS = (
    ObjectStateRow.key,
    ObjectStateRow.storage_class,
    ObjectStateRow.location,
    ObjectStateRow.modified,
    ObjectStateRow.created_on,
    ObjectStateRow.class_since,
    ObjectStateRow.restored_until,
    ObjectStateRow.last_access,
)


def load_states(root: str, prefix: str, *, ctx: SluiceContext | None = None) -> dict[str, State]:
    """The recorded state of every object of ``root`` whose key starts with ``prefix``."""
    query = select(*_COLUMNS).where(ObjectStateRow.root == root, ObjectStateRow.key >= prefix)
    if prefix:
        query = query.where(ObjectStateRow.key < prefix + "\U0010ffff")
    with SluiceContext.resolve(ctx).session() as s:
        return {row[0]: State(*row[1:]) for row in s.execute(query)}


def states_at(locations: Iterable[str], *, ctx: SluiceContext | None = None) -> dict[str, tuple[str, str, State]]:
    """The rows whose object is now at one of ``locations``: location → (root, key, state)."""
    wanted = list(dict.fromkeys(locations))
    found: dict[str, tuple[str, str, State]] = {}
    with SluiceContext.resolve(ctx).session() as s:
        for i in range(0, len(wanted), _CHUNK):
            query = select(ObjectStateRow.root, *_COLUMNS).where(ObjectStateRow.location.in_(wanted[i : i + _CHUNK]))
            for root, key, *rest in s.execute(query):
                state = State(*rest)
                found[state.location] = (root, key, state)
    return found


def upsert_states(s: Session, values: list[dict[str, Any]], update: Iterable[str]) -> None:
    """Insert rows (each with ``root``, ``key``, ``location`` …), updating only ``update`` on existing ones."""
    if not values:
        return
    now = utcnow()
    rows = [{"storage_class": "STANDARD", **v, "updated_on": now} for v in values]
    table = ObjectStateRow.__table__
    insert = (postgresql if s.get_bind().dialect.name == "postgresql" else sqlite).insert(table)
    columns = [*dict.fromkeys([*update, "updated_on"])]
    statement = insert.on_conflict_do_update(
        index_elements=["root", "key"], set_={name: insert.excluded[name] for name in columns}
    )
    for i in range(0, len(rows), _CHUNK):
        s.execute(statement, rows[i : i + _CHUNK])


def delete_states(s: Session, keys: Iterable[tuple[str, str]]) -> None:
    """Forget the rows of deleted objects, given as (root, key) pairs."""
    pairs = list(keys)
    for i in range(0, len(pairs), _CHUNK):
        s.execute(
            delete(ObjectStateRow).where(tuple_(ObjectStateRow.root, ObjectStateRow.key).in_(pairs[i : i + _CHUNK]))
        )


def tier_location(home: str, storage_class: str, *, ctx: SluiceContext | None = None) -> str:
    """Where an object written at ``home`` keeps its bytes in ``storage_class``.

    On local disk a class mapped in ``SLUICE_TIER_ROOTS`` keeps them below its folder at the object's
    absolute path (``/cold`` and ``/lake/raw/a.csv`` give ``/cold/lake/raw/a.csv``); other classes, and
    every class of an object store, leave them at ``home``.
    """
    if is_object_store(home):
        return home
    tier = SluiceContext.resolve(ctx).settings.tier_roots.get(storage_class)
    return os.path.join(os.path.abspath(tier), home.lstrip("/")) if tier else home


def home_of(location: str, *, ctx: SluiceContext | None = None) -> str:
    """The inverse of :func:`tier_location`: where the object (or folder) now at ``location`` was written."""
    for tier in tier_folders(ctx=ctx):
        if location.startswith(tier + os.sep):
            return location[len(tier) :]
    return location


def tier_folders(*, ctx: SluiceContext | None = None) -> set[str]:
    """The absolute tier folders of ``SLUICE_TIER_ROOTS``."""
    return {os.path.abspath(folder) for folder in SluiceContext.resolve(ctx).settings.tier_roots.values()}
