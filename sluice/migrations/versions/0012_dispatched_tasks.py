"""Dispatched Step Functions Tasks: a task token row may hold a Task's request and the DAG run that makes its call

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-02 17:50:00.000000
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0012"
down_revision = "0011"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("state_machine_task_tokens", schema=None) as batch_op:
        batch_op.add_column(sa.Column("request", sa.JSON(), nullable=True))
        batch_op.add_column(sa.Column("batch", sa.String(length=128), nullable=True))
        batch_op.create_index("ix_state_machine_task_tokens_batch", ["batch"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("state_machine_task_tokens", schema=None) as batch_op:
        batch_op.drop_index("ix_state_machine_task_tokens_batch")
        batch_op.drop_column("batch")
        batch_op.drop_column("request")
