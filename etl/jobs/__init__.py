"""spark-submit entry points (run as scripts: ``spark-submit etl/jobs/<job>.py --JOB_NAME …``)."""
