"""A clean-room ``awsglue`` for Sluice: AWS Glue ETL scripts (GlueContext, DynamicFrame, Job, transforms) run
unmodified, on Sluice's catalog, bookmarks and all-or-nothing commits (``etl.context.JobContext``).

Written from AWS's public Glue developer guide ("Program AWS Glue ETL scripts in PySpark"), not from
aws-glue-libs.
"""

from typing import Any

from awsglue import studio

__all__ = ["DynamicFrame"]

studio.install()  # ``import gs_derived`` and Glue Studio's other transform modules (awsglue.studio)


def __getattr__(name: str) -> Any:
    """``from awsglue import DynamicFrame``, as Glue Studio's scripts import it (loaded on first use: importing
    ``awsglue`` alone loads no Spark)."""
    if name == "DynamicFrame":
        from awsglue.dynamicframe import DynamicFrame

        return DynamicFrame
    raise AttributeError(f"module 'awsglue' has no attribute {name!r}")
