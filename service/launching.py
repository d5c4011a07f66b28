"""Handing started runs on: :func:`launch` gives recorded work to the context's launcher.

StartJobRun, StartCrawler and StartDataQualityRulesetEvaluationRun record a run and call :func:`launch`.
Inside Airflow the launcher creates a DAG run of a runner DAG (``sluice_airflow.launcher``); elsewhere
:class:`LocalLauncher` starts ``python -m service.runner`` detached on this host. Either way
``service.runner.run`` carries the work out. This module imports no feature package, so each service
module may use it.
"""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Callable

from sluice.context import SluiceContext
from sluice.errors import SluiceError
from sluice.launch import Work


class LocalLauncher:
    """Starts work as a detached ``python -m service.runner`` on this host (``sluice serve``, the CLI)."""

    def launch(self, ctx: SluiceContext, work: Work) -> None:
        """Start the runner process; its output goes to ``<home>/runs/<run id>.log``."""
        from sparkio.session import spark_submit_env

        log_path = ctx.settings.home / "runs" / f"{work.run_id}.log"
        log_path.parent.mkdir(parents=True, exist_ok=True)
        command = [sys.executable, "-m", "service.runner", json.dumps(work.to_conf())]
        with open(log_path, "ab") as out:
            try:
                subprocess.Popen(
                    command,
                    env=spark_submit_env(ctx),
                    stdin=subprocess.DEVNULL,
                    stdout=out,
                    stderr=subprocess.STDOUT,
                    start_new_session=True,
                )
            except OSError as exc:
                raise SluiceError(f"The runner process did not start: {exc}") from exc


def launch(ctx: SluiceContext, work: Work, on_failure: Callable[[str], None]) -> None:
    """Hand ``work`` to ``ctx.launcher`` (a :class:`LocalLauncher` when it has none). When the launcher
    cannot start it, ``on_failure(message)`` ends the recorded run and the error is raised."""
    launcher = ctx.launcher or LocalLauncher()
    try:
        launcher.launch(ctx, work)
    except Exception as exc:
        message = exc.message if isinstance(exc, SluiceError) else f"{type(exc).__name__}: {exc}"
        on_failure(f"The run could not be started: {message}")
        raise
