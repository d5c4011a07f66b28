"""job commit journal

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-23 11:01:25.161811
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op


revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:

    op.create_table(
        "job_commits",
        sa.Column("run_id", sa.String(length=64), nullable=False),
        sa.Column("job_name", sa.String(length=255), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("moves", sa.JSON(), nullable=False),
        sa.Column("catalog_updates", sa.JSON(), nullable=False),
        sa.Column("committed_on", sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint("run_id", name=op.f("pk_job_commits")),
    )
    with op.batch_alter_table("job_commits", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_job_commits_job_name"), ["job_name"], unique=False)


def downgrade() -> None:

    with op.batch_alter_table("job_commits", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_job_commits_job_name"))

    op.drop_table("job_commits")
