"""Glue exclude patterns (pure), for paths relative to an include path or a table location.

Used by the crawler and by reads of tables with an ``exclusions`` parameter; the hidden-file rule is
``sluice.lake.is_hidden``.

Exclude patterns follow Glue's documented glob rules (Java ``glob:`` syntax):

* ``/`` separates folders; ``*`` matches zero or more characters without crossing a ``/``;
  ``**`` matches zero or more characters across folders; ``?`` matches one character except ``/``;
* ``[abc]``, ``[a-z]`` and ``[!a-c]`` match one character (never ``/``) from, or not from, a set;
  inside brackets ``*``, ``?`` and ``\\`` are literal, and ``-`` is literal first (or after ``!``);
* ``{a,b}`` matches either sub-pattern (groups do not nest); ``\\`` escapes the next character;
* a leading ``.`` is an ordinary character (``*`` matches ``.hidden``).

A pattern must match the whole relative path: ``*.csv`` excludes CSV files at the top level only,
``**.csv`` excludes them at any depth, ``departments/**`` everything below ``departments``.
"""

from __future__ import annotations

import re
from collections.abc import Callable

from sluice.errors import InvalidInputException


class GlobSyntaxError(InvalidInputException):
    """An exclude pattern is not a valid glob."""


def glob_to_regex(pattern: str) -> str:
    """Translate one Glue glob into an (unanchored) Python regular expression."""
    out: list[str] = []
    i, n = 0, len(pattern)
    in_group = False
    while i < n:
        char = pattern[i]
        if char == "\\":
            if i + 1 >= n:
                raise GlobSyntaxError(f"Exclude pattern {pattern!r} ends with a lone backslash")
            out.append(re.escape(pattern[i + 1]))
            i += 2
            continue
        if char == "*":
            if pattern.startswith("**", i):
                out.append(".*")
                i += 2
            else:
                out.append("[^/]*")
                i += 1
            continue
        if char == "?":
            out.append("[^/]")
        elif char == "[":
            i = _bracket(pattern, i, out)
            continue
        elif char == "{":
            if in_group:
                raise GlobSyntaxError(f"Exclude pattern {pattern!r} nests '{{' groups, which globs do not allow")
            in_group = True
            out.append("(?:")
        elif char == "}" and in_group:
            in_group = False
            out.append(")")
        elif char == "," and in_group:
            out.append("|")
        else:
            out.append(re.escape(char))
        i += 1
    if in_group:
        raise GlobSyntaxError(f"Exclude pattern {pattern!r} has a '{{' without a closing '}}'")
    return "".join(out)


def _bracket(pattern: str, start: int, out: list[str]) -> int:
    """Translate the bracket expression opening at ``start``; returns the index after it."""
    i = start + 1
    negated = pattern.startswith("!", i)
    if negated:
        i += 1
    members: list[str] = []
    first = True
    while i < len(pattern) and (pattern[i] != "]" or first):
        char = pattern[i]
        if char == "-" and not first and i + 1 < len(pattern) and pattern[i + 1] != "]":
            low, high = members.pop(), pattern[i + 1]
            if high < low:
                raise GlobSyntaxError(f"Exclude pattern {pattern!r} has an invalid range {low}-{high}")
            members.append(f"{re.escape(low)}-{re.escape(high)}")
            i += 2
        else:
            members.append(char)
            i += 1
        first = False
    if i >= len(pattern):
        raise GlobSyntaxError(f"Exclude pattern {pattern!r} has a '[' without a closing ']'")
    body = "".join(m if len(m) > 1 else re.escape(m) for m in members)
    out.append(f"(?!/)[{'^' if negated else ''}{body}]")
    return i + 1


def compile_globs(patterns: list[str]) -> Callable[[str], bool]:
    """One matcher for all ``patterns``: true when a relative path matches any of them.

    Patterns and paths are stripped of surrounding blanks and leading ``/``; blank patterns are
    ignored. Raises :class:`GlobSyntaxError` for a malformed pattern.
    """
    parts = [glob_to_regex(p.strip().lstrip("/")) for p in patterns if p.strip()]
    if not parts:
        return lambda _path: False
    regex = re.compile("|".join(f"(?:{part})" for part in parts), re.DOTALL)
    return lambda path: regex.fullmatch(path.strip().lstrip("/")) is not None
