# ruff: noqa: F401, F403, F405, E501, I001 - written as Glue Studio generates scripts (star import, one line per node)
# fmt: off
# A job in the shape Glue Studio generates for a visual job with data quality: two JSON sources, a join, an
# Evaluate Data Quality node routed by its row-level outcomes, and targets that evaluate the default ruleset.
import sys
from awsglue.transforms import *
from awsglue.utils import getResolvedOptions
from pyspark.context import SparkContext
from awsglue.context import GlueContext
from awsglue.job import Job
from awsglue.dynamicframe import DynamicFrameCollection
from awsgluedq.transforms import EvaluateDataQuality
from awsglue import DynamicFrame
import concurrent.futures
import re


class GroupFilter:
    def __init__(self, name, filters):
        self.name = name
        self.filters = filters


def route(source_DyF, group):
    return Filter.apply(frame=source_DyF, f=group.filters)


def threadedRoute(glue_ctx, source_DyF, group_filters) -> DynamicFrameCollection:
    frames = {}
    with concurrent.futures.ThreadPoolExecutor(max_workers=2) as pool:
        futures = {pool.submit(route, source_DyF, group): group for group in group_filters}
        for future in concurrent.futures.as_completed(futures):
            frames[futures[future].name] = future.result()
    return DynamicFrameCollection(frames, glue_ctx)


args = getResolvedOptions(sys.argv, ["JOB_NAME", "lake"])
sc = SparkContext()
glueContext = GlueContext(sc)
spark = glueContext.spark_session
job = Job(glueContext)
job.init(args["JOB_NAME"], args)

# Default ruleset used by all target nodes with data quality enabled
DEFAULT_DATA_QUALITY_RULESET = """
    Rules = [
        ColumnCount > 0
    ]
"""

# Script generated for node Customers
Customers_node1 = glueContext.create_dynamic_frame.from_options(format_options={"multiLine": "false"}, connection_type="s3", format="json", connection_options={"paths": [args["lake"] + "/customers/landing/"], "recurse": True}, transformation_ctx="Customers_node1")

# Script generated for node Readings
Readings_node2 = glueContext.create_dynamic_frame.from_options(format_options={"multiLine": "false"}, connection_type="s3", format="json", connection_options={"paths": [args["lake"] + "/readings/landing/"], "recurse": True}, transformation_ctx="Readings_node2")

# Script generated for node Renamed keys for Join
RenamedkeysforJoin_node3 = ApplyMapping.apply(frame=Readings_node2, mappings=[("serialnumber", "string", "right_serialnumber", "string"), ("distance", "long", "distance", "int"), ("readingtime", "long", "readingtime", "long")], transformation_ctx="RenamedkeysforJoin_node3")

# Script generated for node Join
Join_node4 = Join.apply(frame1=Customers_node1, frame2=RenamedkeysforJoin_node3, keys1=["serialnumber"], keys2=["right_serialnumber"], transformation_ctx="Join_node4")

# Script generated for node Evaluate Data Quality
EvaluateDataQuality_node5_ruleset = """
    # Example rules: Completeness "colA" between 0.4 and 0.8, ColumnCount > 10
    Rules = [
        IsComplete "email",
        ColumnValues "distance" between 0 and 500,
        RowCount > 0
    ]
"""

EvaluateDataQuality_node5 = EvaluateDataQuality().process_rows(frame=Join_node4, ruleset=EvaluateDataQuality_node5_ruleset, publishing_options={"dataQualityEvaluationContext": "EvaluateDataQuality_node5", "enableDataQualityCloudWatchMetrics": True, "enableDataQualityResultsPublishing": True}, additional_options={"performanceTuning.caching": "CACHE_NOTHING"})

# Script generated for node ruleOutcomes
ruleOutcomes_node6 = SelectFromCollection.apply(dfc=EvaluateDataQuality_node5, key="ruleOutcomes", transformation_ctx="ruleOutcomes_node6")

# Script generated for node rowLevelOutcomes
rowLevelOutcomes_node7 = SelectFromCollection.apply(dfc=EvaluateDataQuality_node5, key="rowLevelOutcomes", transformation_ctx="rowLevelOutcomes_node7")

# Script generated for node Conditional Router
ConditionalRouter_node8 = threadedRoute(glueContext,
  source_DyF = rowLevelOutcomes_node7,
  group_filters = [GroupFilter(name = "failed_records", filters = lambda row: (bool(re.match("Failed", row["DataQualityEvaluationResult"])))), GroupFilter(name = "default_group", filters = lambda row: (not(bool(re.match("Failed", row["DataQualityEvaluationResult"])))))])

# Script generated for node failed_records
failed_records_node9 = SelectFromCollection.apply(dfc=ConditionalRouter_node8, key="failed_records", transformation_ctx="failed_records_node9")

# Script generated for node default_group
default_group_node10 = SelectFromCollection.apply(dfc=ConditionalRouter_node8, key="default_group", transformation_ctx="default_group_node10")

# Script generated for node Drop Fields
DropFields_node11 = DropFields.apply(frame=default_group_node10, paths=["right_serialnumber", "DataQualityRulesPass", "DataQualityRulesFail", "DataQualityRulesSkip", "DataQualityEvaluationResult"], transformation_ctx="DropFields_node11")

# Script generated for node Readings trusted
EvaluateDataQuality().process_rows(frame=DropFields_node11, ruleset=DEFAULT_DATA_QUALITY_RULESET, publishing_options={"dataQualityEvaluationContext": "EvaluateDataQuality_node12", "enableDataQualityResultsPublishing": True}, additional_options={"dataQualityResultsPublishing.strategy": "BEST_EFFORT", "observations.scope": "ALL"})
Readingstrusted_node13 = glueContext.getSink(path=args["lake"] + "/readings/trusted/", connection_type="s3", updateBehavior="UPDATE_IN_DATABASE", partitionKeys=[], enableUpdateCatalog=True, transformation_ctx="Readingstrusted_node13")
Readingstrusted_node13.setCatalogInfo(catalogDatabase="stedi", catalogTableName="readings_trusted")
Readingstrusted_node13.setFormat("json")
Readingstrusted_node13.writeFrame(DropFields_node11)

# Script generated for node Bad records
Badrecords_node14 = glueContext.write_dynamic_frame.from_options(frame=failed_records_node9, connection_type="s3", format="json", connection_options={"path": args["lake"] + "/readings/bad/", "partitionKeys": []}, transformation_ctx="Badrecords_node14")

# Script generated for node Rule outcomes
Ruleoutcomes_node15 = glueContext.write_dynamic_frame.from_options(frame=ruleOutcomes_node6, connection_type="s3", format="json", connection_options={"path": args["lake"] + "/dq/outcomes/", "partitionKeys": []}, transformation_ctx="Ruleoutcomes_node15")

job.commit()
