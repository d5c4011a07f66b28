"""AWS Glue Data Quality in job scripts, as on Glue: ``from awsgluedq.transforms import EvaluateDataQuality``."""
