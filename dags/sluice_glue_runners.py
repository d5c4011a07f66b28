"""The runner DAGs of the AWS endpoint: StartJobRun, StartCrawler, StartDataQualityRulesetEvaluationRun and
Step Functions' StartExecution each create a DAG run of one of these (``sluice_airflow.launcher``), and its
task carries the run out.

The DAG run's id is the Glue run id (an execution's ARN) and its conf names the run
(``{"Kind", "RunId", "Name", "Caller"}``), so a run shows in the Airflow UI under the id boto3 got. They
have no schedule and are not paused, and many of their runs may be active at once: a job's
``MaxConcurrentRuns`` is enforced by the run itself.
"""

from __future__ import annotations

from datetime import datetime

from airflow.sdk import DAG
from sluice_airflow.operators import SluiceGlueRunOperator

RUNNERS = {
    "sluice_glue_job": "Runs a job run that Glue's StartJobRun started (spark-submit of the job's script).",
    "sluice_glue_crawler": "Runs a crawl that Glue's StartCrawler started.",
    "sluice_glue_data_quality": "Runs a data-quality evaluation run (StartDataQualityRulesetEvaluationRun).",
    "sluice_state_machine": "Runs a state machine execution that Step Functions' StartExecution started.",
}

for dag_id, description in RUNNERS.items():
    with DAG(
        dag_id=dag_id,
        description=description,
        schedule=None,
        start_date=datetime(2024, 1, 1),
        catchup=False,
        is_paused_upon_creation=False,
        max_active_runs=64,
        max_active_tasks=64,
        tags=["sluice", "glue"],
    ):
        SluiceGlueRunOperator(task_id="run")
