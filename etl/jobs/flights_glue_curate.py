"""flights_glue_curate: the reference pipeline's curate step written as a Glue job script (``from awsglue…``).

The same step as ``raw_to_curated.py`` in the style Glue users arrive with, run unchanged by Glue's
StartJobRun, ``sluice job run`` or ``spark-submit``:

    spark-submit etl/jobs/flights_glue_curate.py --JOB_NAME J --job-bookmark-option job-bookmark-enable \\
      --source_database raw --source_table flights --target_path curated/flights_glue \\
      --target_database curated --target_table flights_glue --partition_keys year,month

A bookmarked ``from_catalog`` read, ResolveChoice against the source's catalog types, DropNullFields, and a
``getSink`` that writes partitioned glueparquet and creates or updates the target table at ``job.commit()``.
"""

import sys

from pyspark.context import SparkContext

from awsglue.context import GlueContext
from awsglue.job import Job
from awsglue.transforms import DropNullFields, ResolveChoice
from awsglue.utils import getResolvedOptions


def main() -> None:
    """Run the curate step (a module of the package: importing it runs nothing)."""
    args = getResolvedOptions(
        sys.argv,
        [
            "JOB_NAME",
            "source_database",
            "source_table",
            "target_path",
            "target_database",
            "target_table",
            "partition_keys",
        ],
    )
    glueContext = GlueContext(SparkContext.getOrCreate())
    job = Job(glueContext)
    job.init(args["JOB_NAME"], args)

    raw = glueContext.create_dynamic_frame.from_catalog(
        database=args["source_database"], table_name=args["source_table"], transformation_ctx="raw_flights"
    )
    typed = ResolveChoice.apply(
        frame=raw,
        choice="match_catalog",
        database=args["source_database"],
        table_name=args["source_table"],
        transformation_ctx="typed",
    )
    cleaned = DropNullFields.apply(frame=typed, transformation_ctx="cleaned")

    sink = glueContext.getSink(
        connection_type="s3",
        path=args["target_path"],
        enableUpdateCatalog=True,
        updateBehavior="UPDATE_IN_DATABASE",
        partitionKeys=[k for k in args["partition_keys"].split(",") if k],
        transformation_ctx="sink",
    )
    sink.setFormat("glueparquet")
    sink.setCatalogInfo(catalogDatabase=args["target_database"], catalogTableName=args["target_table"])
    sink.writeFrame(cleaned)
    job.commit()
    print(f"{args['JOB_NAME']}: committed")


if __name__ == "__main__":
    main()
