"""Sample data sets that land into the lake for demos and tests."""
