# ruff: noqa: F403, F405 - written as Glue scripts are (star import)
# Orders landed as JSON on S3 with mixed types: every resolveChoice mode, a cataloged Parquet table read with
# push_down_predicate, spark.sql over the Data Catalog, Join, and partitioned Avro written back to S3.
import sys

from pyspark.context import SparkContext

from awsglue.context import GlueContext
from awsglue.job import Job
from awsglue.transforms import *
from awsglue.utils import getResolvedOptions

args = getResolvedOptions(sys.argv, ["JOB_NAME", "landing_path", "target_path"])
glueContext = GlueContext(SparkContext.getOrCreate())
spark = glueContext.spark_session
job = Job(glueContext)
job.init(args["JOB_NAME"], args)

orders = glueContext.create_dynamic_frame.from_options(
    connection_type="s3",
    connection_options={"paths": [args["landing_path"]], "recurse": True},
    format="json",
    transformation_ctx="orders",
)
orders.printSchema()

for mode in ["cast:double", "project:string", "make_cols", "make_struct"]:
    print("MODE", mode)
    orders.resolveChoice(specs=[("price", mode)]).printSchema()
typed = orders.resolveChoice(choice="match_catalog", database="sales", table_name="orders_typed")
typed.printSchema()

customers = glueContext.create_dynamic_frame.from_catalog(
    database="sales", table_name="customers", push_down_predicate="region = 'eu'", transformation_ctx="customers"
)
print("EU CUSTOMERS", customers.count())
spark.sql("select region, count(*) as n from sales.customers group by region order by region").show()

joined = Join.apply(typed, customers, "customer_id", "id").drop_fields(["id"])
print("JOINED", joined.count())
glueContext.write_dynamic_frame.from_options(
    frame=joined,
    connection_type="s3",
    connection_options={"path": args["target_path"], "partitionKeys": ["region"]},
    format="avro",
    transformation_ctx="sink",
)
job.commit()
print("COMMITTED")
print("READ BACK", sorted(r.order_id for r in spark.read.format("avro").load(args["target_path"]).collect()))
