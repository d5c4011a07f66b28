# A Glue script that calls the Glue API itself, as scripts do to look up the catalog or register a table.
import sys

import boto3

from awsglue.utils import getResolvedOptions

args = getResolvedOptions(sys.argv, ["JOB_NAME", "database"])
glue = boto3.client("glue")
glue.create_database(DatabaseInput={"Name": args["database"]})
print("DATABASES", sorted(d["Name"] for d in glue.get_databases()["DatabaseList"]))
