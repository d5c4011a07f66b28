# ruff: noqa: F403 - written as Glue scripts are (star import)
# After AWS's "Data cleaning with AWS Glue" and "Exploring the resolveChoice method" examples: crawled Medicare
# provider payments (CSV) whose `provider id` holds strings past the crawler's sample, resolved each way, cleaned
# with a UDF, nested with apply_mapping and written as Parquet.
import sys

from pyspark.context import SparkContext
from pyspark.sql.functions import udf
from pyspark.sql.types import StringType

from awsglue.context import GlueContext
from awsglue.dynamicframe import DynamicFrame
from awsglue.job import Job
from awsglue.transforms import *
from awsglue.utils import getResolvedOptions

args = getResolvedOptions(sys.argv, ["JOB_NAME", "output_path"])
glueContext = GlueContext(SparkContext.getOrCreate())
job = Job(glueContext)
job.init(args["JOB_NAME"], args)

medicare_dyf = glueContext.create_dynamic_frame.from_catalog(database="payments", table_name="medicare")
medicare_dyf.printSchema()
for spec in ["cast:long", "project:long", "make_cols", "make_struct"]:
    print("SPEC", spec)
    medicare_dyf.resolveChoice(specs=[("provider id", spec)]).printSchema()

medicare_res = medicare_dyf.resolveChoice(specs=[("provider id", "cast:long")])
medicare_res.toDF().where("`provider id` is NULL").show()
medicare_dataframe = medicare_res.toDF().where("`provider id` is NOT NULL")

chop_f = udf(lambda x: x[1:], StringType())
medicare_dataframe = (
    medicare_dataframe.withColumn("ACC", chop_f(medicare_dataframe["average covered charges"]))
    .withColumn("ATP", chop_f(medicare_dataframe["average total payments"]))
    .withColumn("AMP", chop_f(medicare_dataframe["average medicare payments"]))
)
medicare_dataframe.select(["ACC", "ATP", "AMP"]).show(3)

medicare_tmp_dyf = DynamicFrame.fromDF(medicare_dataframe, glueContext, "nested")
medicare_nest_dyf = medicare_tmp_dyf.apply_mapping(
    [
        ("drg definition", "string", "drg", "string"),
        ("provider id", "long", "provider.id", "long"),
        ("provider name", "string", "provider.name", "string"),
        ("provider city", "string", "provider.city", "string"),
        ("provider state", "string", "provider.state", "string"),
        ("provider zip code", "long", "provider.zip", "long"),
        ("hospital referral region description", "string", "rr", "string"),
        ("ACC", "string", "charges.covered", "double"),
        ("ATP", "string", "charges.total_pay", "double"),
        ("AMP", "string", "charges.medicare_pay", "double"),
    ]
)
medicare_nest_dyf.printSchema()
glueContext.write_dynamic_frame.from_options(
    frame=medicare_nest_dyf,
    connection_type="s3",
    connection_options={"path": args["output_path"]},
    format="parquet",
)
job.commit()
print("WRITTEN", medicare_nest_dyf.count())
