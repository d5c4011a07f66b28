"""Athena over Sluice's catalog: SQL on cataloged lake tables, in process (DuckDB) or on Spark.

``statements`` parses and classifies a statement (pure), ``engine`` runs it, ``cli`` is ``sluice sql``.
The service operation is :func:`service.sql.start_query_execution`.
"""
