"""Load errors: where a bulk write failed, and what the user sees."""

from __future__ import annotations

from sluice.errors import SluiceError


class BulkError(Exception):
    """A bulk write failed; ``line`` (PostgreSQL COPY) or ``row``, and ``column``, say where when known."""

    def __init__(
        self, message: str, *, line: int | None = None, row: int | None = None, column: str | None = None
    ) -> None:
        super().__init__(message)
        self.message = message
        self.line = line
        self.row = row
        self.column = column


class LoadError(SluiceError):
    """A load failed and was rolled back: the target and the load ledger are as they were."""
