"""Warehouse identifiers: parse ``schema.table`` targets, validate names, quote them through SQLAlchemy.

Statements are built with SQLAlchemy Core on :func:`table_clause`, which validates every name; the
compiler quotes them. The few statements Core cannot say (``COPY``, ``ALTER TABLE``, ``MERGE``) quote
their names with :class:`Quoter`, which validates them and quotes them with the dialect's identifier
preparer (a ``"`` inside a name is doubled). Either way a hostile name such as ``x"; drop table t; --``
becomes one harmless identifier and is never executed.
"""

from __future__ import annotations

from dataclasses import dataclass

import sqlalchemy as sa
from sqlalchemy.engine import Dialect

from sluice.errors import InvalidInputException

#: PostgreSQL truncates longer names silently (NAMEDATALEN - 1 bytes); we refuse them instead.
MAX_BYTES = 63
#: Prefix of the bookkeeping columns and tables the loader creates; source columns may not use it.
RESERVED_PREFIX = "_sluice_"


@dataclass(frozen=True)
class TableRef:
    """A warehouse table; ``schema`` None means the connection's default schema."""

    schema: str | None
    name: str

    def __str__(self) -> str:
        return f"{self.schema}.{self.name}" if self.schema else self.name


def check_identifier(name: str, kind: str = "column") -> str:
    """Return ``name`` when it can be a SQL identifier; raise InvalidInputException otherwise."""
    if not name:
        raise InvalidInputException(f"Invalid {kind} name: it is empty.")
    if any(ord(ch) < 32 or ord(ch) == 127 for ch in name):
        raise InvalidInputException(f"Invalid {kind} name {name!r}: control characters are not allowed.")
    if len(name.encode()) > MAX_BYTES:
        raise InvalidInputException(f"Invalid {kind} name {name!r}: longer than {MAX_BYTES} bytes.")
    return name


def parse_target(text: str) -> TableRef:
    """Parse ``table``, ``schema.table`` or double-quoted parts (``"My Schema"."a.b"``).

    Unquoted parts fold to lower case as SQL does; quoted parts keep their case and may hold dots.
    """
    parts: list[str] = []
    pos = 0
    while True:
        if text.startswith('"', pos):
            end = pos + 1
            chars: list[str] = []
            while True:
                close = text.find('"', end)
                if close < 0:
                    raise InvalidInputException(f"Invalid target {text!r}: unterminated quoted name.")
                chars.append(text[end:close])
                if text.startswith('"', close + 1):
                    chars.append('"')
                    end = close + 2
                    continue
                break
            parts.append("".join(chars))
            pos = close + 1
        else:
            dot = text.find(".", pos)
            end = len(text) if dot < 0 else dot
            parts.append(text[pos:end].strip().lower())
            pos = end
        if pos == len(text):
            break
        if text[pos] != ".":
            raise InvalidInputException(f"Invalid target {text!r}: expected '.' after a quoted name.")
        pos += 1
    if len(parts) > 2:
        raise InvalidInputException(f"Invalid target {text!r}: use TABLE or SCHEMA.TABLE.")
    schema = check_identifier(parts[0], "schema") if len(parts) == 2 else None
    return TableRef(schema, check_identifier(parts[-1], "table"))


def table_clause(ref: TableRef, names: list[str] | tuple[str, ...] = ()) -> sa.TableClause:
    """An ad-hoc Core table for ``ref`` with the columns ``names``, every name validated."""
    check_identifier(ref.name, "table")
    if ref.schema is not None:
        check_identifier(ref.schema, "schema")
    return sa.table(ref.name, *(sa.column(check_identifier(n)) for n in names), schema=ref.schema)


class Quoter:
    """Validates and quotes identifiers with one dialect's identifier preparer."""

    def __init__(self, dialect: Dialect) -> None:
        self.dialect = dialect
        self._preparer = dialect.identifier_preparer

    def ident(self, name: str) -> str:
        """One quoted identifier."""
        return self._preparer.quote_identifier(check_identifier(name))

    def table(self, ref: TableRef) -> str:
        """A schema-qualified, quoted table name."""
        name = self.ident(ref.name)
        return f"{self.ident(ref.schema)}.{name}" if ref.schema else name

    def columns(self, names: list[str]) -> str:
        """A comma-separated list of quoted column names."""
        return ", ".join(self.ident(n) for n in names)


def check_columns(names: list[str]) -> list[str]:
    """Validate source column names: legal, unique and clear of the loader's reserved prefix."""
    seen: set[str] = set()
    for name in names:
        check_identifier(name)
        if name.lower().startswith(RESERVED_PREFIX):
            raise InvalidInputException(f"Column {name!r} uses the reserved prefix {RESERVED_PREFIX!r}.")
        if name.lower() in seen:
            raise InvalidInputException(f"Column {name!r} appears twice in the source (names compare case-blind).")
        seen.add(name.lower())
    return names
