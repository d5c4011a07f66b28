"""Alembic environment: runs on the connection handed over by ``sluice.db.upgrade``.

Importing every package's models registers their tables on ``Base.metadata``; this is their only gathering.
"""

from __future__ import annotations

from alembic import context

import awsapi.models  # noqa: F401
import catalog.models  # noqa: F401
import etl.models  # noqa: F401
import lifecycle.models  # noqa: F401
import quality.models  # noqa: F401
import sluice.lake.guard  # noqa: F401  (the lake's object states)
import stepfunctions.models  # noqa: F401
from sluice.db import Base

config = context.config
target_metadata = Base.metadata


def run() -> None:
    connection = config.attributes.get("connection")
    if connection is None:
        from sluice.db import make_engine
        from sluice.settings import get_settings

        with make_engine(get_settings().metadata_database_url).begin() as connection:
            _migrate(connection)
    else:
        _migrate(connection)


def _migrate(connection: object) -> None:
    context.configure(
        connection=connection,
        target_metadata=target_metadata,
        render_as_batch=True,
        compare_type=True,
    )
    with context.begin_transaction():
        context.run_migrations()


run()
