"""Table and partition grouping for one include path, from real classified files."""

from __future__ import annotations

import gzip
import json
import random

import pyarrow as pa
import pyarrow.json as pj
import pyarrow.parquet as pq
import pytest

from catalog.crawler.classification import FileClassification
from catalog.crawler.classify import classify_file
from catalog.crawler.grouping import (
    TableThresholdExceeded,
    check_table_threshold,
    cluster_schemas,
    plan_new_tables,
    plan_tables,
    schema_similarity,
    schemas_similar,
    table_name,
)
from catalog.formats import OPEN_CSV_SERDE
from sluice.errors import InvalidInputException


def json_file(*records: dict, compress: bool = False) -> FileClassification:
    data = "".join(json.dumps(r) + "\n" for r in records).encode()
    data = gzip.compress(data) if compress else data
    return classify_file("f.json", data, size=len(data))


def csv_file(text: str) -> FileClassification:
    return classify_file("f.csv", text.encode(), size=len(text.encode()))


def parquet_file(records: list[dict], schema: pa.Schema) -> FileClassification:
    """Real Parquet bytes, built with Arrow's JSON reader (which never loads pandas), classified."""
    lines = "".join(json.dumps(r) + "\n" for r in records).encode()
    table = pj.read_json(pa.BufferReader(lines), parse_options=pj.ParseOptions(explicit_schema=schema))
    sink = pa.BufferOutputStream()
    pq.write_table(table, sink)
    data = sink.getvalue().to_pybytes()
    return classify_file("f.parquet", data, size=len(data))


SALE = json_file({"id": 1, "amount": 2.5, "store": "a"}, {"id": 2, "amount": 3.0, "store": "b"})
TRIP = json_file({"trip_id": 1, "distance": 2.5, "vendor": "x", "pickup": "2024-01-01"})
STATION = json_file({"station": "s1", "lat": 1.0, "lon": 2.0})
EVENT = json_file({"event_type": "click", "user": {"id": 1}, "ts": 123})


def plan(files: list[tuple[str, FileClassification]], **kwargs):
    kwargs.setdefault("root_name", "root")
    entries = [(path, info, 100 + i, 1_700_000_000.0 + i) for i, (path, info) in enumerate(files)]
    return plan_tables(entries, **kwargs)


def test_glue_doc_hive_partitions_make_one_table():
    tables = plan(
        [
            ("year=2019/month=Jan/day=1/part-0.json", SALE),
            ("year=2019/month=Jan/day=1/part-1.json", SALE),
            ("year=2019/month=Jan/day=2/part-0.json", SALE),
            ("year=2019/month=Feb/day=1/part-0.json", SALE),
            ("year=2019/month=Feb/day=2/part-0.json", SALE),
        ],
        root_name="sales",
    )
    assert len(tables) == 1
    table = tables[0]
    assert (table.name, table.location, table.classification) == ("sales", "", "json")
    assert table.partition_keys == [("year", "string"), ("month", "string"), ("day", "string")]
    assert table.columns == [("id", "int"), ("amount", "double"), ("store", "string")]
    assert [p.values for p in table.partitions] == [
        ["2019", "Feb", "1"],
        ["2019", "Feb", "2"],
        ["2019", "Jan", "1"],
        ["2019", "Jan", "2"],
    ]
    jan1 = table.partitions[2]
    assert (jan1.location, jan1.file_count, jan1.size, jan1.record_count) == ("year=2019/month=Jan/day=1", 2, 201, 4)
    assert jan1.columns is None
    assert jan1.last_modified == 1_700_000_001.0
    assert (table.file_count, table.record_count, table.size) == (5, 10, 510)


def test_three_dissimilar_folders_make_three_tables():
    tables = plan(
        [
            ("trips/2024/01/a.json", TRIP),
            ("trips/2024/02/a.json", TRIP),
            ("stations/all.json", STATION),
            ("events/day=1/e.json", EVENT),
            ("events/day=2/e.json", EVENT),
        ],
        root_name="lake",
    )
    assert [(t.name, t.location) for t in tables] == [
        ("events", "events"),
        ("stations", "stations"),
        ("trips", "trips"),
    ]
    events, stations, trips = tables
    assert events.partition_keys == [("day", "string")]
    assert stations.partition_keys == []
    assert trips.partition_keys == [("partition_0", "string"), ("partition_1", "string")]
    assert [p.values for p in trips.partitions] == [["2024", "01"], ["2024", "02"]]


def test_glue_doc_unnamed_levels_become_partition_n():
    tables = plan(
        [
            ("table1/partition1/file.txt", SALE),
            ("table1/partition2/file.txt", SALE),
            ("table1/partition3/file.txt", SALE),
            ("table2/partition4/file.txt", SALE),
            ("table2/partition5/file.txt", SALE),
        ],
        root_name="folder1",
    )
    assert [t.name for t in tables] == ["folder1"]
    assert tables[0].partition_keys == [("partition_0", "string"), ("partition_1", "string")]
    assert [p.values for p in tables[0].partitions][-1] == ["table2", "partition5"]


def test_glue_doc_dissimilar_partitions_split_unless_combined():
    files = [
        ("year=2017/data1.json", json_file({"A": 1, "B": 2})),
        ("year=2018/data2.json", json_file({"C": 3, "D": 4})),
    ]
    assert [(t.name, t.location, t.partition_keys) for t in plan(files, root_name="table1")] == [
        ("year_2017", "year=2017", []),
        ("year_2018", "year=2018", []),
    ]
    (table,) = plan(files, root_name="table1", grouping_policy="CombineCompatibleSchemas")
    assert table.name == "table1"
    assert table.columns == [("a", "int"), ("b", "int"), ("c", "int"), ("d", "int")]
    assert table.partition_keys == [("year", "string")]
    assert [p.columns for p in table.partitions] == [[("a", "int"), ("b", "int")], [("c", "int"), ("d", "int")]]


def test_majority_similar_partitions_group_and_record_their_own_schema():
    wide = json_file({"id": 1, "amount": 2.5, "store": "a", "coupon": "x"})
    files = [(f"dt={d}/a.json", SALE) for d in ("01", "02", "03")] + [("dt=04/a.json", wide)]
    (table,) = plan(files)
    assert table.columns == [("id", "int"), ("amount", "double"), ("store", "string"), ("coupon", "string")]
    assert [p.columns is None for p in table.partitions] == [False, False, False, True]
    assert table.partitions[0].columns == [("id", "int"), ("amount", "double"), ("store", "string")]


def test_two_of_three_similar_is_not_a_majority():
    files = [("a/x.json", SALE), ("b/x.json", SALE), ("c/x.json", STATION)]
    assert [t.name for t in plan(files)] == ["a", "b", "c"]


def test_incompatible_formats_or_compression_never_group():
    sale_gz = json_file({"id": 1, "amount": 2.5, "store": "a"}, compress=True)
    sale_csv = csv_file("id,amount,store\n1,2.5,a\n2,3.5,b\n")
    for other in (sale_gz, sale_csv):
        tables = plan([("p=1/a", SALE), ("p=2/a", other)], grouping_policy="CombineCompatibleSchemas")
        assert [t.name for t in tables] == ["p_1", "p_2"]
    (gz,) = plan([("p=1/a.gz", sale_gz), ("p=2/b.gz", sale_gz)])
    assert (gz.compression, gz.parameters["compressionType"]) == ("gzip", "gzip")


def test_dissimilar_files_in_one_folder_become_tables_per_file():
    files = [("sales.json", SALE), ("stations.json", STATION)]
    tables = plan(files)
    assert [(t.name, t.location) for t in tables] == [("sales_json", "sales.json"), ("stations_json", "stations.json")]
    (combined,) = plan(files, grouping_policy="CombineCompatibleSchemas")
    assert (combined.name, combined.location, combined.file_count) == ("root", "", 2)
    assert [name for name, _ in combined.columns] == ["id", "amount", "store", "station", "lat", "lon"]


def test_a_lone_subfolder_becomes_a_partition_of_the_root_table():
    (table,) = plan([("data/a.json", SALE), ("data/b.json", SALE)])
    assert (table.name, table.location, table.partition_keys) == ("root", "", [("partition_0", "string")])


def test_table_level_places_tables_at_an_absolute_level():
    files = [
        ("mydataset/year=2024/month=01/day=01/hour=00/a.json", SALE),
        ("mydataset/year=2024/month=01/day=02/hour=00/a.json", SALE),
        ("mydataset/year=2024/month=02/day=01/hour=05/a.json", STATION),
    ]
    tables = plan(files, root_name="bucket", table_level=3)
    assert [(t.name, t.location) for t in tables] == [
        ("month_01", "mydataset/year=2024/month=01"),
        ("month_02", "mydataset/year=2024/month=02"),
    ]
    assert tables[0].partition_keys == [("day", "string"), ("hour", "string")]
    # With the include path at level 1 (s3://bucket/mydataset/), level 3 is two folders below it.
    tables = plan(
        [(p.removeprefix("mydataset/"), i) for p, i in files], root_name="mydataset", table_level=3, include_level=1
    )
    assert [t.location for t in tables] == ["year=2024/month=01", "year=2024/month=02"]


def test_table_level_groups_dissimilar_partitions_below_it():
    files = [("t/p=1/a.json", SALE), ("t/p=2/a.json", STATION)]
    (table,) = plan(files, table_level=1)
    assert (table.name, table.partition_keys) == ("t", [("p", "string")])


def test_single_file_and_loose_root_files():
    (table,) = plan([("only.csv", csv_file("a,b\n1,x\n2,y\n"))], root_name="My-Bucket")
    assert (table.name, table.location, table.partitions) == ("my_bucket", "", [])


def test_files_beside_folders_become_their_own_table():
    tables = plan([("a/x.json", SALE), ("a/b/y.json", SALE)])
    assert [(t.name, t.location) for t in tables] == [("a", "a"), ("b", "a/b")]


def test_schema_merge_widens_and_resolves_nulls():
    files = [("p=1/a.json", json_file({"n": 1, "x": None})), ("p=2/a.json", json_file({"n": 2.5, "x": None}))]
    (table,) = plan(files)
    assert table.columns == [("n", "double"), ("x", "string")]
    assert table.partitions[0].columns == [("n", "int"), ("x", "string")]


def test_parquet_table_storage_and_parameters():
    schema = pa.schema([("id", pa.int64()), ("name", pa.string())])
    part = parquet_file([{"id": i, "name": "abc"[i]} for i in range(3)], schema)
    (table,) = plan([("dt=2024-01-01%2000%3A00/p.parquet", part), ("dt=2024-01-02/p.parquet", part)])
    assert table.partitions[0].values == ["2024-01-01 00:00"]  # Hive-escaped folder names are unescaped
    assert table.serde == "org.apache.hadoop.hive.ql.io.parquet.serde.ParquetHiveSerDe"
    assert table.parameters == {
        "classification": "parquet",
        "compressionType": "none",
        "typeOfData": "file",
        "objectCount": "2",
        "recordCount": "6",
        "sizeKey": "201",
        "averageRecordSize": "33",
        "CrawlerSchemaDeserializerVersion": "1.0",
        "CrawlerSchemaSerializerVersion": "1.0",
    }


def test_csv_table_parameters_and_quoted_serde():
    plain = csv_file("id,name\n1,a\n2,b\n")
    quoted = csv_file('id,name\n1,"a, b"\n2,c\n')
    (table,) = plan([("k=1/a.csv", plain), ("k=2/a.csv", quoted)])
    assert table.serde == OPEN_CSV_SERDE
    assert table.serde_parameters == {"separatorChar": ",", "quoteChar": '"'}
    assert {k: table.parameters[k] for k in ("delimiter", "areColumnsQuoted", "skip.header.line.count")} == {
        "delimiter": ",",
        "areColumnsQuoted": "true",
        "skip.header.line.count": "1",
    }
    headerless = csv_file("1,a\n2,b\n")
    tables = plan([("k=1/a.csv", plain), ("k=2/a.csv", headerless)], grouping_policy="CombineCompatibleSchemas")
    assert len(tables) == 2  # a header and no header cannot share a table definition


def test_colliding_names_get_a_hash_suffix():
    tables = plan([("x/data/a.json", SALE), ("x/b/b.json", STATION), ("y/data/c.json", EVENT), ("y/d/d.json", TRIP)])
    names = sorted(t.name for t in tables)
    assert names[:2] == ["b", "d"]
    assert names[2].startswith("data_") and names[3].startswith("data_") and names[2] != names[3]


def test_output_is_deterministic():
    files = [(f"t{i % 3}/p={i}/f.json", (SALE, STATION, EVENT)[i % 3]) for i in range(12)]
    shuffled = files[:]
    random.Random(7).shuffle(shuffled)
    first = plan(files)
    entries = {p: (p, info, 100 + i, 1_700_000_000.0 + i) for i, (p, info) in enumerate(files)}
    assert plan_tables([entries[p] for p, _ in shuffled], root_name="root") == first
    assert [t.name for t in first] == ["t0", "t1", "t2"]


def test_similarity_and_clusters():
    a = [("x", "int"), ("y", "int"), ("z", "int")]
    assert schema_similarity(a, a[:2]) == 1.0
    assert schema_similarity(a, [("x", "int"), ("q", "int")]) == 0.5
    assert cluster_schemas([a, [("q", "int")], a[:2], [("q", "int")]]) == [[0, 2], [1, 3]]
    many = [[(f"c{i}", "int")] for i in range(6)]
    assert schemas_similar([a] * 15 + many[:4]) is True
    assert schemas_similar([a] * 20 + many) is False  # 7 clusters: more than 5 schemas


def test_table_name_normalisation():
    assert table_name("Year=2017") == "year_2017"
    assert table_name("my-data.v2") == "my_data_v2"


def test_threshold_and_bad_options():
    tables = plan([("a/x.json", SALE), ("b/x.json", STATION)])
    check_table_threshold(tables, 2)
    check_table_threshold(tables, None)
    with pytest.raises(TableThresholdExceeded, match="2 tables, more than the table threshold of 1"):
        check_table_threshold(tables, 1)
    with pytest.raises(InvalidInputException, match="TableGroupingPolicy"):
        plan([("a/x.json", SALE)], grouping_policy="Nope")
    with pytest.raises(InvalidInputException, match="above the include path"):
        plan([("a/x.json", SALE)], table_level=1, include_level=2)
    assert plan([]) == []


def test_new_folders_never_group_above_an_existing_table():
    files = [("zones/z.json", STATION), ("nested/a/b/x.json", SALE)]
    entries = [(p, info, 10, 0.0) for p, info in files]
    tables = plan_new_tables(entries, table_locations=["trips/", "nested/a/old/"], root_name="root")
    by_name = {t.name: t for t in tables}
    assert sorted(by_name) == ["b", "zones"]
    assert by_name["zones"].location == "zones" and by_name["b"].location == "nested/a/b"
    # Without existing tables it is plan_tables: the lone zones/ folder is a partition of the root's table.
    (root,) = plan_new_tables(entries[:1], table_locations=[], root_name="root")
    assert root.name == "root" and root.partitions[0].location == "zones"
