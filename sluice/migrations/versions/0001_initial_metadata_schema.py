"""initial metadata schema

Revision ID: 0001
Revises:
Create Date: 2026-11-23 10:57:06.738738
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op


revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:

    op.create_table(
        "catalog_databases",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=255), nullable=False),
        sa.Column("description", sa.Text(), nullable=True),
        sa.Column("location_uri", sa.Text(), nullable=True),
        sa.Column("parameters", sa.JSON(), nullable=False),
        sa.Column("create_time", sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_catalog_databases")),
        sa.UniqueConstraint("name", name=op.f("uq_catalog_databases_name")),
    )
    op.create_table(
        "crawlers",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=255), nullable=False),
        sa.Column("definition", sa.JSON(), nullable=False),
        sa.Column("state", sa.String(length=16), nullable=False),
        sa.Column("state_changed", sa.DateTime(), nullable=False),
        sa.Column("create_time", sa.DateTime(), nullable=False),
        sa.Column("update_time", sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_crawlers")),
        sa.UniqueConstraint("name", name=op.f("uq_crawlers_name")),
    )
    op.create_table(
        "dq_metrics",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("dataset", sa.Text(), nullable=False),
        sa.Column("metric", sa.Text(), nullable=False),
        sa.Column("value", sa.Float(), nullable=False),
        sa.Column("result_id", sa.String(length=64), nullable=False),
        sa.Column("recorded_on", sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_dq_metrics")),
    )
    with op.batch_alter_table("dq_metrics", schema=None) as batch_op:
        batch_op.create_index("ix_dq_metrics_lookup", ["dataset", "metric", "id"], unique=False)

    op.create_table(
        "dq_results",
        sa.Column("result_id", sa.String(length=64), nullable=False),
        sa.Column("ruleset_name", sa.String(length=255), nullable=True),
        sa.Column("dataset", sa.Text(), nullable=False),
        sa.Column("engine", sa.String(length=16), nullable=False),
        sa.Column("score", sa.Float(), nullable=False),
        sa.Column("started_on", sa.DateTime(), nullable=False),
        sa.Column("completed_on", sa.DateTime(), nullable=False),
        sa.Column("job_run_id", sa.String(length=64), nullable=True),
        sa.Column("rule_results", sa.JSON(), nullable=False),
        sa.Column("analyzer_results", sa.JSON(), nullable=False),
        sa.Column("ruleset", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("result_id", name=op.f("pk_dq_results")),
    )
    with op.batch_alter_table("dq_results", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_dq_results_dataset"), ["dataset"], unique=False)

    op.create_table(
        "job_bookmark_history",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("job_name", sa.String(length=255), nullable=False),
        sa.Column("run_id", sa.String(length=64), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("run", sa.Integer(), nullable=False),
        sa.Column("state", sa.JSON(), nullable=False),
        sa.Column("committed_on", sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_job_bookmark_history")),
        sa.UniqueConstraint("job_name", "run_id", name=op.f("uq_job_bookmark_history_job_name")),
    )
    with op.batch_alter_table("job_bookmark_history", schema=None) as batch_op:
        batch_op.create_index("ix_job_bookmark_history_job", ["job_name", "id"], unique=False)

    op.create_table(
        "job_bookmarks",
        sa.Column("job_name", sa.String(length=255), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("run", sa.Integer(), nullable=False),
        sa.Column("attempt", sa.Integer(), nullable=False),
        sa.Column("run_id", sa.String(length=64), nullable=True),
        sa.Column("previous_run_id", sa.String(length=64), nullable=True),
        sa.Column("state", sa.JSON(), nullable=False),
        sa.Column("updated_on", sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint("job_name", name=op.f("pk_job_bookmarks")),
    )
    op.create_table(
        "job_runs",
        sa.Column("id", sa.String(length=64), nullable=False),
        sa.Column("job_name", sa.String(length=255), nullable=False),
        sa.Column("state", sa.String(length=16), nullable=False),
        sa.Column("attempt", sa.Integer(), nullable=False),
        sa.Column("started_on", sa.DateTime(), nullable=False),
        sa.Column("completed_on", sa.DateTime(), nullable=True),
        sa.Column("heartbeat", sa.DateTime(), nullable=False),
        sa.Column("arguments", sa.JSON(), nullable=False),
        sa.Column("error_message", sa.Text(), nullable=True),
        sa.Column("metrics", sa.JSON(), nullable=False),
        sa.Column("host", sa.String(length=255), nullable=True),
        sa.Column("pid", sa.Integer(), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_job_runs")),
    )
    with op.batch_alter_table("job_runs", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_job_runs_job_name"), ["job_name"], unique=False)

    op.create_table(
        "lifecycle_actions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("plan_id", sa.String(length=64), nullable=False),
        sa.Column("root", sa.Text(), nullable=False),
        sa.Column("key", sa.Text(), nullable=False),
        sa.Column("action", sa.String(length=32), nullable=False),
        sa.Column("rule_id", sa.String(length=255), nullable=True),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("before", sa.JSON(), nullable=False),
        sa.Column("after", sa.JSON(), nullable=False),
        sa.Column("recorded_on", sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_lifecycle_actions")),
    )
    with op.batch_alter_table("lifecycle_actions", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_lifecycle_actions_plan_id"), ["plan_id"], unique=False)

    op.create_table(
        "lifecycle_objects",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("root", sa.Text(), nullable=False),
        sa.Column("key", sa.Text(), nullable=False),
        sa.Column("storage_class", sa.String(length=32), nullable=False),
        sa.Column("location", sa.Text(), nullable=False),
        sa.Column("restored_until", sa.DateTime(), nullable=True),
        sa.Column("last_access", sa.DateTime(), nullable=True),
        sa.Column("updated_on", sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_lifecycle_objects")),
        sa.UniqueConstraint("root", "key", name=op.f("uq_lifecycle_objects_root")),
    )
    op.create_table(
        "catalog_tables",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("database_id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=255), nullable=False),
        sa.Column("table_type", sa.String(length=64), nullable=False),
        sa.Column("description", sa.Text(), nullable=True),
        sa.Column("descriptor", sa.JSON(), nullable=False),
        sa.Column("partition_keys", sa.JSON(), nullable=False),
        sa.Column("parameters", sa.JSON(), nullable=False),
        sa.Column("version_id", sa.Integer(), nullable=False),
        sa.Column("create_time", sa.DateTime(), nullable=False),
        sa.Column("update_time", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["database_id"],
            ["catalog_databases.id"],
            name=op.f("fk_catalog_tables_database_id_catalog_databases"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_catalog_tables")),
        sa.UniqueConstraint("database_id", "name", name=op.f("uq_catalog_tables_database_id")),
    )
    op.create_table(
        "crawl_runs",
        sa.Column("id", sa.String(length=64), nullable=False),
        sa.Column("crawler_id", sa.Integer(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("started_on", sa.DateTime(), nullable=False),
        sa.Column("completed_on", sa.DateTime(), nullable=True),
        sa.Column("metrics", sa.JSON(), nullable=False),
        sa.Column("errors", sa.JSON(), nullable=False),
        sa.Column("log", sa.JSON(), nullable=False),
        sa.Column("error_message", sa.Text(), nullable=True),
        sa.ForeignKeyConstraint(
            ["crawler_id"],
            ["crawlers.id"],
            name=op.f("fk_crawl_runs_crawler_id_crawlers"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_crawl_runs")),
    )
    with op.batch_alter_table("crawl_runs", schema=None) as batch_op:
        batch_op.create_index("ix_crawl_runs_crawler_started", ["crawler_id", "started_on"], unique=False)

    op.create_table(
        "crawler_folders",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("crawler_id", sa.Integer(), nullable=False),
        sa.Column("folder", sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(
            ["crawler_id"],
            ["crawlers.id"],
            name=op.f("fk_crawler_folders_crawler_id_crawlers"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_crawler_folders")),
        sa.UniqueConstraint("crawler_id", "folder", name=op.f("uq_crawler_folders_crawler_id")),
    )
    op.create_table(
        "catalog_partitions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("table_id", sa.Integer(), nullable=False),
        sa.Column("values", sa.JSON(), nullable=False),
        sa.Column("values_key", sa.Text(), nullable=False),
        sa.Column("location", sa.Text(), nullable=False),
        sa.Column("descriptor", sa.JSON(), nullable=True),
        sa.Column("parameters", sa.JSON(), nullable=False),
        sa.Column("creation_time", sa.DateTime(), nullable=False),
        sa.Column("last_access_time", sa.DateTime(), nullable=True),
        sa.ForeignKeyConstraint(
            ["table_id"],
            ["catalog_tables.id"],
            name=op.f("fk_catalog_partitions_table_id_catalog_tables"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_catalog_partitions")),
        sa.UniqueConstraint("table_id", "values_key", name=op.f("uq_catalog_partitions_table_id")),
    )
    with op.batch_alter_table("catalog_partitions", schema=None) as batch_op:
        batch_op.create_index("ix_catalog_partitions_table", ["table_id"], unique=False)

    op.create_table(
        "catalog_table_versions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("table_id", sa.Integer(), nullable=False),
        sa.Column("version_id", sa.Integer(), nullable=False),
        sa.Column("table", sa.JSON(), nullable=False),
        sa.Column("create_time", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["table_id"],
            ["catalog_tables.id"],
            name=op.f("fk_catalog_table_versions_table_id_catalog_tables"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_catalog_table_versions")),
        sa.UniqueConstraint("table_id", "version_id", name=op.f("uq_catalog_table_versions_table_id")),
    )
    with op.batch_alter_table("catalog_table_versions", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_catalog_table_versions_table_id"), ["table_id"], unique=False)


def downgrade() -> None:

    with op.batch_alter_table("catalog_table_versions", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_catalog_table_versions_table_id"))

    op.drop_table("catalog_table_versions")
    with op.batch_alter_table("catalog_partitions", schema=None) as batch_op:
        batch_op.drop_index("ix_catalog_partitions_table")

    op.drop_table("catalog_partitions")
    op.drop_table("crawler_folders")
    with op.batch_alter_table("crawl_runs", schema=None) as batch_op:
        batch_op.drop_index("ix_crawl_runs_crawler_started")

    op.drop_table("crawl_runs")
    op.drop_table("catalog_tables")
    op.drop_table("lifecycle_objects")
    with op.batch_alter_table("lifecycle_actions", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_lifecycle_actions_plan_id"))

    op.drop_table("lifecycle_actions")
    with op.batch_alter_table("job_runs", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_job_runs_job_name"))

    op.drop_table("job_runs")
    op.drop_table("job_bookmarks")
    with op.batch_alter_table("job_bookmark_history", schema=None) as batch_op:
        batch_op.drop_index("ix_job_bookmark_history_job")

    op.drop_table("job_bookmark_history")
    with op.batch_alter_table("dq_results", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_dq_results_dataset"))

    op.drop_table("dq_results")
    with op.batch_alter_table("dq_metrics", schema=None) as batch_op:
        batch_op.drop_index("ix_dq_metrics_lookup")

    op.drop_table("dq_metrics")
    op.drop_table("crawlers")
    op.drop_table("catalog_databases")
