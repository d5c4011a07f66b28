"""Job arguments: Glue's ``getResolvedOptions`` and Sluice's typed :class:`JobArguments`.

Both read ``sys.argv`` as Glue does: ``argv[0]`` is the script and is skipped, and arguments
are ``--name value`` or ``--name=value``.
"""

from __future__ import annotations

import argparse
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, NoReturn

from etl.bookmarks.state import BOOKMARK_MODES, BOOKMARK_OPTIONS, BookmarkMode, BookmarkOption
from sluice.errors import InvalidInputException

_RANGE = ("job-bookmark-from", "job-bookmark-to")
_RESERVED = ("job-bookmark-option", *_RANGE, "JOB_ID", "JOB_RUN_ID", "SECURITY_CONFIGURATION")
_TEMP_DIRS = ("TempDir", "RedshiftTempDir")


class _GlueArgumentParser(argparse.ArgumentParser):
    """Raises instead of printing usage and exiting, like Glue's ``GlueArgumentParser``."""

    def error(self, message: str) -> NoReturn:
        raise InvalidInputException(f"Invalid job arguments: {message}")


def get_resolved_options(argv: list[str], options: list[str]) -> dict[str, str | None]:
    """Glue's ``getResolvedOptions(sys.argv, options)``.

    Every name in ``options`` (given without ``--``) is required; unknown arguments are ignored.
    The result also holds Glue's own arguments, ``None`` when absent: ``job_bookmark_option``
    (default ``job-bookmark-disable``), ``job_bookmark_from``, ``job_bookmark_to``, ``JOB_ID``,
    ``JOB_RUN_ID``, ``SECURITY_CONFIGURATION``, and ``TempDir`` / ``RedshiftTempDir`` (each
    defaults to the other). As in Glue, a name's hyphens become underscores in its key.
    """
    reserved = [name for name in options if name in _RESERVED]
    if reserved:
        raise InvalidInputException(
            f"Using reserved argument(s) {', '.join('--' + name for name in reserved)}",
            hint="Glue passes these itself; read them from the resolved options instead of requesting them",
        )
    parser = _GlueArgumentParser(add_help=False)
    parser.add_argument("--job-bookmark-option", choices=BOOKMARK_OPTIONS)
    for name in (*_RESERVED[1:], *_TEMP_DIRS):
        parser.add_argument(f"--{name}")
    wanted = {name: parser.add_argument(f"--{name}").dest for name in dict.fromkeys(options) if name not in _TEMP_DIRS}
    resolved = vars(parser.parse_known_args(argv[1:])[0])
    missing = [name for name, dest in wanted.items() if resolved[dest] is None]
    if missing:
        given = sorted({arg.partition("=")[0] for arg in argv[1:] if arg.startswith("--")})
        raise InvalidInputException(
            f"Missing required job argument(s) {', '.join('--' + name for name in missing)}; "
            f"arguments given: {', '.join(given) or 'none'}"
        )
    if resolved["TempDir"] is not None:
        resolved["RedshiftTempDir"] = resolved["TempDir"]
    elif resolved["RedshiftTempDir"] is not None:
        resolved["TempDir"] = resolved["RedshiftTempDir"]
    option = resolved["job_bookmark_option"] or "job-bookmark-disable"
    resolved["job_bookmark_option"] = option
    absent = [name for name in _RANGE if resolved[name.replace("-", "_")] is None]
    if option == "job-bookmark-pause" and len(absent) == 1:
        raise InvalidInputException(f"Missing option or value for --{absent[0]}")
    if option != "job-bookmark-pause" and not absent:
        raise InvalidInputException(
            "Invalid option(s) --job-bookmark-from --job-bookmark-to: only valid with job-bookmark-pause"
        )
    return resolved


@dataclass(frozen=True)
class JobArguments:
    """The arguments a Sluice job run understands; anything else lands in ``extra``."""

    job_name: str  # --JOB_NAME
    job_run_id: str | None = None  # --JOB_RUN_ID
    bookmark_option: BookmarkOption = "job-bookmark-disable"  # --job-bookmark-option
    bookmark_from: str | None = None  # --job-bookmark-from (pause only)
    bookmark_to: str | None = None  # --job-bookmark-to (pause only)
    bookmark_mode: BookmarkMode = "mtime"  # --bookmark-mode
    max_bad_records: int = 0  # --max-bad-records
    bounded_files: int | None = None  # --bounded-files
    bounded_size: int | None = None  # --bounded-size (bytes)
    max_concurrent_runs: int = 1  # --max-concurrent-runs
    timeout: float | None = None  # --timeout (minutes, as Glue's job Timeout; fractions allowed)
    extra: dict[str, str] = field(default_factory=dict)
    given: dict[str, str] = field(default_factory=dict, compare=False)  # every argument as passed, for the run record

    def __post_init__(self) -> None:
        if not self.job_name:
            raise InvalidInputException("--JOB_NAME is required")
        _check_choice("--job-bookmark-option", self.bookmark_option, BOOKMARK_OPTIONS)
        _check_choice("--bookmark-mode", self.bookmark_mode, BOOKMARK_MODES)
        if (self.bookmark_from is None) != (self.bookmark_to is None):
            raise InvalidInputException("--job-bookmark-from and --job-bookmark-to must be given together")
        if self.bookmark_from is not None and self.bookmark_option != "job-bookmark-pause":
            raise InvalidInputException(
                "--job-bookmark-from and --job-bookmark-to are only valid with --job-bookmark-option job-bookmark-pause"
            )
        if self.bounded_files is not None and self.bounded_size is not None:
            raise InvalidInputException(
                "Set only one of --bounded-files or --bounded-size: Glue supports a single boundary"
            )
        for flag, value, minimum in (
            ("--max-bad-records", self.max_bad_records, 0),
            ("--bounded-files", self.bounded_files, 1),
            ("--bounded-size", self.bounded_size, 1),
            ("--max-concurrent-runs", self.max_concurrent_runs, 1),
        ):
            if value is not None and value < minimum:
                raise InvalidInputException(f"{flag} must be an integer >= {minimum}, got {value}")
        if self.timeout is not None and not self.timeout > 0:
            raise InvalidInputException(f"--timeout must be a positive number of minutes, got {self.timeout}")

    @classmethod
    def from_argv(cls, argv: list[str]) -> JobArguments:
        """Parse ``sys.argv``; a ``--flag`` with no value (``--enable-metrics``) maps to ``""``."""
        args = _pairs(argv[1:])
        given = {f"--{name}": value for name, value in args.items()}
        return cls(
            job_name=_text(args, "JOB_NAME") or "",
            job_run_id=_text(args, "JOB_RUN_ID"),
            bookmark_option=_text(args, "job-bookmark-option") or "job-bookmark-disable",
            bookmark_from=_text(args, "job-bookmark-from"),
            bookmark_to=_text(args, "job-bookmark-to"),
            bookmark_mode=_text(args, "bookmark-mode") or "mtime",
            max_bad_records=_number(args, "max-bad-records", 0),
            bounded_files=_number(args, "bounded-files", None),
            bounded_size=_number(args, "bounded-size", None),
            max_concurrent_runs=_number(args, "max-concurrent-runs", 1),
            timeout=_number(args, "timeout", None, float),
            extra=args,
            given=given,
        )

    def recorded(self) -> dict[str, str]:
        """The run's Arguments as GetJobRun shows them."""
        return {"--JOB_NAME": self.job_name, "--job-bookmark-option": self.bookmark_option, **self.given}


def _pairs(tokens: list[str]) -> dict[str, str]:
    pairs: dict[str, str] = {}
    index = 0
    while index < len(tokens):
        name, eq, value = tokens[index].partition("=")
        if not name.startswith("--") or name == "--":
            raise InvalidInputException(
                f"Unexpected job argument {tokens[index]!r}: expected --name value or --name=value"
            )
        if not eq and index + 1 < len(tokens) and not tokens[index + 1].startswith("--"):
            index += 1
            value = tokens[index]
        pairs[name[2:]] = value
        index += 1
    return pairs


def _text(args: dict[str, str], name: str) -> str | None:
    """Remove and return ``--name``'s value (``None`` when absent)."""
    if name not in args:
        return None
    value = args.pop(name)
    if not value:
        raise InvalidInputException(f"--{name} needs a value")
    return value


def _number(args: dict[str, str], name: str, default: Any, convert: Callable[[str], Any] = int) -> Any:
    """``--name``'s value as ``convert`` (int or float) reads it, or ``default`` when absent."""
    value = _text(args, name)
    if value is None:
        return default
    try:
        return convert(value)
    except ValueError:
        kind = "an integer" if convert is int else "a number"
        raise InvalidInputException(f"--{name} must be {kind}, got {value!r}") from None


def _check_choice(flag: str, value: str, allowed: tuple[str, ...]) -> None:
    if value not in allowed:
        raise InvalidInputException(f"{flag} must be one of {', '.join(allowed)}, got {value!r}")
