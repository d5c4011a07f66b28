"""flights_marts: the mart rebuild (``warehouse.marts``) on a real SQLite and PostgreSQL warehouse, and the
asset-scheduled DAG that runs it."""

from __future__ import annotations

from pathlib import Path

import pytest
import sqlalchemy as sa

from sluice.errors import InvalidInputException
from sluice.settings import get_settings
from warehouse import marts

REPO = Path(__file__).resolve().parents[2]
ROWS = [  # year, month, day, carrier, flight, dep_delay, arr_delay
    (2013, 1, 1, "UA", 1, 10.0, 20.0),
    (2013, 1, 1, "UA", 2, 20.0, None),
    (2013, 1, 1, "AA", 3, -5.0, -10.0),
    (2013, 1, 2, "UA", 4, 0.0, 4.0),
]


def _fact(url: str, rows: list[tuple]) -> None:
    engine = sa.create_engine(url)
    meta = sa.MetaData()
    fact = sa.Table(
        "fact_flights",
        meta,
        *(sa.Column(n, sa.BigInteger) for n in ("year", "month", "day")),
        sa.Column("carrier", sa.Text),
        sa.Column("flight", sa.BigInteger),
        sa.Column("dep_delay", sa.Float),
        sa.Column("arr_delay", sa.Float),
    )
    with engine.begin() as conn:
        meta.create_all(conn)
        conn.execute(fact.delete())
        conn.execute(fact.insert(), [dict(zip(fact.columns.keys(), r, strict=True)) for r in rows])
    engine.dispose()


def _mart(url: str) -> list[tuple]:
    engine = sa.create_engine(url)
    with engine.connect() as conn:
        rows = conn.execute(sa.text("SELECT * FROM mart_daily_delays ORDER BY day, carrier")).all()
    engine.dispose()
    return [tuple(r) for r in rows]


def _check_rebuild(url: str) -> None:
    _fact(url, ROWS)
    assert marts.rebuild_daily_delays(url) == 3
    expected = [(2013, 1, 1, "AA", 1, -5.0, -10.0), (2013, 1, 1, "UA", 2, 15.0, 20.0), (2013, 1, 2, "UA", 1, 0.0, 4.0)]
    assert _mart(url) == expected
    # A rebuild replaces the mart: never duplicated rows, and new facts show up.
    _fact(url, [*ROWS, (2013, 1, 2, "UA", 5, 10.0, 8.0)])
    assert marts.rebuild_daily_delays(url) == 3
    assert _mart(url)[-1] == (2013, 1, 2, "UA", 2, 5.0, 6.0)
    # A failed rebuild (the source lost a column) leaves the previous mart as it was.
    engine = sa.create_engine(url)
    with engine.begin() as conn:
        conn.execute(sa.text("ALTER TABLE fact_flights RENAME TO fact_flights_old"))
        conn.execute(sa.text("CREATE TABLE fact_flights AS SELECT year, month, day, carrier FROM fact_flights_old"))
    engine.dispose()
    before = _mart(url)
    with pytest.raises(InvalidInputException, match="fact_flights lacks column"):
        marts.rebuild_daily_delays(url)
    assert _mart(url) == before
    with pytest.raises(InvalidInputException, match="fact_missing does not exist"):
        marts.rebuild_daily_delays(url, source="fact_missing")
    assert _mart(url) == before


def test_rebuild_on_sqlite(tmp_path: Path) -> None:
    _check_rebuild(f"sqlite:///{tmp_path / 'warehouse.db'}")


@pytest.mark.postgres
def test_rebuild_on_postgresql(pg_url: str) -> None:
    _check_rebuild(pg_url)


@pytest.fixture(scope="module")
def dag():
    """The flights_marts DAG as Airflow's DAG processor parses it."""
    from airflow.dag_processing.dagbag import DagBag

    bag = DagBag(dag_folder=str(REPO / "dags" / "flights_marts.py"))
    assert bag.import_errors == {}
    return bag.dags["flights_marts"]


def test_dag_is_scheduled_on_curated_flights_and_fact_flights(dag) -> None:
    condition = dag.timetable.asset_condition
    assert type(condition).__name__ == "AssetAll"
    assert sorted(a.uri for a in condition.objects) == ["sluice://curated/flights", "sluice://warehouse/fact_flights"]
    assert [o.uri for o in dag.get_task("mart_daily_delays").outlets] == ["sluice://warehouse/mart_daily_delays"]


def test_dag_task_rebuilds_the_mart_in_the_configured_warehouse(dag, sluice_home: Path) -> None:
    sluice_home.mkdir(parents=True, exist_ok=True)
    url = get_settings().warehouse_database_url
    _fact(url, ROWS)
    assert dag.get_task("mart_daily_delays").python_callable() == {"Target": marts.MART, "Rows": 3}
    assert len(_mart(url)) == 3
