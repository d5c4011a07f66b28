"""Data quality results name the job and the evaluation context that made them (EvaluateDataQuality in a job)

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-03 13:20:00.000000
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0014"
down_revision = "0013"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("dq_results", schema=None) as batch_op:
        batch_op.add_column(sa.Column("job_name", sa.String(length=255), nullable=True))
        batch_op.add_column(sa.Column("evaluation_context", sa.Text(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("dq_results", schema=None) as batch_op:
        batch_op.drop_column("evaluation_context")
        batch_op.drop_column("job_name")
