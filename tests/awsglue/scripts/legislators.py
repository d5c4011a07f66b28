# ruff: noqa: F403, F405, SIM118 - written as Glue scripts are (star import, dict.keys())
# After AWS's "Code example: Joining and relationalizing data" (legislators), on local JSON files.
import sys

from pyspark.context import SparkContext

from awsglue.context import GlueContext
from awsglue.job import Job
from awsglue.transforms import *
from awsglue.utils import getResolvedOptions

args = getResolvedOptions(sys.argv, ["JOB_NAME", "input_path", "output_path"])
glueContext = GlueContext(SparkContext.getOrCreate())
spark = glueContext.spark_session
job = Job(glueContext)
job.init(args["JOB_NAME"], args)
logger = glueContext.get_logger()

persons = glueContext.create_dynamic_frame.from_catalog(database="legislators", table_name="persons_json")
print("Count: ", persons.count())
persons.printSchema()

memberships = glueContext.create_dynamic_frame.from_options(
    connection_type="s3",
    connection_options={"paths": [args["input_path"] + "/memberships"], "recurse": True},
    format="json",
)
orgs = glueContext.create_dynamic_frame.from_options(
    "s3", {"paths": [args["input_path"] + "/organizations"]}, format="json"
)
orgs = orgs.drop_fields(["other_names", "identifiers"]).rename_field("id", "org_id").rename_field("name", "org_name")
l_history = Join.apply(
    orgs, Join.apply(persons, memberships, "id", "person_id"), "org_id", "organization_id"
).drop_fields(["person_id", "org_id"])
print("Count: ", l_history.count())
l_history.printSchema()

dfc = l_history.relationalize("hist_root", args["TempDir"])
print("Tables: ", sorted(dfc.keys()))
for df_name in dfc.keys():
    m_df = dfc.select(df_name)
    logger.info("Writing to table: " + df_name)
    glueContext.write_dynamic_frame.from_options(
        frame=m_df,
        connection_type="s3",
        connection_options={"path": args["output_path"] + "/" + df_name},
        format="parquet",
    )
contacts = dfc.select("hist_root_contact_details").toDF()
print("Contacts: ", contacts.count())
job.commit()
