"""leases: owner identity for job runs and crawlers, a heartbeat for lifecycle applies

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-24 12:00:00.000000
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("job_runs", schema=None) as batch_op:
        batch_op.add_column(sa.Column("boot_id", sa.String(length=64), nullable=True))
        batch_op.add_column(sa.Column("pid_started", sa.BigInteger(), nullable=True))

    with op.batch_alter_table("crawlers", schema=None) as batch_op:
        batch_op.add_column(sa.Column("owner_host", sa.String(length=255), nullable=True))
        batch_op.add_column(sa.Column("owner_pid", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("owner_boot_id", sa.String(length=64), nullable=True))
        batch_op.add_column(sa.Column("owner_pid_started", sa.BigInteger(), nullable=True))

    with op.batch_alter_table("lifecycle_plans", schema=None) as batch_op:
        batch_op.add_column(sa.Column("heartbeat", sa.DateTime(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("lifecycle_plans", schema=None) as batch_op:
        batch_op.drop_column("heartbeat")

    with op.batch_alter_table("crawlers", schema=None) as batch_op:
        batch_op.drop_column("owner_pid_started")
        batch_op.drop_column("owner_boot_id")
        batch_op.drop_column("owner_pid")
        batch_op.drop_column("owner_host")

    with op.batch_alter_table("job_runs", schema=None) as batch_op:
        batch_op.drop_column("pid_started")
        batch_op.drop_column("boot_id")
