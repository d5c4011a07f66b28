"""Glue connections in the metadata DB (CreateConnection, GetConnection, GetConnections, UpdateConnection,
DeleteConnection), and what a Glue script's ``extract_jdbc_conf`` reads of one.

A connection is stored as its ``ConnectionInput`` with ``ConnectionProperties.PASSWORD`` taken out and kept
encrypted (``sluice.secrets``); GetConnection gives it back unless ``HidePassword``, as Glue does.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

from sqlalchemy import select

from catalog.models import ConnectionRow
from sluice.clock import utcnow
from sluice.context import SluiceContext
from sluice.errors import AlreadyExistsException, EntityNotFoundException, InvalidInputException
from sluice.secrets import decrypt, encrypt

PASSWORD = "PASSWORD"
JDBC_URL = "JDBC_CONNECTION_URL"


def _split(connection_input: dict[str, Any]) -> tuple[dict[str, Any], str | None]:
    """The input without its password, and the password."""
    properties = dict(connection_input.get("ConnectionProperties") or {})
    password = properties.pop(PASSWORD, None)
    return {**connection_input, "ConnectionProperties": properties}, password


def _shape(ctx: SluiceContext, row: ConnectionRow, hide_password: bool) -> dict[str, Any]:
    properties = dict(row.definition.get("ConnectionProperties") or {})
    if row.password is not None and not hide_password:
        properties[PASSWORD] = decrypt(ctx, row.password)
    shape = {
        k: v for k, v in row.definition.items() if k not in ("ValidateCredentials", "ValidateForComputeEnvironments")
    }
    return shape | {
        "ConnectionProperties": properties,
        "CreationTime": row.created_on,
        "LastUpdatedTime": row.updated_on,
        "Status": "READY",
    }


def _row(s: Any, name: str) -> ConnectionRow:
    row = s.get(ConnectionRow, name)
    if row is None:
        raise EntityNotFoundException(f"Connection {name!r} not found.")
    return row


def create_connection(ctx: SluiceContext, connection_input: dict[str, Any]) -> None:
    """Store a new connection; ``AlreadyExistsException`` for a name in use."""
    definition, password = _split(connection_input)
    with ctx.session() as s:
        if s.get(ConnectionRow, definition["Name"]) is not None:
            raise AlreadyExistsException(f"Connection already exists: {definition['Name']}")
        s.add(
            ConnectionRow(
                name=definition["Name"],
                connection_type=definition["ConnectionType"],
                definition=definition,
                password=encrypt(ctx, password) if password is not None else None,
            )
        )


def get_connection(ctx: SluiceContext, name: str, *, hide_password: bool = False) -> dict[str, Any]:
    """Glue's Connection object."""
    with ctx.session() as s:
        return _shape(ctx, _row(s, name), hide_password)


def get_connections(
    ctx: SluiceContext, *, connection_type: str | None = None, match_criteria: list[str] | None = None,
    hide_password: bool = False,
) -> list[dict[str, Any]]:  # fmt: skip
    """Every connection by name, of ``connection_type`` and holding all of ``match_criteria`` when given."""
    query = select(ConnectionRow).order_by(ConnectionRow.name)
    if connection_type:
        query = query.where(ConnectionRow.connection_type == connection_type)
    with ctx.session() as s:
        rows = list(s.scalars(query))
        wanted = set(match_criteria or [])
        found = [r for r in rows if wanted <= set(r.definition.get("MatchCriteria") or [])]
        return [_shape(ctx, r, hide_password) for r in found]


def update_connection(ctx: SluiceContext, name: str, connection_input: dict[str, Any]) -> None:
    """Replace a connection's definition; renaming (a new ``Name``) is allowed, as in Glue."""
    definition, password = _split(connection_input)
    with ctx.session() as s:
        row = _row(s, name)
        if definition["Name"] != name and s.get(ConnectionRow, definition["Name"]) is not None:
            raise AlreadyExistsException(f"Connection already exists: {definition['Name']}")
        row.name, row.connection_type, row.definition = definition["Name"], definition["ConnectionType"], definition
        row.password = encrypt(ctx, password) if password is not None else None
        row.updated_on = utcnow()


def delete_connection(ctx: SluiceContext, name: str) -> None:
    with ctx.session() as s:
        s.delete(_row(s, name))


def jdbc_conf(ctx: SluiceContext, name: str) -> dict[str, str]:
    """``extract_jdbc_conf``'s dict: ``user``, ``password``, ``vendor``, ``url`` (protocol, host and port only),
    ``fullUrl`` (as entered), ``enforceSSL``, ``customJDBCCert``, ``skipCustomJDBCCertValidation`` and
    ``customJDBCCertString``."""
    connection = get_connection(ctx, name)
    properties = connection["ConnectionProperties"]
    full = properties.get(JDBC_URL)
    if connection["ConnectionType"] != "JDBC" or not full:
        raise InvalidInputException(
            f"Connection {name!r} is a {connection['ConnectionType']} connection without {JDBC_URL}: "
            "extract_jdbc_conf reads JDBC connections."
        )
    vendor = full.split(":", 2)[1] if full.startswith("jdbc:") else ""
    parts = urlsplit(full[len("jdbc:") :]) if full.startswith("jdbc:") else None
    url = f"jdbc:{parts.scheme}://{parts.netloc}" if parts and parts.netloc else full
    return {
        "user": properties.get("USERNAME", ""),
        "password": properties.get(PASSWORD, ""),
        "vendor": vendor,
        "url": url,
        "fullUrl": full,
        "enforceSSL": properties.get("JDBC_ENFORCE_SSL", "false"),
        "customJDBCCert": properties.get("CUSTOM_JDBC_CERT", ""),
        "skipCustomJDBCCertValidation": properties.get("SKIP_CUSTOM_JDBC_CERT_VALIDATION", "false"),
        "customJDBCCertString": properties.get("CUSTOM_JDBC_CERT_STRING", ""),
    }


def with_database(url: str, database: str | None) -> str:
    """A JDBC URL naming ``database`` (Glue's ``database`` connection option) instead of its own."""
    if not database:
        return url
    head, _, query = url.partition("?")
    scheme, _, rest = head.partition("://")
    host = rest.split("/", 1)[0]
    return f"{scheme}://{host}/{database}" + (f"?{query}" if query else "")


def sqlalchemy_url(ctx: SluiceContext, name: str, database: str | None = None) -> str:
    """The SQLAlchemy URL of a PostgreSQL JDBC connection (``database`` in place of its own), for warehouse loads."""
    from sqlalchemy.engine import URL

    conf = jdbc_conf(ctx, name)
    if conf["vendor"] != "postgresql":
        raise InvalidInputException(
            f"Connection {name!r} is a {conf['vendor'] or 'non-JDBC'} connection; Sluice writes through JDBC "
            "connections to PostgreSQL (the warehouse's engine)."
        )
    parts = urlsplit(with_database(conf["fullUrl"], database)[len("jdbc:") :])
    return URL.create(
        "postgresql+psycopg",
        username=conf["user"] or None,
        password=conf["password"] or None,
        host=parts.hostname,
        port=parts.port,
        database=parts.path.lstrip("/") or None,
    ).render_as_string(hide_password=False)
