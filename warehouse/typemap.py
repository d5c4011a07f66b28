"""The explicit Hive/Glue → warehouse SQL type map, one table per dialect.

PostgreSQL keeps every value exactly: ``decimal(p,s)`` → ``numeric(p,s)``, ``timestamp`` →
``timestamptz`` (values are UTC instants), ``string`` → ``text``, nested types → ``jsonb``.
SQLite stores by affinity; decimals of up to 15 digits are ``NUMERIC(p,s)`` (exact as SQLite
numbers), wider ones ``TEXT`` so no digit is lost; timestamps are ISO-8601 UTC text.
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql
from sqlalchemy.types import TypeEngine

from catalog.types import Primitive, parse_type
from sluice.errors import InvalidInputException

DIALECTS = ("postgresql", "sqlite")

_SCALARS: dict[str, dict[str, TypeEngine[Any]]] = {
    "postgresql": {
        "tinyint": sa.SMALLINT(),
        "smallint": sa.SMALLINT(),
        "int": sa.INTEGER(),
        "bigint": sa.BIGINT(),
        "float": sa.REAL(),
        "double": postgresql.DOUBLE_PRECISION(),
        "boolean": sa.BOOLEAN(),
        "string": sa.TEXT(),
        "void": sa.TEXT(),
        "timestamp": postgresql.TIMESTAMP(timezone=True),
        "date": sa.DATE(),
        "binary": postgresql.BYTEA(),
    },
    "sqlite": {
        "tinyint": sa.INTEGER(),
        "smallint": sa.INTEGER(),
        "int": sa.INTEGER(),
        "bigint": sa.INTEGER(),
        "float": sa.REAL(),
        "double": sa.REAL(),
        "boolean": sa.BOOLEAN(),
        "string": sa.TEXT(),
        "void": sa.TEXT(),
        "timestamp": sa.TIMESTAMP(),
        "date": sa.DATE(),
        "binary": sa.BLOB(),
    },
}
_NESTED: dict[str, TypeEngine[Any]] = {"postgresql": postgresql.JSONB(), "sqlite": sa.TEXT()}
#: SQLite numbers keep 15 significant digits; wider decimals are stored as text.
SQLITE_EXACT_DIGITS = 15


def check_dialect(dialect: str) -> str:
    """Return ``dialect`` when Sluice can load into it."""
    if dialect not in DIALECTS:
        raise InvalidInputException(
            f"Warehouse dialect {dialect!r} is not supported.", hint="Use a postgresql+psycopg:// or sqlite:// URL."
        )
    return dialect


def sql_type(hive_type: str, dialect: str) -> TypeEngine[Any]:
    """The SQL column type for a Glue column type in ``dialect`` ("postgresql" or "sqlite")."""
    check_dialect(dialect)
    node = parse_type(hive_type)
    if not isinstance(node, Primitive):
        return _NESTED[dialect]
    if node.name == "decimal":
        precision, scale = node.params
        if dialect == "sqlite" and precision > SQLITE_EXACT_DIGITS:
            return sa.TEXT()
        return sa.NUMERIC(precision, scale)
    if node.name in ("char", "varchar"):
        if dialect == "sqlite":
            return sa.TEXT()
        return sa.CHAR(node.params[0]) if node.name == "char" else sa.VARCHAR(node.params[0])
    return _SCALARS[dialect][node.name]
