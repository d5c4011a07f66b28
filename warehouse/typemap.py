"""The explicit Hive/Glue → warehouse SQL type map, one table per dialect.

PostgreSQL keeps every value exactly: ``decimal(p,s)`` → ``numeric(p,s)``, ``timestamp`` →
``timestamptz`` (values are UTC instants), ``string`` → ``text``, nested types → ``jsonb``.
SQLite stores by affinity; decimals of up to 15 digits are ``NUMERIC(p,s)`` (exact as SQLite
numbers), wider ones ``TEXT`` so no digit is lost; timestamps are ISO-8601 UTC text.
"""

from __future__ import annotations

from catalog.types import Primitive, parse_type
from sluice.errors import InvalidInputException

DIALECTS = ("postgresql", "sqlite")

_SCALARS: dict[str, dict[str, str]] = {
    "postgresql": {
        "tinyint": "smallint",
        "smallint": "smallint",
        "int": "integer",
        "bigint": "bigint",
        "float": "real",
        "double": "double precision",
        "boolean": "boolean",
        "string": "text",
        "void": "text",
        "timestamp": "timestamptz",
        "date": "date",
        "binary": "bytea",
    },
    "sqlite": {
        "tinyint": "INTEGER",
        "smallint": "INTEGER",
        "int": "INTEGER",
        "bigint": "INTEGER",
        "float": "REAL",
        "double": "REAL",
        "boolean": "BOOLEAN",
        "string": "TEXT",
        "void": "TEXT",
        "timestamp": "TIMESTAMP",
        "date": "DATE",
        "binary": "BLOB",
    },
}
_NESTED = {"postgresql": "jsonb", "sqlite": "TEXT"}
#: SQLite numbers keep 15 significant digits; wider decimals are stored as text.
SQLITE_EXACT_DIGITS = 15


def check_dialect(dialect: str) -> str:
    """Return ``dialect`` when Sluice can load into it."""
    if dialect not in DIALECTS:
        raise InvalidInputException(
            f"Warehouse dialect {dialect!r} is not supported.", hint="Use a postgresql+psycopg:// or sqlite:// URL."
        )
    return dialect


def sql_type(hive_type: str, dialect: str) -> str:
    """The SQL column type for a Glue column type in ``dialect`` ("postgresql" or "sqlite")."""
    check_dialect(dialect)
    node = parse_type(hive_type)
    if not isinstance(node, Primitive):
        return _NESTED[dialect]
    if node.name == "decimal":
        precision, scale = node.params
        if dialect == "sqlite" and precision > SQLITE_EXACT_DIGITS:
            return "TEXT"
        return f"{'numeric' if dialect == 'postgresql' else 'NUMERIC'}({precision},{scale})"
    if node.name in ("char", "varchar"):
        return f"{node.name}({node.params[0]})" if dialect == "postgresql" else "TEXT"
    return _SCALARS[dialect][node.name]
