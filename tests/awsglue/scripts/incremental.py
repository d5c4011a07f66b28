# ruff: noqa: F403, F405 - written as Glue scripts are (star import, dict.keys())
# Nested JSON landing daily, read with a job bookmark: ApplyMapping (dotted targets build structs),
# ResolveChoice, DropNullFields, then getSink with enableUpdateCatalog (partitioned glueparquet).
import sys

from pyspark.context import SparkContext

from awsglue.context import GlueContext
from awsglue.job import Job
from awsglue.transforms import *
from awsglue.utils import getResolvedOptions

args = getResolvedOptions(sys.argv, ["JOB_NAME", "source_path", "target_path", "fail"])
sc = SparkContext()
glueContext = GlueContext(sc)
job = Job(glueContext)
job.init(args["JOB_NAME"], args)

events = glueContext.create_dynamic_frame.from_options(
    connection_type="s3",
    connection_options={"paths": [args["source_path"]]},
    format="json",
    transformation_ctx="events_source",
)
print("READ", events.count(), "ERRORS", events.errorsCount())
events.printSchema()

resolved = ResolveChoice.apply(frame=events, specs=[("amount", "cast:double")], transformation_ctx="resolve")
mapped = ApplyMapping.apply(
    frame=resolved,
    mappings=[
        ("id", "long", "id", "long"),
        ("user.name", "string", "customer.name", "string"),
        ("user.address.city", "string", "customer.city", "string"),
        ("amount", "double", "amount", "double"),
        ("note", "string", "note", "string"),
        ("day", "string", "day", "string"),
    ],
    transformation_ctx="mapping",
)
cleaned = DropNullFields.apply(frame=mapped, transformation_ctx="drop_nulls")
cleaned.printSchema()

sink = glueContext.getSink(
    connection_type="s3",
    path=args["target_path"],
    enableUpdateCatalog=True,
    updateBehavior="UPDATE_IN_DATABASE",
    partitionKeys=["day"],
    transformation_ctx="sink",
)
sink.setFormat("glueparquet")
sink.setCatalogInfo(catalogDatabase="curated", catalogTableName="events")
sink.writeFrame(cleaned)
if args["fail"] == "true":
    raise RuntimeError("dying before job.commit()")
job.commit()
print("COMMITTED")
