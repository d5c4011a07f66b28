"""Glue connections: stored with the password encrypted, read by ``extract_jdbc_conf``, used by JDBC reads
(``connectionName``) and by ``write_dynamic_frame.from_jdbc_conf``, which loads at ``job.commit()`` only."""

from __future__ import annotations

import sys

import pytest
import sqlalchemy as sa

from awsglue.context import GlueContext
from awsglue.job import Job
from awsglue.utils import getResolvedOptions
from catalog.models import ConnectionRow
from service import invoke
from sluice.errors import EntityNotFoundException

pytestmark = pytest.mark.spark
JDBC_URL = "jdbc:postgresql://127.0.0.1:5432/test"


@pytest.fixture
def schema(pg_url: str) -> str:
    """The test's PostgreSQL schema, holding ``src`` with three rows."""
    name = pg_url.rsplit("%3D", 1)[1]
    with sa.create_engine(pg_url).begin() as conn:
        conn.execute(sa.text(f"CREATE TABLE {name}.src (id bigint primary key, kind text)"))
        conn.execute(sa.text(f"INSERT INTO {name}.src VALUES (1, 'a'), (2, 'b'), (3, 'c')"))
    return name


def _connect(glue: GlueContext) -> None:
    props = {"JDBC_CONNECTION_URL": JDBC_URL, "USERNAME": "postgres", "PASSWORD": "not-in-the-db"}
    connection = {"Name": "pg", "ConnectionType": "JDBC", "ConnectionProperties": props}
    invoke(glue.ctx, "CreateConnection", {"ConnectionInput": connection})


def test_the_password_is_encrypted_at_rest_and_extract_jdbc_conf_reads_it(glue: GlueContext) -> None:
    _connect(glue)
    with glue.ctx.session() as s:
        row = s.get(ConnectionRow, "pg")
        assert "PASSWORD" not in row.definition["ConnectionProperties"] and "not-in-the-db" not in row.password
    conf = glue.extract_jdbc_conf("pg")
    assert conf | {"user": "postgres", "password": "not-in-the-db", "vendor": "postgresql"} == conf
    assert (conf["url"], conf["fullUrl"]) == ("jdbc:postgresql://127.0.0.1:5432", JDBC_URL)
    with pytest.raises(EntityNotFoundException, match="Connection 'nope' not found"):
        glue.extract_jdbc_conf("nope")


def test_jdbc_reads_and_writes_through_a_connection(
    glue: GlueContext, schema: str, pg_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    _connect(glue)
    options = {"useConnectionProperties": "true", "connectionName": "pg", "dbtable": f"{schema}.src"}
    frame = glue.create_dynamic_frame.from_options(connection_type="postgresql", connection_options=options)
    assert frame.count() == 3

    monkeypatch.setattr(sys, "argv", ["script.py", "--JOB_NAME", "to_pg"])
    job = Job(glue)
    job.init("to_pg", getResolvedOptions(sys.argv, ["JOB_NAME"]))
    target = {"dbtable": f"{schema}.dst", "database": "test"}
    glue.write_dynamic_frame.from_jdbc_conf(frame=frame, catalog_connection="pg", connection_options=target)
    engine = sa.create_engine(pg_url)
    with engine.connect() as conn:  # staged: nothing is written before the commit
        assert conn.scalar(sa.text("SELECT to_regclass(:t)"), {"t": f"{schema}.dst"}) is None
    job.commit()
    with engine.connect() as conn:
        assert conn.scalar(sa.text(f"SELECT count(*) FROM {schema}.dst")) == 3
    with glue.ctx.session() as s:
        journal = str(s.execute(sa.text("SELECT catalog_updates FROM job_commits")).all())
    assert "not-in-the-db" not in journal and "glue_connection" in journal
