"""per-key partition values, normalised for GetPartitions predicate pushdown

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-24 09:00:00.000000
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None

_BATCH = 5000


def upgrade() -> None:
    with op.batch_alter_table("catalog_partitions", schema=None) as batch_op:
        batch_op.add_column(sa.Column("values_indexed", sa.Boolean(), server_default=sa.false(), nullable=False))
    op.create_table(
        "catalog_partition_values",
        sa.Column("partition_id", sa.Integer(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("table_id", sa.Integer(), nullable=False),
        sa.Column("value", sa.Text().with_variant(sa.Text(collation="C"), "postgresql"), nullable=True),
        sa.ForeignKeyConstraint(
            ["partition_id"],
            ["catalog_partitions.id"],
            name=op.f("fk_catalog_partition_values_partition_id_catalog_partitions"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("partition_id", "position", name=op.f("pk_catalog_partition_values")),
    )
    with op.batch_alter_table("catalog_partition_values", schema=None) as batch_op:
        batch_op.create_index(
            "ix_catalog_partition_values_lookup", ["table_id", "position", "value", "partition_id"], unique=False
        )
    _backfill()
    with op.batch_alter_table("catalog_partitions", schema=None) as batch_op:
        batch_op.create_index(
            "ix_catalog_partitions_unindexed",
            ["table_id"],
            unique=False,
            sqlite_where=sa.text("values_indexed = 0"),
            postgresql_where=sa.text("NOT values_indexed"),
        )


def _backfill() -> None:
    """Normalised value rows for every existing partition (``catalog.predicate``); all then ``values_indexed``."""
    from catalog.predicate import value_normalizer

    bind = op.get_bind()
    tables = sa.table("catalog_tables", sa.column("id", sa.Integer), sa.column("partition_keys", sa.JSON))
    partitions = sa.table(
        "catalog_partitions",
        sa.column("id", sa.Integer),
        sa.column("table_id", sa.Integer),
        sa.column("values", sa.JSON),
    )
    values = sa.table(
        "catalog_partition_values",
        sa.column("partition_id", sa.Integer),
        sa.column("position", sa.Integer),
        sa.column("table_id", sa.Integer),
        sa.column("value", sa.Text),
    )
    for table_id, keys in bind.execute(sa.select(tables.c.id, tables.c.partition_keys)).all():
        normalizers = [value_normalizer(key.get("Type", "string")) for key in keys or []]
        rows: list[dict[str, object]] = []
        query = sa.select(partitions.c.id, partitions.c["values"]).where(partitions.c.table_id == table_id)
        for partition_id, raw_values in bind.execute(query).all():
            for position, raw in enumerate(raw_values or []):
                normalize = normalizers[position] if position < len(normalizers) else value_normalizer("string")
                rows.append(
                    {"partition_id": partition_id, "position": position, "table_id": table_id, "value": normalize(raw)}
                )
            if len(rows) >= _BATCH:
                bind.execute(values.insert(), rows)
                rows = []
        if rows:
            bind.execute(values.insert(), rows)
    flags = sa.table("catalog_partitions", sa.column("values_indexed", sa.Boolean))
    bind.execute(flags.update().values(values_indexed=True))


def downgrade() -> None:
    with op.batch_alter_table("catalog_partitions", schema=None) as batch_op:
        batch_op.drop_index("ix_catalog_partitions_unindexed")

    with op.batch_alter_table("catalog_partition_values", schema=None) as batch_op:
        batch_op.drop_index("ix_catalog_partition_values_lookup")

    op.drop_table("catalog_partition_values")
    with op.batch_alter_table("catalog_partitions", schema=None) as batch_op:
        batch_op.drop_column("values_indexed")
