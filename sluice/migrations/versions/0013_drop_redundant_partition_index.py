"""Drop ix_catalog_partitions_table: the unique (table_id, values_key) index already serves every lookup by table

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-03 09:10:00.000000
"""

from __future__ import annotations

from alembic import op

revision = "0013"
down_revision = "0012"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("catalog_partitions", schema=None) as batch_op:
        batch_op.drop_index("ix_catalog_partitions_table")


def downgrade() -> None:
    with op.batch_alter_table("catalog_partitions", schema=None) as batch_op:
        batch_op.create_index("ix_catalog_partitions_table", ["table_id"], unique=False)
