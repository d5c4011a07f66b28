"""Thin operators over the Sluice packages; each returns the Glue-shaped result as its XCom.

Heavy packages (pyspark, pandas, GX, boto3) are imported inside ``execute`` only, so DAG files stay light.
The crawler, Spark job and warehouse load operators list the ``sluice-tables`` AssetAlias in their outlets
and record an asset event for each table they created or changed (``sluice://<database>/<table>``).
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

from airflow.providers.apache.spark.operators.spark_submit import SparkSubmitOperator
from airflow.sdk import BaseOperator

from sluice_airflow.assets import TABLES, Table, crawl_tables, emit_table_events, job_tables, load_tables
from sluice_airflow.hooks import SluiceHook


def job_script(script: str) -> str:
    """An absolute script path; bare names resolve to ``etl/jobs/<name>``."""
    if Path(script).is_absolute():
        return script
    import etl

    return str(Path(etl.__file__).parent / "jobs" / script)


def job_arguments(job_name: str, bookmark_option: str, job_args: dict[str, Any] | None) -> list[str]:
    """Glue-style ``--KEY value`` arguments for a Sluice job script."""
    args = ["--JOB_NAME", job_name, "--job-bookmark-option", bookmark_option]
    for key, value in (job_args or {}).items():
        if isinstance(value, list | tuple):
            value = ",".join(str(v) for v in value)
        args += [f"--{key}", str(value)]
    return args


def given_flags(args: Sequence[Any]) -> dict[str, str]:
    """The ``--name value`` / ``--name=value`` pairs in a job's arguments, as the job reads them (the last wins)."""
    tokens = [str(a) for a in args]
    flags: dict[str, str] = {}
    index = 0
    while index < len(tokens):
        name, eq, value = tokens[index].partition("=")
        if name.startswith("--") and name != "--":
            if not eq and index + 1 < len(tokens) and not tokens[index + 1].startswith("--"):
                index += 1
                value = tokens[index]
            flags[name[2:]] = value
        index += 1
    return flags


def job_application_args(
    application_args: Sequence[Any] | None, generated: list[str], run_id: str
) -> tuple[list[Any], dict[str, str]]:
    """The user's ``application_args`` as given, then each ``--KEY value`` pair of ``generated`` they do not set,
    then ``--JOB_RUN_ID run_id`` unless either set one; also the flags the job will read from the result.
    """
    args = list(application_args or [])
    given = given_flags(args)
    for flag, value in zip(generated[::2], generated[1::2], strict=True):
        if flag[2:] not in given:
            args += [flag, value]
    if "JOB_RUN_ID" not in given_flags(args):
        args += ["--JOB_RUN_ID", run_id]
    return args, given_flags(args)


def with_tables_outlet(kwargs: dict[str, Any]) -> dict[str, Any]:
    """Operator kwargs whose ``outlets`` include ``TABLES``, so the task may emit table asset events."""
    outlets = list(kwargs.get("outlets") or [])
    return {**kwargs, "outlets": outlets if TABLES in outlets else [*outlets, TABLES]}


class EmitsTables:
    """Mixin for operators that change catalog or warehouse tables."""

    log: Any

    def emit_tables(self, context: Any, tables: list[Table], extra: dict[str, Any]) -> list[str]:
        """Record an asset event per changed table, and log which."""
        uris = emit_table_events(context, tables, extra)
        self.log.info("Asset events: %s", ", ".join(uris) if uris else "none (no table changed)")
        return uris


class SluiceCrawlerOperator(EmitsTables, BaseOperator):
    """Crawl lake paths into a catalog database (Glue StartCrawler); XCom: the crawl run, without its log.

    With ``paths`` and ``database_name`` the crawler is (re)defined first, as ``sluice crawl`` does; with only
    ``crawler_name`` an existing crawler runs as defined.
    """

    template_fields: Sequence[str] = ("paths", "database_name", "crawler_name")
    ui_color = "#cfe8fc"

    def __init__(
        self,
        *,
        paths: list[str] | None = None,
        database_name: str | None = None,
        crawler_name: str | None = None,
        options: dict[str, Any] | None = None,
        sluice_conn_id: str = SluiceHook.default_conn_name,
        **kwargs: Any,
    ) -> None:
        super().__init__(**with_tables_outlet(kwargs))
        if not (paths and database_name) and not crawler_name:
            raise ValueError("SluiceCrawlerOperator needs paths and database_name, or the crawler_name of a crawler")
        self.paths = paths
        self.database_name = database_name
        self.crawler_name = crawler_name
        self.options = options or {}
        self.sluice_conn_id = sluice_conn_id

    def execute(self, context: Any) -> dict[str, Any]:
        ctx = SluiceHook(self.sluice_conn_id).get_conn()
        from catalog.crawler.run import crawl, start_crawler
        from service import crawlers

        if self.paths and self.database_name:
            self.log.info("Crawling %s into database %s", ", ".join(self.paths), self.database_name)
            run = crawl(
                list(self.paths), database_name=self.database_name, name=self.crawler_name, ctx=ctx, **self.options
            )
            database = self.database_name
        else:
            database = crawlers.get_crawler(ctx, Name=self.crawler_name)["Crawler"]["DatabaseName"]
            self.log.info("Starting crawler %s (database %s)", self.crawler_name, database)
            run = start_crawler(self.crawler_name, ctx=ctx)
        metrics = run["Metrics"]
        self.log.info(
            "Crawl %s: %s; tables created %s, updated %s; partitions added %s; files scanned %s",
            run["CrawlId"],
            run["Status"],
            metrics["TablesCreated"],
            metrics["TablesUpdated"],
            metrics["PartitionsAdded"],
            metrics["FilesScanned"],
        )
        for entry in run.get("Log", []):
            if entry.get("Event") != "TABLE_CREATED":
                self.log.info("Crawl log: %s", entry)
        self.emit_tables(context, crawl_tables(run, database), {"CrawlId": run["CrawlId"]})
        return {k: v for k, v in run.items() if k != "Log"}


class SluiceSparkJobOperator(EmitsTables, SparkSubmitOperator):
    """spark-submit a Sluice job script with Glue job arguments and bookmark options; XCom: the JobRun.

    The run id is chosen before the submit and passed as ``--JOB_RUN_ID`` (a ``--JOB_RUN_ID`` in
    ``application_args`` is used instead), so the XCom is exactly this task's run, however many run at once.
    ``application_args`` are passed first and as given; ``--JOB_NAME``, ``--job-bookmark-option`` and
    ``job_args`` follow, except flags ``application_args`` already set.
    """

    template_fields: Sequence[str] = (*SparkSubmitOperator.template_fields, "job_args", "job_name")
    ui_color = "#fde3c8"

    def __init__(
        self,
        *,
        script: str,
        job_name: str,
        job_args: dict[str, Any] | None = None,
        bookmark_option: str = "job-bookmark-enable",
        sluice_conn_id: str = SluiceHook.default_conn_name,
        **kwargs: Any,
    ) -> None:
        kwargs.setdefault("name", job_name)
        super().__init__(application=job_script(script), **with_tables_outlet(kwargs))
        self.job_name = job_name
        self.job_args = job_args or {}
        self.bookmark_option = bookmark_option
        self.sluice_conn_id = sluice_conn_id

    def execute(self, context: Any) -> dict[str, Any]:
        ctx = SluiceHook(self.sluice_conn_id).get_conn()
        self.env_vars = {**(self.env_vars or {}), **ctx.child_env()}  # the job's context: never os.environ
        from etl.runs import new_run_id
        from service import jobs
        from sluice.errors import EntityNotFoundException

        generated = job_arguments(self.job_name, self.bookmark_option, self.job_args)
        self.application_args, flags = job_application_args(self.application_args, generated, new_run_id())
        job_name, run_id = flags["JOB_NAME"], flags["JOB_RUN_ID"]
        for flag, value in zip(generated[::2], generated[1::2], strict=True):
            if flags[flag[2:]] != value:
                self.log.warning(
                    "application_args set %s %s: the operator's %s is not passed", flag, flags[flag[2:]], value
                )
        from sparkio.session import jar_classpath

        classpath = jar_classpath(ctx)  # S3A, cloud committers, JDBC: on both class paths; a user's conf wins
        if classpath:
            jars = {"spark.driver.extraClassPath": classpath, "spark.executor.extraClassPath": classpath}
            self.conf = {**jars, **(self.conf or {})}
        self.log.info(
            "Job run %s: spark-submit %s %s", run_id, self.application, " ".join(map(str, self.application_args))
        )
        super().execute(context)
        try:
            run = jobs.get_job_run(ctx, JobName=job_name, RunId=run_id)["JobRun"]
        except EntityNotFoundException:
            raise RuntimeError(
                f"spark-submit of {self.application} succeeded but job {job_name} recorded no run {run_id}"
            ) from None
        self.log.info("Job run %s: %s, metrics %s", run["Id"], run["JobRunState"], run.get("Metrics"))
        self.emit_tables(context, job_tables(run), {"JobRunId": run["Id"]})
        return run


class SluiceDataQualityOperator(BaseOperator):
    """Evaluate a DQDL ruleset on a catalog table; ``on_failure`` is fail, warn or quarantine."""

    template_fields: Sequence[str] = ("database_name", "table_name", "ruleset", "push_down_predicate")
    ui_color = "#d9f2d0"

    def __init__(
        self,
        *,
        database_name: str,
        table_name: str,
        ruleset: str,
        engine: str = "spark",
        on_failure: str = "fail",
        min_score: float | None = None,
        push_down_predicate: str | None = None,
        sluice_conn_id: str = SluiceHook.default_conn_name,
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        if on_failure not in {"fail", "warn", "quarantine"}:
            raise ValueError(f"on_failure must be fail, warn or quarantine, got {on_failure!r}")
        self.database_name = database_name
        self.table_name = table_name
        self.ruleset = ruleset
        self.engine = engine
        self.on_failure = on_failure
        self.min_score = min_score
        self.push_down_predicate = push_down_predicate
        self.sluice_conn_id = sluice_conn_id

    def ruleset_text(self) -> str:
        """The rendered ruleset: inline DQDL as is; a ``.dqdl`` file must exist (relative to the DAG's folder)."""
        text = self.ruleset.strip()
        if "\n" in text or "[" in text or not text.endswith(".dqdl"):
            return self.ruleset
        path = Path(text).expanduser()
        if not path.is_absolute() and self.has_dag() and self.dag.fileloc:
            path = Path(self.dag.fileloc).parent / path
        if not path.is_file():
            raise FileNotFoundError(f"DQDL ruleset file {text} not found (looked for {path})")
        return str(path)

    def execute(self, context: Any) -> dict[str, Any]:
        ctx = SluiceHook(self.sluice_conn_id).get_conn()
        from quality.gate import run_gate
        from quality.results import failed_rules

        ruleset = self.ruleset_text()
        where = f" where {self.push_down_predicate}" if self.push_down_predicate else ""
        self.log.info(
            "DQ on %s.%s%s: ruleset %s, engine %s, on_failure %s, min_score %s",
            self.database_name,
            self.table_name,
            where,
            ruleset if ruleset.endswith(".dqdl") else "inline",
            self.engine,
            self.on_failure,
            self.min_score,
        )
        result = run_gate(
            database=self.database_name,
            table=self.table_name,
            ruleset=ruleset,
            engine=self.engine,
            action=self.on_failure,
            min_score=self.min_score,
            push_down_predicate=self.push_down_predicate,
            ctx=ctx,
        )
        failed = failed_rules(result)
        self.log.info(
            "DQ result %s: score %.3f, %s of %s rules passed",
            result["ResultId"],
            result["Score"],
            len(result["RuleResults"]) - len(failed),
            len(result["RuleResults"]),
        )
        for rule in failed:
            self.log.warning("Rule %s %s → %s", rule["Name"], rule.get("Description", ""), rule["Result"])
        if "Quarantine" in result:
            self.log.warning("Quarantined %s row(s) to %s", result["Quarantine"]["Rows"], result["Quarantine"]["Path"])
        return result


class SluiceWarehouseLoadOperator(EmitsTables, BaseOperator):
    """Load a cataloged lake table into the warehouse (COPY + MERGE with a load ledger); XCom: the load."""

    template_fields: Sequence[str] = ("database_name", "table_name", "target", "partition_expression")
    ui_color = "#e8d9f7"

    def __init__(
        self,
        *,
        database_name: str,
        table_name: str,
        target: str,
        mode: str = "append",
        merge_keys: list[str] | None = None,
        partition_expression: str | None = None,
        sluice_conn_id: str = SluiceHook.default_conn_name,
        **kwargs: Any,
    ) -> None:
        super().__init__(**with_tables_outlet(kwargs))
        self.database_name = database_name
        self.table_name = table_name
        self.target = target
        self.mode = mode
        self.merge_keys = list(merge_keys or ())
        self.partition_expression = partition_expression
        self.sluice_conn_id = sluice_conn_id

    def execute(self, context: Any) -> dict[str, Any]:
        ctx = SluiceHook(self.sluice_conn_id).get_conn()
        from warehouse import load_table

        self.log.info("Loading %s.%s into %s (%s)", self.database_name, self.table_name, self.target, self.mode)
        result = load_table(
            self.database_name,
            self.table_name,
            self.target,
            mode=self.mode,
            merge_keys=self.merge_keys,
            partition_expression=self.partition_expression,
            ctx=ctx,
        ).to_dict()
        self.log.info(
            "Load %s into %s: %s rows from %s file(s); %s file(s) already loaded; table created: %s",
            result["LoadId"],
            result["Target"],
            result["RowsLoaded"],
            len(result["FilesLoaded"]),
            len(result["FilesSkipped"]),
            result["TableCreated"],
        )
        self.emit_tables(context, load_tables(result, self.target), {"LoadId": result["LoadId"]})
        return result


class SluiceLifecycleOperator(BaseOperator):
    """Plan (and unless ``dry_run``, apply) an S3 lifecycle configuration over a lake prefix."""

    template_fields: Sequence[str] = ("config", "uri", "dry_run")
    ui_color = "#f2e6c9"

    def __init__(
        self,
        *,
        config: str,
        uri: str,
        dry_run: bool | str = True,
        sluice_conn_id: str = SluiceHook.default_conn_name,
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        self.config = config
        self.uri = uri
        self.dry_run = dry_run
        self.sluice_conn_id = sluice_conn_id

    def execute(self, context: Any) -> dict[str, Any]:
        ctx = SluiceHook(self.sluice_conn_id).get_conn()
        from lifecycle.run import plan_or_apply

        dry = self.dry_run if isinstance(self.dry_run, bool) else str(self.dry_run).lower() in {"true", "1"}
        result = plan_or_apply(self.config, self.uri, apply=not dry, ctx=ctx)
        self.log.info("Lifecycle %s on %s: %s", "plan" if dry else "apply", self.uri, result["Summary"])
        return result


class DeferredExecution:
    """Runs a durable state machine execution in an operator, deferring to the triggerer (``ExecutionTrigger``)
    whenever it would wait longer than ``defer_after`` seconds (a Wait state, a ``.sync`` job polled every
    ``poll_seconds``, a Task waiting for its token): no worker slot is held, and it resumes at the persisted
    state. Shorter waits sleep in the worker: a deferral costs seconds, and a trigger that fires before the
    scheduler has seen the deferring attempt end makes Airflow fail the task ("state changed externally").
    The Tasks of Map iterations and Parallel branches are carried out by the mapped task of ``sluice_state_tasks``
    DAG runs (``stepfunctions.durable.Dispatcher``) while the execution waits for their outcomes, deferred.
    Lambda functions are those of the ``lambda_registry`` file, by default the settings' (``SLUICE_LAMBDA_REGISTRY``,
    else the ``lambdas.yaml`` of the state machines folder: ``SLUICE_STATE_MACHINES``, else ``state_machines`` in
    the DAG file's folder). XCom: the execution's ARN, status and output."""

    defer_after: float = 10.0
    poll_seconds: float = 20.0
    lambda_registry: str | None = None
    sluice_conn_id: str

    def execute_complete(self, context: Any, event: dict[str, Any]) -> dict[str, Any]:
        """Resumed by ``ExecutionTrigger``: run the execution on from its persisted state."""
        from airflow.exceptions import AirflowException

        if event.get("status") == "error":
            raise AirflowException(f"Waiting on execution {event['executionArn']} failed: {event.get('message')}")
        return self._resume(SluiceHook(self.sluice_conn_id).get_conn(), event["executionArn"], context)

    def _lambda_registry(self, ctx: Any, context: Any) -> str | None:
        """The ``lambda_registry`` given, else the settings' next to the DAG file's folder (its ``state_machines``)."""
        if self.lambda_registry is not None:
            return self.lambda_registry
        found = ctx.settings.lambda_registry_file(Path(context["dag"].folder))
        return None if found is None else str(found)

    def _resume(self, ctx: Any, arn: str, context: Any) -> dict[str, Any]:
        """Run the execution until it ends (its XCom) or would wait long (deferred until it is due)."""
        from airflow.exceptions import AirflowException

        from service import STATES, invoke
        from sluice_airflow.launcher import TaskLauncher
        from sluice_airflow.triggers import ExecutionTrigger
        from stepfunctions.durable import resume

        progress = resume(
            ctx,
            arn,
            defer_after=self.defer_after,
            poll_seconds=self.poll_seconds,
            launcher=TaskLauncher(),
            lambda_registry=self._lambda_registry(ctx, context),
        )
        if progress.wake is not None:
            self.log.info("Execution %s waits until %s: deferred", arn, progress.wake)
            trigger = ExecutionTrigger(arn, progress.wake, sluice_conn_id=self.sluice_conn_id)
            self.defer(trigger=trigger, method_name="execute_complete")
        described = invoke(ctx, "DescribeExecution", {"executionArn": arn}, api=STATES)
        if progress.status != "SUCCEEDED":
            raise AirflowException(
                f"Execution {arn} ended {progress.status}: "
                f"{described.get('error', '')} {described.get('cause', '')}".strip()
            )
        return {"executionArn": arn, "status": progress.status, "output": described.get("output")}


class SluiceGlueRunOperator(DeferredExecution, BaseOperator):
    """Carries out the run a runner DAG run's conf names (``service.runner.run``): the task of the runner DAGs.

    The job, crawl or evaluation run was recorded by its Start operation; this task ends it, and fails
    when it did not succeed (the run's own state and error say why). Killing the task (marking it failed,
    or its timeout) ends a job's spark-submit and the run. A state machine execution defers whenever it
    waits (``DeferredExecution``).
    """

    def __init__(self, *, sluice_conn_id: str = SluiceHook.default_conn_name, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.sluice_conn_id = sluice_conn_id
        self._process: Any = None

    def execute(self, context: Any) -> dict[str, Any]:
        from airflow.exceptions import AirflowException

        from service.runner import SUCCEEDED, run
        from sluice.launch import Work
        from sluice_airflow.launcher import TaskLauncher

        try:
            work = Work.from_conf(dict(context["dag_run"].conf or {}))
        except ValueError as exc:
            raise AirflowException(f"This DAG runs work that a Start operation recorded: {exc}") from exc
        hooked = SluiceHook(self.sluice_conn_id).get_conn()
        ctx = hooked.for_caller(hooked.caller, TaskLauncher())  # what its calls start are DAG runs too
        self.log.info("%s run %s of %s", work.kind, work.run_id, work.name)
        if work.kind == "execution":  # deferred whenever it waits
            return self._resume(ctx, work.run_id, context)
        state = run(ctx, work, on_start=lambda process: setattr(self, "_process", process))
        if state != SUCCEEDED:
            raise AirflowException(f"The {work.kind} run {work.run_id} of {work.name} ended {state}.")
        return {"RunId": work.run_id, "State": state}

    def on_kill(self) -> None:
        if self._process is not None:
            self._process.kill()


class SluiceStateMachineOperator(DeferredExecution, BaseOperator):
    """Runs one execution of an ASL state machine (a file) in this task, durably: the DAG run's conf is the input.

    The state machine is created, or updated when its file changed, through the Step Functions service
    (``service.states``); the execution is named after the DAG run, every transition is persisted, and a retry of
    the task resumes the execution where it was instead of starting it again; it defers whenever the execution
    waits (``DeferredExecution``, whose Lambda registry it runs with). XCom: the execution's ARN, status and
    output.
    """

    template_fields: Sequence[str] = ("definition",)

    def __init__(
        self,
        *,
        definition: str,
        state_machine_name: str,
        role_arn: str = "arn:aws:iam::123456789012:role/sluice",
        defer_after: float = 10.0,
        poll_seconds: float = 20.0,
        lambda_registry: str | None = None,
        sluice_conn_id: str = SluiceHook.default_conn_name,
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        self.definition = definition
        self.lambda_registry = lambda_registry
        self.state_machine_name = state_machine_name
        self.role_arn = role_arn
        self.defer_after = defer_after
        self.poll_seconds = poll_seconds
        self.sluice_conn_id = sluice_conn_id

    def execute(self, context: Any) -> dict[str, Any]:
        import json
        import re

        from service import STATES, invoke

        ctx = SluiceHook(self.sluice_conn_id).get_conn()
        machine = self._state_machine(ctx, Path(self.definition).read_text())
        dag_run = context["dag_run"]
        name = re.sub(r"[^0-9A-Za-z_-]", "-", dag_run.run_id)[:80]
        held = _Held()
        started = invoke(
            ctx.for_caller(None, held),
            "StartExecution",
            {"stateMachineArn": machine, "name": name, "input": json.dumps(dag_run.conf or {})},
            api=STATES,
        )
        self.log.info("Execution %s (%s)", started["executionArn"], "resumed" if not held.work else "started")
        return self._resume(ctx, started["executionArn"], context)

    def _state_machine(self, ctx: Any, definition: str) -> str:
        """The state machine's ARN, created or brought up to date with ``definition``."""
        from service import STATES, invoke
        from sluice.errors import SluiceError

        machines = invoke(ctx, "ListStateMachines", {"maxResults": 1000}, api=STATES)["stateMachines"]
        arn = next((m["stateMachineArn"] for m in machines if m["name"] == self.state_machine_name), None)
        if arn is None:
            request = {"name": self.state_machine_name, "definition": definition, "roleArn": self.role_arn}
            try:
                return str(invoke(ctx, "CreateStateMachine", request, api=STATES)["stateMachineArn"])
            except SluiceError:  # created meanwhile by a concurrent run: list again
                return self._state_machine(ctx, definition)
        if invoke(ctx, "DescribeStateMachine", {"stateMachineArn": arn}, api=STATES)["definition"] != definition:
            invoke(ctx, "UpdateStateMachine", {"stateMachineArn": arn, "definition": definition}, api=STATES)
        return str(arn)


class _Held:
    """A launcher that keeps the work: the execution runs in the task that started it."""

    def __init__(self) -> None:
        self.work: list[Any] = []

    def launch(self, ctx: Any, work: Any) -> None:
        self.work.append(work)
