"""Spark SQL translated to DuckDB SQL once, and remembered across processes.

    translate = Translations.for_context(ctx).translate
    translate("origin = 'JFK'", "where clause")        # '"origin" = \'JFK\''

Importing sqlglot and loading its Spark and DuckDB dialects takes about 0.15 s, as long as the in-process
engine's aggregate pass over 300k rows. A translation (:func:`~quality.engines.sqlexpr.from_spark`) depends
only on the statement, sqlglot's version and that function's code, so like Python's bytecode cache the answers
are kept in a file under the home folder, and a ruleset checked before translates its ``where`` clauses and
CustomSql without importing sqlglot. Statements that do not translate are not kept (each run reports their error
afresh); a file written for another version (:func:`translator_version`), or unreadable, is ignored and replaced.
"""

from __future__ import annotations

import hashlib
import json
import logging
import marshal
from pathlib import Path
from typing import TYPE_CHECKING

from quality.engines.sqlexpr import from_spark
from sluice.lake.fs import write_bytes

if TYPE_CHECKING:
    from sluice.context import SluiceContext

CACHE_FILE = Path("cache") / "duckdb-sql.json"
"""The translations' file, under the home folder."""
MAX_ENTRIES = 2000
"""Translations kept; the oldest go first."""
log = logging.getLogger("sluice.dq")


def translator_version() -> str:
    """What a translation depends on: sqlglot's version (from its package metadata: sqlglot is not imported)
    and the code of :func:`~quality.engines.sqlexpr.from_spark`, so that a change to either voids the file."""
    from importlib.metadata import version

    code = hashlib.sha256(marshal.dumps(from_spark.__wrapped__.__code__)).hexdigest()[:16]
    return f"sqlglot {version('sqlglot')}, from_spark {code}"


class Translations:
    """:func:`~quality.engines.sqlexpr.from_spark` backed by the answers stored in ``path``."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._known: dict[str, str] | None = None
        self._version = ""

    @classmethod
    def for_context(cls, ctx: SluiceContext | None = None) -> Translations:
        """The translations kept under the context's home folder."""
        from sluice.context import SluiceContext

        return cls(SluiceContext.resolve(ctx).settings.home / CACHE_FILE)

    def translate(self, statement: str, what: str) -> str:
        """``statement`` as DuckDB SQL; RuleError naming ``what`` when it does not parse (nothing is stored)."""
        known = self._load()
        sql = known.get(statement)
        if sql is None:
            sql = known[statement] = from_spark(statement, what)
            while len(known) > MAX_ENTRIES:
                del known[next(iter(known))]
            self._save(known)
        return sql

    def _load(self) -> dict[str, str]:
        if self._known is None:
            self._version = translator_version()
            try:
                stored = json.loads(self.path.read_text(encoding="utf-8"))
            except (OSError, ValueError):
                stored = None
            same = isinstance(stored, dict) and stored.get("version") == self._version
            entries = stored.get("translations") if same else None
            self._known = {k: v for k, v in entries.items() if isinstance(v, str)} if isinstance(entries, dict) else {}
        return self._known

    def _save(self, known: dict[str, str]) -> None:
        """Replace the file (a concurrent writer's entries may be lost: they come back on use)."""
        document = {"version": self._version, "translations": known}
        try:
            write_bytes(str(self.path), json.dumps(document, ensure_ascii=False).encode())
        except OSError as exc:  # a read-only home: the translation stands, it is only not kept
            log.debug("Could not keep SQL translations in %s: %s", self.path, exc)
