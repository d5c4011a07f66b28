"""``Job``: one Glue job run, ``job.init(name, args)`` … ``job.commit()``, as a Sluice ``JobContext``.

``init`` starts the run (arguments such as ``--job-bookmark-option`` are read from ``sys.argv``, as Glue
passes them); ``commit`` publishes every staged write, advances the bookmarks and records the run
SUCCEEDED in one transaction. A script that raises, or ends without ``commit``, changes nothing and its
run is recorded FAILED.
"""

from __future__ import annotations

import atexit
import sys
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from etl.context import JobContext
from sluice.errors import InvalidInputException

if TYPE_CHECKING:
    from awsglue.context import GlueContext


class Job:
    """Glue's ``awsglue.job.Job``."""

    def __init__(self, glue_context: GlueContext) -> None:
        self._glue = glue_context
        self._run: JobContext | None = None

    @staticmethod
    def continuation_options() -> list[str]:
        return ["--continuation-option", "continuation-enabled", "continuation-readonly", "continuation-ignore"]

    def isInitialized(self) -> bool:
        return self._run is not None

    def init(self, job_name: str, args: Mapping[str, Any] | None = None) -> None:
        """Start the run of ``job_name`` (``args`` as ``getResolvedOptions`` returned them)."""
        if self._run is not None:
            raise InvalidInputException(f"Job {job_name} is initialized already; init runs once.")
        argv = [*sys.argv, "--JOB_NAME", job_name]
        option = (args or {}).get("job_bookmark_option")
        if option and "--job-bookmark-option" not in " ".join(sys.argv):
            argv += ["--job-bookmark-option", option]
        self._run = JobContext.from_argv(argv, self._glue.spark_session, ctx=self._glue.ctx)
        self._glue._job = self._run
        previous = sys.excepthook

        def on_error(kind: type[BaseException], exc: BaseException, tb: Any) -> None:
            self._end(exc)
            previous(kind, exc, tb)

        sys.excepthook = on_error
        atexit.register(self._end, RuntimeError("the script ended without job.commit(); nothing was published"))

    def commit(self) -> dict[str, Any]:
        """Commit the run: staged writes published, bookmarks advanced, run SUCCEEDED."""
        if self._run is None:
            raise InvalidInputException("job.commit() before job.init(name, args).")
        run = self._run.commit()
        self._glue._job = None
        self._glue.catalog_bridge.refresh()  # tables and partitions the commit added are seen by spark.sql
        return run

    def _end(self, exc: BaseException) -> None:
        """Record the run FAILED with ``exc`` unless it has ended (a no-op after commit)."""
        if self._run is not None:
            self._run.fail(exc)
            self._glue._job = None
