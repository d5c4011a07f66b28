"""The runner DAGs of the AWS endpoint: StartJobRun, StartCrawler, StartDataQualityRulesetEvaluationRun and
Step Functions' StartExecution each create a DAG run of one of these (``sluice_airflow.launcher``), and its
task carries the run out.

The DAG run's id is the Glue run id (an execution's ARN) and its conf names the run
(``{"Kind", "RunId", "Name", "Caller"}``), so a run shows in the Airflow UI under the id boto3 got. They
have no schedule and are not paused, and many of their runs may be active at once: a job's
``MaxConcurrentRuns`` is enforced by the run itself.

``sluice_state_tasks`` makes the calls of the Tasks in executions' Map iterations and Parallel branches: an
execution run by Airflow dispatches them (``stepfunctions.durable.Dispatcher``), launches a DAG run of it per
batch (its id the batch's, its conf ``{"Kind": "tasks", "RunId": batch, "Name": execution ARN}``) and defers
until their outcomes come. ``calls`` lists the batch's calls; ``call`` is mapped over them (a task instance per
call, with its map index, on Airflow's executor) and makes each with the task runner the execution itself uses,
writing its outcome; ``settle`` (whatever the calls' task instances ended as) fails with ``States.TaskFailed``
each call left without an outcome, so a killed worker never leaves a Task waiting. A call's task is not
retried: its Task's own Retry decides.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from airflow.sdk import DAG, task
from sluice_airflow.hooks import SluiceHook
from sluice_airflow.operators import SluiceGlueRunOperator

RUNNERS = {
    "sluice_glue_job": "Runs a job run that Glue's StartJobRun started (spark-submit of the job's script).",
    "sluice_glue_crawler": "Runs a crawl that Glue's StartCrawler started.",
    "sluice_glue_data_quality": "Runs a data-quality evaluation run (StartDataQualityRulesetEvaluationRun).",
    "sluice_state_machine": "Runs a state machine execution that Step Functions' StartExecution started.",
}
UNSCHEDULED: dict[str, Any] = {
    "schedule": None,
    "start_date": datetime(2024, 1, 1),
    "catchup": False,
    "is_paused_upon_creation": False,
    "max_active_runs": 64,
    "max_active_tasks": 64,
}
"""What every runner DAG is: run when work is started, never paused, many runs at once."""

for dag_id, description in RUNNERS.items():
    with DAG(dag_id=dag_id, description=description, tags=["sluice", "glue"], **UNSCHEDULED):
        SluiceGlueRunOperator(task_id="run")


def _batch(dag_run: Any) -> str:
    from sluice.launch import Work

    return Work.from_conf(dict(dag_run.conf or {})).run_id


with DAG(
    dag_id="sluice_state_tasks",
    description="Makes the calls of the Tasks in state machine executions' Map iterations and Parallel branches.",
    tags=["sluice", "stepfunctions"],
    **UNSCHEDULED,
):

    @task
    def calls(dag_run: Any = None) -> list[str]:
        """The dispatch keys of the batch's calls."""
        from stepfunctions.dispatched import batch_keys

        return batch_keys(SluiceHook().get_conn(), _batch(dag_run))

    @task(retries=0)
    def call(key: str) -> str | None:
        """Make one call and record its outcome (None: it had one already, or its Task no longer waits)."""
        from stepfunctions.dispatched import make_call

        return make_call(SluiceHook().get_conn(), key)

    @task(trigger_rule="all_done")
    def settle(dag_run: Any = None) -> int:
        """Fail the calls that have no outcome (their task instances died or failed); how many."""
        from stepfunctions.dispatched import settle as settle_batch

        return settle_batch(SluiceHook().get_conn(), _batch(dag_run))

    call.expand(key=calls()) >> settle()
