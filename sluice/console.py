"""Shared CLI output: JSON in Glue's shapes, Rich tables, progress bars, and friendly errors."""

from __future__ import annotations

import functools
import json
import sys
from collections.abc import Callable, Iterable, Sequence
from datetime import date, datetime
from decimal import Decimal
from typing import Any, ParamSpec, TypeVar

import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, SpinnerColumn, TextColumn, TimeElapsedColumn
from rich.table import Table

from sluice.errors import SluiceError

console = Console()
err_console = Console(stderr=True)

P = ParamSpec("P")
R = TypeVar("R")


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
    return json.dumps(payload, indent=4, default=_default)


def print_json(payload: Any) -> None:
    """Print a response document to stdout (no Rich markup, so it pipes into jq)."""
    sys.stdout.write(dumps(payload) + "\n")


def print_table(title: str, columns: Sequence[str], rows: Iterable[Sequence[Any]]) -> None:
    """Print a Rich table."""
    table = Table(title=title, header_style="bold cyan")
    for column in columns:
        table.add_column(column)
    for row in rows:
        table.add_row(*("" if v is None else str(v) for v in row))
    console.print(table)


def progress() -> Progress:
    """A Rich progress bar for long work (rendered on stderr so --json output stays clean)."""
    return Progress(
        SpinnerColumn(),
        TextColumn("[bold]{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=err_console,
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
