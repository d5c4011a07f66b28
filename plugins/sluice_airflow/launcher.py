"""The launcher of the AWS endpoint inside Airflow: each started run becomes a DAG run of a runner DAG.

StartJobRun, StartCrawler and StartDataQualityRulesetEvaluationRun record their run, then this launcher
creates a DAG run of ``sluice_glue_job``, ``sluice_glue_crawler`` or ``sluice_glue_data_quality``
(``dags/sluice_glue_runners.py``) whose run id is the Glue run id and whose conf is the
:class:`sluice.launch.Work` (no secret in it). Airflow's scheduler and executor (local, Celery or
Kubernetes) then run it, and it shows in the Airflow UI.

Inside a running task (which has no metadata DB of its own), :class:`TaskLauncher` creates the DAG run through
the Task SDK's supervisor, as ``TriggerDagRunOperator`` does: an execution's task launches the calls of its Map
and Parallel Tasks so (``tasks`` work, DAG runs of ``sluice_state_tasks``).
"""

from __future__ import annotations

from sluice.context import SluiceContext
from sluice.errors import SluiceError
from sluice.launch import Work

RUNNER_DAGS = {
    "job": "sluice_glue_job",
    "crawler": "sluice_glue_crawler",
    "quality": "sluice_glue_data_quality",
    "execution": "sluice_state_machine",
    "tasks": "sluice_state_tasks",
}


class RunnerDagMissing(SluiceError):
    """Airflow has no runner DAG for the work (its DAG file is not in the DAGs folder)."""


class AirflowLauncher:
    """Creates the runner DAG run of each piece of work, as the caller's user."""

    def launch(self, ctx: SluiceContext, work: Work) -> None:
        """Create the DAG run, queued: it starts when the scheduler next loops."""
        from airflow.api.common.trigger_dag import trigger_dag
        from airflow.exceptions import DagNotFound
        from airflow.utils.types import DagRunTriggeredByType, DagRunType

        dag_id = RUNNER_DAGS[work.kind]
        try:
            trigger_dag(
                dag_id,
                run_id=work.run_id,
                conf=work.to_conf(),
                run_type=DagRunType.MANUAL,
                triggered_by=DagRunTriggeredByType.REST_API,
                triggering_user_name=work.caller.user_name if work.caller else None,
                replace_microseconds=False,
            )
        except DagNotFound as exc:
            raise RunnerDagMissing(
                f"Airflow has no DAG {dag_id}, which runs {work.kind} runs: {exc}",
                hint="Put Sluice's dags/sluice_glue_runners.py in Airflow's DAGs folder.",
            ) from exc


class TaskLauncher:
    """Creates runner DAG runs from inside a running Airflow task, through the Execution API its supervisor
    speaks; a DAG run that exists already (the same work launched again) is kept as it is."""

    def launch(self, ctx: SluiceContext, work: Work) -> None:
        """Create the DAG run, queued: it starts when the scheduler next loops."""
        from airflow.sdk.exceptions import ErrorType
        from airflow.sdk.execution_time.comms import ErrorResponse, TriggerDagRun
        from airflow.sdk.execution_time.task_runner import SUPERVISOR_COMMS

        dag_id = RUNNER_DAGS[work.kind]
        reply = SUPERVISOR_COMMS.send(TriggerDagRun(dag_id=dag_id, run_id=work.run_id, conf=work.to_conf()))
        if isinstance(reply, ErrorResponse) and reply.error != ErrorType.DAGRUN_ALREADY_EXISTS:
            raise SluiceError(f"Airflow did not create the {dag_id} run {work.run_id}: {reply.error} {reply.detail}")
