"""The launcher of the AWS endpoint inside Airflow: each started run becomes a DAG run of a runner DAG.

StartJobRun, StartCrawler and StartDataQualityRulesetEvaluationRun record their run, then this launcher
creates a DAG run of ``sluice_glue_job``, ``sluice_glue_crawler`` or ``sluice_glue_data_quality``
(``dags/sluice_glue_runners.py``) whose run id is the Glue run id and whose conf is the
:class:`sluice.launch.Work` (no secret in it). Airflow's scheduler and executor (local, Celery or
Kubernetes) then run it, and it shows in the Airflow UI.
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
