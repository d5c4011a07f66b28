"""Access keys in the metadata DB: create, list, deactivate, delete, and the secret for SigV4 verification.

SigV4 needs the secret itself, so it is encrypted (``sluice.secrets``: Fernet, with a key kept in
``<home>/aws/keys.fernet``, mode 0600, created on first use), not hashed.
"""

from __future__ import annotations

import base64
import re
import secrets
from dataclasses import dataclass
from datetime import datetime
from functools import cache
from typing import TYPE_CHECKING

from sluice.context import SluiceContext
from sluice.errors import EntityNotFoundException, InvalidInputException
from sluice.secrets import decrypt, encrypt

if TYPE_CHECKING:
    from sqlalchemy import Select
    from sqlalchemy.orm import Session

    from awsapi.models import AccessKeyRow

STATUSES = ("Active", "Inactive")
USER_NAME = re.compile(r"[\w+=,.@-]{1,64}")  # IAM's user-name pattern and length


@dataclass(frozen=True)
class AccessKey:
    """An access key's metadata (its secret is shown once, at creation)."""

    access_key_id: str
    user_name: str
    status: str
    created: datetime


def _key(row: AccessKeyRow) -> AccessKey:
    return AccessKey(row.access_key_id, row.user_name, row.status, row.created_on)


def _row(session: Session, access_key_id: str) -> AccessKeyRow:
    from awsapi.models import AccessKeyRow

    row = session.get(AccessKeyRow, access_key_id)
    if row is None:
        raise EntityNotFoundException(f"The Access Key with id {access_key_id} cannot be found.")
    return row


def create_access_key(ctx: SluiceContext | None, user_name: str) -> tuple[AccessKey, str]:
    """A new active key for ``user_name``, and its secret (returned only here)."""
    from awsapi.models import AccessKeyRow

    ctx = SluiceContext.resolve(ctx)
    if not USER_NAME.fullmatch(user_name):
        raise InvalidInputException(f"Invalid user name {user_name!r}: 1-64 of letters, digits and +=,.@_-.")
    access_key_id = "AKIA" + base64.b32encode(secrets.token_bytes(10)).decode()
    secret = secrets.token_urlsafe(30)
    token = encrypt(ctx, secret)
    with ctx.session() as session:
        row = AccessKeyRow(access_key_id=access_key_id, user_name=user_name, status="Active", secret=token)
        session.add(row)
        session.flush()
        return _key(row), secret


def list_access_keys(ctx: SluiceContext | None, user_name: str | None = None) -> list[AccessKey]:
    """Every key (of ``user_name`` if given), oldest first."""
    from sqlalchemy import select

    from awsapi.models import AccessKeyRow

    ctx = SluiceContext.resolve(ctx)
    query = select(AccessKeyRow).order_by(AccessKeyRow.created_on, AccessKeyRow.access_key_id)
    if user_name is not None:
        query = query.where(AccessKeyRow.user_name == user_name)
    with ctx.session() as session:
        return [_key(row) for row in session.scalars(query)]


def set_status(ctx: SluiceContext | None, access_key_id: str, status: str) -> None:
    """Make a key ``Active`` or ``Inactive`` (an inactive key authenticates nothing)."""
    if status not in STATUSES:
        raise InvalidInputException(f"Invalid status {status!r}: one of {', '.join(STATUSES)}.")
    ctx = SluiceContext.resolve(ctx)
    with ctx.session() as session:
        _row(session, access_key_id).status = status


def delete_access_key(ctx: SluiceContext | None, access_key_id: str) -> None:
    """Delete a key for good."""
    ctx = SluiceContext.resolve(ctx)
    with ctx.session() as session:
        session.delete(_row(session, access_key_id))


@cache
def _secret_query() -> Select[str, str, str, datetime, str]:
    """A key's fields (as :class:`AccessKey` orders them) and its secret's token, by id; built once."""
    from sqlalchemy import bindparam, select

    from awsapi.models import AccessKeyRow

    table = AccessKeyRow.__table__
    fields = (table.c.access_key_id, table.c.user_name, table.c.status, table.c.created_on, table.c.secret)
    return select(*fields).where(table.c.access_key_id == bindparam("access_key_id"))


def secret_of(ctx: SluiceContext | None, access_key_id: str) -> tuple[AccessKey, str] | None:
    """The key and its decrypted secret, or ``None`` for an unknown id (for signature verification).

    Read on every call (a key deleted or deactivated a moment ago fails its next request), in one Core
    query on a pooled connection: no ORM session, and on PostgreSQL in autocommit, no transaction to begin
    and end around it (two round trips fewer; SQLite's driver begins none for a read).
    """
    ctx = SluiceContext.resolve(ctx)
    with ctx.engine().connect() as conn:
        if conn.dialect.driver == "psycopg":
            conn.execution_options(isolation_level="AUTOCOMMIT")
        row = conn.execute(_secret_query(), {"access_key_id": access_key_id}).first()
    if row is None:
        return None
    key_id, user_name, status, created, token = row
    return AccessKey(key_id, user_name, status, created), decrypt(ctx, token)
