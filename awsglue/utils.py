"""``getResolvedOptions``: Glue's job-argument parser, over ``etl.args.get_resolved_options``."""

from __future__ import annotations

from collections.abc import Sequence

from etl.args import get_resolved_options
from sluice.errors import InvalidInputException


class GlueArgumentError(InvalidInputException):
    """A job argument is missing, reserved or malformed (Glue's ``GlueArgumentError``)."""


def getResolvedOptions(args: Sequence[str], options: Sequence[str]) -> dict[str, str | None]:
    """The values of ``options`` (names without ``--``) from ``args`` (``sys.argv``), each required.

    Arguments are ``--NAME value`` or ``--NAME=value``; names are never abbreviated (Glue 5's
    ``allow_abbrev=False``), unknown ones are ignored. The result also holds Glue's own arguments
    (``job_bookmark_option``, ``JOB_ID``, ``JOB_RUN_ID``, ``TempDir`` …, ``None`` when absent).
    Requesting a reserved name such as ``job-bookmark-option`` raises :class:`GlueArgumentError`.
    """
    argv = list(args)
    given = {arg[2:].partition("=")[0] for arg in argv[1:] if arg.startswith("--")}
    missing = [name for name in options if name not in given and name not in ("TempDir", "RedshiftTempDir")]
    try:
        resolved = get_resolved_options(argv, list(options))
    except InvalidInputException as exc:
        raise GlueArgumentError(exc.message, hint=exc.hint) from None
    if missing:  # argparse would take an abbreviation (--JOB for --JOB_NAME); Glue does not
        raise GlueArgumentError(
            f"Missing required job argument(s) {', '.join('--' + n for n in missing)}; "
            f"arguments given: {', '.join(sorted('--' + g for g in given)) or 'none'}"
        )
    return resolved
