"""data-quality rulesets and ruleset evaluation runs; results name the run that made them

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-02 03:50:00.000000
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "dq_rulesets",
        sa.Column("name", sa.String(length=255), nullable=False),
        sa.Column("description", sa.Text(), nullable=True),
        sa.Column("ruleset", sa.Text(), nullable=False),
        sa.Column("rule_count", sa.Integer(), nullable=False),
        sa.Column("target_table", sa.JSON(), nullable=True),
        sa.Column("security_configuration", sa.String(length=255), nullable=True),
        sa.Column("client_token", sa.String(length=255), nullable=True),
        sa.Column("tags", sa.JSON(), nullable=False),
        sa.Column("created_on", sa.DateTime(), nullable=False),
        sa.Column("last_modified_on", sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint("name", name=op.f("pk_dq_rulesets")),
    )
    op.create_table(
        "dq_evaluation_runs",
        sa.Column("run_id", sa.String(length=64), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("dataset", sa.Text(), nullable=False),
        sa.Column("data_source", sa.JSON(), nullable=False),
        sa.Column("additional_data_sources", sa.JSON(), nullable=True),
        sa.Column("role", sa.Text(), nullable=False),
        sa.Column("number_of_workers", sa.Integer(), nullable=True),
        sa.Column("timeout", sa.Integer(), nullable=True),
        sa.Column("additional_run_options", sa.JSON(), nullable=True),
        sa.Column("ruleset_names", sa.JSON(), nullable=False),
        sa.Column("result_ids", sa.JSON(), nullable=False),
        sa.Column("error_string", sa.Text(), nullable=True),
        sa.Column("client_token", sa.String(length=255), nullable=True),
        sa.Column("started_on", sa.DateTime(), nullable=False),
        sa.Column("last_modified_on", sa.DateTime(), nullable=False),
        sa.Column("completed_on", sa.DateTime(), nullable=True),
        sa.Column("owner_host", sa.String(length=255), nullable=True),
        sa.Column("owner_pid", sa.Integer(), nullable=True),
        sa.Column("owner_boot_id", sa.String(length=64), nullable=True),
        sa.Column("owner_pid_started", sa.BigInteger(), nullable=True),
        sa.PrimaryKeyConstraint("run_id", name=op.f("pk_dq_evaluation_runs")),
    )
    with op.batch_alter_table("dq_evaluation_runs", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_dq_evaluation_runs_dataset"), ["dataset"], unique=False)
        batch_op.create_index(batch_op.f("ix_dq_evaluation_runs_client_token"), ["client_token"], unique=False)
        batch_op.create_index("ix_dq_evaluation_runs_started", ["started_on", "run_id"], unique=False)
    with op.batch_alter_table("dq_results", schema=None) as batch_op:
        batch_op.add_column(sa.Column("evaluation_run_id", sa.String(length=64), nullable=True))
        batch_op.create_index(batch_op.f("ix_dq_results_evaluation_run_id"), ["evaluation_run_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("dq_results", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_dq_results_evaluation_run_id"))
        batch_op.drop_column("evaluation_run_id")
    with op.batch_alter_table("dq_evaluation_runs", schema=None) as batch_op:
        batch_op.drop_index("ix_dq_evaluation_runs_started")
        batch_op.drop_index(batch_op.f("ix_dq_evaluation_runs_client_token"))
        batch_op.drop_index(batch_op.f("ix_dq_evaluation_runs_dataset"))
    op.drop_table("dq_evaluation_runs")
    op.drop_table("dq_rulesets")
