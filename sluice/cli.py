"""The ``sluice`` command: mounts each package's verbs (catalog, crawler, job, dq, warehouse, lifecycle, airflow).

Groups load lazily (Click's lazy-group pattern): the root knows every group's name and help text from
:data:`LAZY`, and imports a group's module only when that group runs. ``--help`` and shell completion of
group names import none of them; ``tests/test_cli_imports.py`` checks that the help texts here match.
"""

from __future__ import annotations

import gc
import os
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from difflib import get_close_matches
from importlib import import_module
from typing import Any

import typer
from typer._click import Command, Context, HelpFormatter
from typer._click.exceptions import UsageError
from typer._click.shell_completion import CompletionItem
from typer.core import MarkupMode, TyperCommand, TyperGroup
from typer.main import get_command_from_info, get_group_from_info
from typer.models import CommandInfo, TyperInfo

from sluice.console import friendly_errors

#: Group or command name -> ("module:attribute", help shown by the root), in ``--help`` order.
LAZY: dict[str, tuple[str, str]] = {
    "catalog": ("catalog.cli:app", "Browse and edit the data catalog (mirrors `aws glue` catalog verbs)."),
    "crawler": ("catalog.crawler.cli:app", "Define, run and inspect crawlers (mirrors `aws glue` crawler verbs)."),
    "crawl": (
        "catalog.crawler.cli:crawl_command",
        "Define and start a crawler in one call; without --name, repeated crawls of the same paths share state.",
    ),
    "job": ("etl.cli:app", "Define and run Spark jobs, inspect runs and bookmarks (mirrors `aws glue` job verbs)."),
    "dq": (
        "quality.cli:app",
        "Data quality: DQDL rulesets on catalog tables or lake paths (mirrors `aws glue` data-quality verbs).",
    ),
    "warehouse": (
        "warehouse.cli:app",
        "Load cataloged lake tables into the warehouse and unload query results (Redshift COPY/MERGE/UNLOAD).",
    ),
    "lifecycle": (
        "lifecycle.cli:app",
        "S3 lifecycle rules applied to the lake, local or on S3 (plan is the default).",
    ),
    "workflow": ("workflow.cli:app", "Declarative workflows (dags/workflows/*.yaml)."),
    "stepfunctions": (
        "stepfunctions.cli:app",
        "Validate and run Amazon States Language state machines in process (mirrors `aws stepfunctions`).",
    ),
    "access-key": (
        "awsapi.cli:app",
        "Access keys that sign requests to Sluice's AWS-compatible endpoint (mirrors `aws iam` access-key verbs).",
    ),
    "sql": ("athena.cli:sql", "Athena SQL on catalog tables, in process (DuckDB) or on Spark."),
    "airflow": ("sluice.airflow_cli:app", "Run Airflow with Sluice's DAGs and plugins, and trigger DAG runs."),
    "serve": (
        "awsapi.serve_cli:serve",
        "Serve Sluice's catalog, crawlers, jobs and data quality as AWS Glue's API, for boto3 and the AWS CLI.",
    ),
    "demo": (
        "sluice.demo:demo",
        "Run flights_daily for 2013-01 and 2013-02 with `airflow dags test`, then print a summary.",
    ),
}

#: Characters of a command's help shown in its group's list: its whole first sentence.
SHORT_HELP = 1000


class PlainHelpGroup(TyperGroup):
    """A Typer group whose plain ``--help`` wraps each command's first sentence instead of cutting it."""

    def format_commands(self, ctx: Context, formatter: HelpFormatter) -> None:
        rows = []
        for name in self.list_commands(ctx):
            command = self.get_command(ctx, name)
            if command is not None and not command.hidden:
                rows.append((name, command.get_short_help_str(limit=SHORT_HELP)))
        if rows:
            with formatter.section("Commands"):
                formatter.write_dl(rows)


class LazyGroup(PlainHelpGroup):
    """A Typer group whose :data:`LAZY` subcommands are imported when invoked, not when listed."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self._listing = False

    @contextmanager
    def _stubs(self) -> Iterator[None]:
        """While listing (help, completion), ``get_command`` answers with stubs that carry only the help."""
        listing, self._listing = self._listing, True
        try:
            yield
        finally:
            self._listing = listing

    def list_commands(self, ctx: Context) -> list[str]:
        return [*LAZY, *(name for name in super().list_commands(ctx) if name not in LAZY)]

    def get_command(self, ctx: Context, cmd_name: str) -> Command | None:
        if cmd_name not in LAZY or cmd_name in self.commands:
            return super().get_command(ctx, cmd_name)
        if self._listing:
            return TyperCommand(cmd_name, help=LAZY[cmd_name][1], rich_markup_mode=self.rich_markup_mode)
        command = self.commands[cmd_name] = load(cmd_name, self.rich_markup_mode)
        return command

    def resolve_command(self, ctx: Context, args: list[str]) -> tuple[str | None, Command | None, list[str]]:
        try:
            return super().resolve_command(ctx, args)
        except UsageError as exc:  # suggest among every name, not only the groups loaded so far
            if self.suggest_commands and args and "Did you mean" not in exc.message:
                matches = get_close_matches(args[0], self.list_commands(ctx))
                if matches:
                    exc.message = f"{exc.message.rstrip('.')}. Did you mean {', '.join(map(repr, matches))}?"
            raise

    def format_help(self, ctx: Context, formatter: HelpFormatter) -> None:
        with self._stubs():
            super().format_help(ctx, formatter)

    def shell_complete(self, ctx: Context, incomplete: str) -> list[CompletionItem]:
        with self._stubs():
            return super().shell_complete(ctx, incomplete)


def load(name: str, rich_markup_mode: MarkupMode = None) -> Command:
    """Import the module of a :data:`LAZY` entry and build its Click command, as ``add_typer`` would."""
    module, attribute = LAZY[name][0].split(":")
    target = getattr(import_module(module), attribute)
    if isinstance(target, typer.Typer):
        return get_group_from_info(
            TyperInfo(target, name=name, cls=PlainHelpGroup),
            pretty_exceptions_short=app.pretty_exceptions_short,
            suggest_commands=app.suggest_commands,
            rich_markup_mode=rich_markup_mode,
        )
    return get_command_from_info(
        CommandInfo(name=name, callback=friendly_errors(target)),
        pretty_exceptions_short=app.pretty_exceptions_short,
        rich_markup_mode=rich_markup_mode,
    )


# Plain (Click) help and errors: Typer's Rich formatter imports rich.markdown, markdown-it and Pygments,
# which triples the start-up time of `--help`. Command output (tables, progress bars) still uses Rich.
app = typer.Typer(
    cls=LazyGroup,
    help="Sluice: a Glue-style catalog, crawler, job bookmarks, DQDL and lake lifecycle on Airflow and Spark.",
    no_args_is_help=True,
    pretty_exceptions_show_locals=False,
    rich_markup_mode=None,
)

db_app = typer.Typer(help="The metadata database.", no_args_is_help=True)
app.add_typer(db_app, name="db")


@db_app.command("upgrade")
@friendly_errors
def db_upgrade(revision: str = typer.Argument("head")) -> None:
    """Apply metadata migrations (also done automatically on first use)."""
    from sluice.db import get_engine, upgrade
    from sluice.settings import get_settings

    upgrade(get_engine(migrate=False), revision)
    typer.echo(f"Metadata DB at {get_settings().metadata_database_url} is at {revision}.")


START_UP_SECONDS = 2.0
"""How long a command runs without cyclic garbage collection (see :func:`main`)."""


def main() -> None:
    """Console-script entry point.

    Start-up is mostly imports, and Python's cyclic collector spends 10-15% of a short command re-scanning the
    objects they create (``benchmarks/README.md``, SQL). So collection waits: after :data:`START_UP_SECONDS`
    (or in a forked child) the objects alive are frozen, never scanned again, and collection resumes as usual.
    """
    gc.disable()
    os.register_at_fork(after_in_child=_resume_collection)
    resume = threading.Timer(START_UP_SECONDS, _resume_collection)
    resume.daemon = True
    resume.start()
    app()


def _resume_collection() -> None:
    gc.freeze()
    gc.enable()
