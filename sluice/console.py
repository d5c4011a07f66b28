"""Shared CLI output: JSON in Glue's shapes, Rich tables, progress bars, and friendly errors.

Rich loads on first use (a table, a bar, a message), so ``--json`` commands and ``--help`` never import it.
"""

from __future__ import annotations

import functools
import json
import sys
from collections.abc import Callable, Iterable, Sequence
from datetime import date, datetime
from decimal import Decimal
from typing import TYPE_CHECKING, Any, ParamSpec, TypeVar, cast

import typer

from sluice.errors import SluiceError

if TYPE_CHECKING:
    from rich.console import Console
    from rich.progress import Progress

P = ParamSpec("P")
R = TypeVar("R")


class LazyConsole:
    """A Rich ``Console`` built on first attribute access; until then Rich is not imported."""

    def __init__(self, **options: Any) -> None:
        self._options = options
        self._console: Console | None = None

    def get(self) -> Console:
        """The real console."""
        if self._console is None:
            from rich.console import Console

            self._console = Console(**self._options)
        return self._console

    def __getattr__(self, name: str) -> Any:
        return getattr(self.get(), name)


console = cast("Console", LazyConsole())
err_console = cast("Console", LazyConsole(stderr=True))


def _default(value: Any) -> Any:
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return float(value)
    if isinstance(value, set | frozenset | tuple):
        return list(value)
    raise TypeError(f"not JSON serialisable: {type(value).__name__}")


def dumps(payload: Any) -> str:
    """JSON text as the AWS CLI prints it: indented, keys in the API's order."""
    return json.dumps(payload, indent=4, ensure_ascii=False, default=_default)  # non-ASCII as is, like the CLI


def print_json(payload: Any) -> None:
    """Print a response document to stdout (no Rich markup, so it pipes into jq)."""
    sys.stdout.write(dumps(payload) + "\n")


def print_table(title: str, columns: Sequence[str], rows: Iterable[Sequence[Any]]) -> None:
    """Print a Rich table."""
    from rich.table import Table

    table = Table(title=title, header_style="bold cyan")
    for column in columns:
        table.add_column(column)
    for row in rows:
        table.add_row(*("" if v is None else str(v) for v in row))
    console.print(table)


def print_record(response: dict[str, Any], key: str, title: str, json_: bool) -> None:
    """A Glue response holding one object under ``key``: the whole document with ``--json``, else a field table."""
    if json_:
        print_json(response)
    else:
        print_table(title, ["Field", "Value"], response[key].items())


def progress() -> Progress:
    """A Rich progress bar for long work (rendered on stderr so --json output stays clean)."""
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, SpinnerColumn, TextColumn, TimeElapsedColumn

    return Progress(
        SpinnerColumn(),
        TextColumn("[bold]{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=cast(LazyConsole, err_console).get(),
        transient=True,
    )


def friendly_errors(func: Callable[P, R]) -> Callable[P, R]:
    """Turn a ``SluiceError`` into a red message and exit code 2 instead of a traceback."""

    @functools.wraps(func)
    def wrapper(*args: P.args, **kwargs: P.kwargs) -> R:
        try:
            return func(*args, **kwargs)
        except SluiceError as exc:
            err_console.print(f"[bold red]{type(exc).__name__}:[/] {exc.message}", highlight=False)
            if exc.hint:
                err_console.print(f"[yellow]Hint:[/] {exc.hint}", highlight=False)
            raise typer.Exit(2) from None

    return wrapper
