"""Spark plumbing shared by the job runtime and the quality gates: the session builder and the file readers."""
