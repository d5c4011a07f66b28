"""raw_to_curated: catalog table(s) → typed, cleaned, partitioned Parquet, with job bookmarks.

    spark-submit etl/jobs/raw_to_curated.py --JOB_NAME J --job-bookmark-option job-bookmark-enable \\
      --source_database D --source_table T --target_path P --target_database D2 --target_table T2 \\
      [--partition_keys k1,k2] [--push_down_predicate "…"] [--write_mode append|overwrite_partitions] \\
      [--drop_duplicates true]

Columns are typed from the source's catalog schema, strings trimmed (empty ones become null) and all-null rows
dropped; ``--drop_duplicates true`` also drops exact duplicates within the run's input. Comma-separated
``--source_table``/``--target_table`` lists curate several tables in one run; each then lands under
``<target_path>/<target_table>``. Each source is bookmarked under its own transformation_ctx.
"""

from __future__ import annotations

import sys

from etl.args import get_resolved_options
from etl.cleaning import clean
from etl.context import JobContext
from sluice.errors import InvalidInputException
from sluice.lake.paths import join

REQUIRED = ["source_database", "source_table", "target_path", "target_database", "target_table"]


def main(argv: list[str]) -> None:
    """Run the job."""
    opts = get_resolved_options(argv, REQUIRED)
    sources = [t.strip() for t in opts["source_table"].split(",") if t.strip()]
    targets = [t.strip() for t in opts["target_table"].split(",") if t.strip()]
    if len(sources) != len(targets):
        raise InvalidInputException(
            f"--source_table lists {len(sources)} table(s) but --target_table lists {len(targets)};"
            " they pair up in order."
        )
    with JobContext.from_argv(argv) as job:
        extra = job.args.extra
        keys = [k.strip() for k in (extra.get("partition_keys") or "").split(",") if k.strip()]
        dedupe = (extra.get("drop_duplicates") or "false").lower() == "true"
        for source, target in zip(sources, targets, strict=True):
            df = job.read_catalog(
                opts["source_database"],
                source,
                transformation_ctx=source,
                push_down_predicate=extra.get("push_down_predicate"),
            )
            path = opts["target_path"] if len(sources) == 1 else join(opts["target_path"], target)
            job.write_lake(
                clean(df, drop_duplicates=dedupe),
                path,
                partition_keys=keys,
                database=opts["target_database"],
                table=target,
                mode=extra.get("write_mode") or "append",
            )
        run = job.commit()
    print(f"{run['JobName']} {run['Id']}: {run['JobRunState']} {run['Metrics']}")


if __name__ == "__main__":
    main(sys.argv)
