"""A clean-room ``awsglue`` for Sluice: AWS Glue ETL scripts (GlueContext, DynamicFrame, Job, transforms) run
unmodified, on Sluice's catalog, bookmarks and all-or-nothing commits (``etl.context.JobContext``).

Written from AWS's public Glue developer guide ("Program AWS Glue ETL scripts in PySpark"), not from
aws-glue-libs.
"""
