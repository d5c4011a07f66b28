"""Errors raised while parsing DQDL text or evaluating its conditions."""

from __future__ import annotations

from collections.abc import Sequence

from sluice.errors import InvalidInputException


class DQDLSyntaxError(InvalidInputException):
    """A DQDL document is malformed: bad syntax, an unknown rule type or an invalid rule.

    ``line`` and ``column`` are 1-based; ``token`` is the offending text; ``expected`` lists what
    would have been accepted at that point; ``source`` is the file name, if known; ``text`` is the
    parsed document, used by :meth:`caret`.
    """

    def __init__(
        self,
        message: str,
        *,
        hint: str | None = None,
        line: int = 1,
        column: int = 1,
        token: str = "",
        expected: Sequence[str] = (),
        source: str | None = None,
        text: str = "",
    ) -> None:
        self.reason = message
        self.line = line
        self.column = column
        self.token = token
        self.expected = list(expected)
        self.source = source
        self._text = text
        where = f"{source or '<dqdl>'}:{line}:{column}"
        super().__init__(f"{where}: {message}", hint=hint)

    def caret(self) -> str:
        """Two lines: the offending source line, then spaces and a ``^`` under the column."""
        lines = self._text.splitlines() or [""]
        source_line = lines[self.line - 1] if 0 < self.line <= len(lines) else ""
        prefix = source_line[: self.column - 1]
        pad = "".join("\t" if ch == "\t" else " " for ch in prefix)
        return f"{source_line}\n{pad}^"

    def render(self) -> str:
        """The full report: location and message, the caret excerpt, then the hint if any."""
        parts = [self.message, self.caret()]
        if self.hint:
            parts.append(f"Hint: {self.hint}")
        return "\n".join(parts)


class DQDLEvaluationError(InvalidInputException):
    """A condition cannot be evaluated, e.g. ``index(last(3), 5)`` or a list compared to a number."""
