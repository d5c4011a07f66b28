"""Tokenizer for DQDL, following the token rules of awslabs/dqdl ``CommonLexerRules.g4``.

Like the ANTLR lexer, the longest match wins and, on a tie, keywords and numbers beat identifiers:
``days`` is a keyword, ``1.5`` a decimal, ``col_1`` and ``1.5.3`` identifiers. A quoted string
shaped ``"yyyy-mm-dd"`` is a DATE token and ``"9:30 AM"`` / ``"09:30"`` a TIME token.
"""

from __future__ import annotations

import bisect
import re
from dataclasses import dataclass

from quality.dqdl.errors import DQDLSyntaxError

KEYWORDS: dict[str, str] = {
    "and": "AND",
    "AND": "AND",
    "or": "OR",
    "OR": "OR",
    "of": "OF",
    "OF": "OF",
    "null": "NULL",
    "NULL": "NULL",
    "empty": "EMPTY",
    "EMPTY": "EMPTY",
    "whitespaces_only": "WHITESPACES_ONLY",
    "WHITESPACES_ONLY": "WHITESPACES_ONLY",
    "between": "BETWEEN",
    "in": "IN",
    "not": "NOT",
    "matches": "MATCHES",
    "with": "WITH",
    "where": "WHERE",
    "labels": "LABELS",
    "days": "DURATION_UNIT",
    "hours": "DURATION_UNIT",
    "minutes": "DURATION_UNIT",
    "B": "SIZE_UNIT",
    "KB": "SIZE_UNIT",
    "MB": "SIZE_UNIT",
    "GB": "SIZE_UNIT",
    "TB": "SIZE_UNIT",
    "Metadata": "METADATA",
    "DataSources": "DATA_SOURCES",
    "DefaultLabels": "DEFAULT_LABELS",
    "Rules": "RULES",
    "Analyzers": "ANALYZERS",
}

PUNCTUATION = ("<=", ">=", "(", ")", "[", "]", "{", "}", ",", ":", "=", "!", "<", ">", "-", "+", "*", "/", "$")

_WORD = re.compile(r"[a-zA-Z0-9_.]+")
_INT = re.compile(r"[0-9]+")
_DECIMAL = re.compile(r"[0-9]+\.[0-9]+")
_DATE = re.compile(r'"[0-9]{4}-[0-9]{2}-[0-9]{2}"')
_TIME = re.compile(r'"(?:[0-9]{1,2}:[0-9]{2} (?:AM|PM)|[0-9]{2}:[0-9]{2})"')


@dataclass(frozen=True, slots=True)
class Token:
    """One token: ``kind`` is a category (``STRING``, ``INT``, ``IDENT``, ``AND``, ``(`` ...)."""

    kind: str
    text: str
    start: int
    end: int
    line: int
    column: int


class Lexer:
    """Splits DQDL text into tokens and maps offsets back to line and column."""

    def __init__(self, text: str, source: str | None = None) -> None:
        self.text = text
        self.source = source
        self._line_starts = [0] + [m.end() for m in re.finditer("\n", text)]

    def position(self, offset: int) -> tuple[int, int]:
        """The 1-based (line, column) of a character offset."""
        index = bisect.bisect_right(self._line_starts, offset) - 1
        return index + 1, offset - self._line_starts[index] + 1

    def error(self, message: str, offset: int, token: str, expected: list[str] | None = None) -> DQDLSyntaxError:
        """A syntax error located at ``offset``."""
        line, column = self.position(offset)
        return DQDLSyntaxError(
            message,
            line=line,
            column=column,
            token=token,
            expected=expected or [],
            source=self.source,
            text=self.text,
        )

    def tokens(self) -> list[Token]:
        """All tokens, ending with an ``EOF`` token; comments and whitespace are skipped."""
        out: list[Token] = []
        text, pos, size = self.text, 0, len(self.text)
        while pos < size:
            ch = text[pos]
            if ch in " \t\r\n":
                pos += 1
            elif ch == "#" or text.startswith("//", pos):
                newline = text.find("\n", pos)
                pos = size if newline < 0 else newline + 1
            elif ch == '"':
                kind, end = self._string(pos)
                out.append(self._make(kind, pos, end))
                pos = end
            elif _WORD.match(ch):
                kind, end = self._word(pos)
                out.append(self._make(kind, pos, end))
                pos = end
            else:
                punct = next((p for p in PUNCTUATION if text.startswith(p, pos)), None)
                if punct is None:
                    raise self.error(f"unexpected character {ch!r}", pos, ch)
                out.append(self._make(punct, pos, pos + len(punct)))
                pos += len(punct)
        out.append(self._make("EOF", size, size))
        return out

    def _make(self, kind: str, start: int, end: int) -> Token:
        line, column = self.position(start)
        return Token(kind, self.text[start:end], start, end, line, column)

    def _string(self, start: int) -> tuple[str, int]:
        for pattern, kind in ((_DATE, "DATE"), (_TIME, "TIME")):
            match = pattern.match(self.text, start)
            if match:
                return kind, match.end()
        pos = start + 1
        while pos < len(self.text):
            ch = self.text[pos]
            if ch == "\\" and self.text[pos + 1 : pos + 2] in ('"', "\\"):
                pos += 2
            elif ch == '"':
                return "STRING", pos + 1
            else:
                pos += 1
        raise self.error("unterminated string", start, self.text[start : start + 20], ["a closing '\"'"])

    def _word(self, start: int) -> tuple[str, int]:
        match = _WORD.match(self.text, start)
        assert match is not None, "called at a word character"
        word = match.group()
        end = start + len(word)
        if word == "now" and self.text.startswith("()", end):
            return "NOW", end + 2
        if _INT.fullmatch(word):
            return "INT", end
        if _DECIMAL.fullmatch(word):
            return "DECIMAL", end
        return KEYWORDS.get(word, "IDENT"), end
