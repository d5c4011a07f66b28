"""lifecycle plans and object state

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-23 11:20:44.892357
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "lifecycle_plans",
        sa.Column("id", sa.String(length=64), nullable=False),
        sa.Column("uri", sa.Text(), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("mode", sa.String(length=8), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("source", sa.Text(), nullable=True),
        sa.Column("config", sa.JSON(), nullable=False),
        sa.Column("planned_for", sa.DateTime(), nullable=False),
        sa.Column("summary", sa.JSON(), nullable=False),
        sa.Column("created_on", sa.DateTime(), nullable=False),
        sa.Column("finished_on", sa.DateTime(), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_lifecycle_plans")),
    )
    with op.batch_alter_table("lifecycle_plans", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_lifecycle_plans_uri"), ["uri"], unique=False)

    with op.batch_alter_table("lifecycle_objects", schema=None) as batch_op:
        batch_op.add_column(sa.Column("modified", sa.Float(), nullable=True))
        batch_op.add_column(sa.Column("created_on", sa.DateTime(), nullable=True))
        batch_op.add_column(sa.Column("class_since", sa.DateTime(), nullable=True))
        batch_op.create_index(batch_op.f("ix_lifecycle_objects_location"), ["location"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("lifecycle_objects", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_lifecycle_objects_location"))
        batch_op.drop_column("class_since")
        batch_op.drop_column("created_on")
        batch_op.drop_column("modified")

    with op.batch_alter_table("lifecycle_plans", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_lifecycle_plans_uri"))

    op.drop_table("lifecycle_plans")
