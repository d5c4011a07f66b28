"""Error types shared by every Sluice package.

Each error carries a message a user can act on; ``hint`` names the next command to run.
"""

from __future__ import annotations


class SluiceError(Exception):
    """Base class for errors Sluice reports to users."""

    def __init__(self, message: str, *, hint: str | None = None) -> None:
        self.message = message
        self.hint = hint
        super().__init__(message if not hint else f"{message}\nHint: {hint}")


class EntityNotFoundException(SluiceError):
    """A named catalog, job or crawler object does not exist (Glue's EntityNotFoundException)."""


class AlreadyExistsException(SluiceError):
    """The object being created exists already (Glue's AlreadyExistsException)."""


class InvalidInputException(SluiceError):
    """An argument, file or config is malformed (Glue's InvalidInputException)."""


class ConcurrentRunsExceededException(SluiceError):
    """A job or crawler is already running at its concurrency limit."""
