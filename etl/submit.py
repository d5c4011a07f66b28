"""spark-submit for job scripts: the command line with Sluice's settings (its environment: ``sparkio.session``)."""

from __future__ import annotations

import sys
from pathlib import Path

from sluice.context import SluiceContext

BUNDLED = Path(__file__).parent / "jobs"


def spark_submit_command(
    script: str, args: list[str], master: str | None = None, *, ctx: SluiceContext | None = None
) -> list[str]:
    """The spark-submit command line for a job script, with Sluice's settings.

    A bare script name resolves to ``etl/jobs/<name>``; the jars ``make jars`` fetched (S3A, cloud committers,
    JDBC drivers) go on the driver's and executors' class paths, and ``--JOB_NAME`` names the Spark application.
    """
    from sparkio.session import jar_classpath

    ctx = SluiceContext.resolve(ctx)
    path = Path(script)
    if not path.exists() and (BUNDLED / script).exists():
        path = BUNDLED / script
    spark_submit = Path(sys.executable).parent / "spark-submit"
    command = [str(spark_submit), "--master", master or ctx.settings.spark_master]
    classpath = jar_classpath(ctx)
    if classpath:  # on the JVMs' class paths, not --jars: nothing is copied to each executor
        command += ["--driver-class-path", classpath, "--conf", f"spark.executor.extraClassPath={classpath}"]
    if "--JOB_NAME" in args[:-1]:
        command += ["--name", args[args.index("--JOB_NAME") + 1]]
    return [*command, str(path), *args]
