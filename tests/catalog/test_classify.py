"""Classifying one file from real bytes: Parquet footers, CSV/TSV, JSON, gzip and bzip2."""

from __future__ import annotations

import bz2
import gzip
import json

import pyarrow as pa
import pyarrow.json as pj
import pyarrow.parquet as pq
import pytest

from catalog.crawler.classify import (
    UnreadableFile,
    classify_file,
    csv_value_type,
    decompress_sample,
    detect_compression,
    parquet_footer_range,
    parquet_tail_range,
    parse_parquet_footer,
)
from catalog.formats import (
    JSON_SERDE,
    LAZY_SIMPLE_SERDE,
    OPEN_CSV_SERDE,
    PARQUET_INPUT_FORMAT,
    PARQUET_SERDE,
    TEXT_INPUT_FORMAT,
)


def classify(name: str, data: bytes):
    return classify_file(name, data, size=len(data))


def parquet_bytes(records: list[dict], schema: pa.Schema, **kwargs) -> bytes:
    """Real Parquet bytes; built with Arrow's JSON reader, which never loads pandas."""
    lines = "".join(json.dumps(r) + "\n" for r in records).encode()
    plain = pa.schema([f.with_type(f.type.value_type) if pa.types.is_dictionary(f.type) else f for f in schema])
    table = pj.read_json(pa.BufferReader(lines), parse_options=pj.ParseOptions(explicit_schema=plain))
    sink = pa.BufferOutputStream()
    pq.write_table(table.cast(schema), sink, **kwargs)
    return sink.getvalue().to_pybytes()


@pytest.fixture(scope="module")
def trips_parquet() -> bytes:
    schema = pa.schema(
        [
            ("TripId", pa.int64()),
            ("vendor", pa.dictionary(pa.int32(), pa.string())),
            ("fare", pa.decimal128(9, 2)),
            ("pickup", pa.timestamp("ms")),
            ("day", pa.date32()),
            ("tags", pa.list_(pa.large_string())),
            ("loc", pa.struct([("lat", pa.float64()), ("lon", pa.float64())])),
            ("ok", pa.bool_()),
        ]
    )
    record = {"vendor": "a", "fare": "1.25", "pickup": "2024-01-01 00:00:00", "day": 19723, "tags": ["x"]}
    record |= {"loc": {"lat": 1.0, "lon": 2.0}, "ok": True}
    return parquet_bytes([{"TripId": i, **record} for i in range(1000)], schema, row_group_size=400)


PARQUET_COLUMNS = [
    ("tripid", "bigint"),
    ("vendor", "string"),
    ("fare", "decimal(9,2)"),
    ("pickup", "timestamp"),
    ("day", "date"),
    ("tags", "array<string>"),
    ("loc", "struct<lat:double,lon:double>"),
    ("ok", "boolean"),
]


# --- Parquet ----------------------------------------------------------------------------------


def test_parquet_whole_file(trips_parquet):
    result = classify("part-0.snappy.parquet", trips_parquet)
    assert result.classification == "parquet"
    assert result.compression is None
    assert result.columns == PARQUET_COLUMNS
    assert (result.record_count, result.record_count_exact) == (1000, True)
    assert result.input_format == PARQUET_INPUT_FORMAT
    assert result.serde == PARQUET_SERDE
    assert result.serde_parameters == {"serialization.format": "1"}


def test_parquet_footer_is_fetched_by_range(trips_parquet):
    reads: list[tuple[int, int]] = []

    def reader(start: int, end: int) -> bytes:
        reads.append((start, end))
        return trips_parquet[start:end]

    size = len(trips_parquet)
    result = classify_file("big.parquet", trips_parquet[:64], size=size, footer_reader=reader)
    assert result.columns == PARQUET_COLUMNS
    assert reads[0] == (size - 8, size)
    assert reads[1][1] == size and reads[1][0] > 64


def test_parquet_footer_helpers_give_row_groups(trips_parquet):
    size = len(trips_parquet)
    start, end = parquet_tail_range(size)
    footer_start, _ = parquet_footer_range(size, trips_parquet[start:end])
    footer = parse_parquet_footer(trips_parquet[footer_start:], size)
    assert footer.num_rows == 1000
    assert [g.num_rows for g in footer.row_groups] == [400, 400, 200]
    assert all(g.total_byte_size > 0 for g in footer.row_groups)
    assert footer.columns == PARQUET_COLUMNS
    assert footer.created_by and "parquet" in footer.created_by


def test_parquet_column_names_that_collide_in_lower_case_merge():
    data = parquet_bytes([{"A": 1, "a": 2}], pa.schema([("A", pa.int32()), ("a", pa.int64())]))
    assert classify("x.parquet", data).columns == [("a", "bigint")]


@pytest.mark.parametrize(
    ("mangle", "reason"),
    [
        (lambda b: b[:-108] + b"\xff" * 100 + b[-8:], "corrupt Parquet footer"),
        (lambda b: b[:4] + b"garbage" + b"\xff\xff\xff\x7fPAR1", "exceeds the file size"),
        (lambda b: b[:-4] + b"XXXX", "does not end with the PAR1 magic"),
        (lambda b: b[4:], "does not start with the PAR1 magic"),
    ],
)
def test_corrupt_parquet(trips_parquet, mangle, reason):
    with pytest.raises(UnreadableFile, match=reason):
        classify("bad.parquet", mangle(trips_parquet))


# --- CSV --------------------------------------------------------------------------------------

TYPED_CSV = (
    b"Id,Name,Price,Active,Day,Seen At\n"
    b"1,alpha,1.5,true,2024-01-31,2024-01-31 10:00:00\n"
    b"2,beta,,FALSE,2024-02-01,2024-02-01 11:30:00.123\n"
    b"-3,,2,true,,\n"
)


def test_csv_header_detected_when_a_data_column_is_typed():
    result = classify("t.csv", TYPED_CSV)
    assert result.classification == "csv"
    assert result.has_header is True
    assert result.columns == [
        ("id", "bigint"),
        ("name", "string"),
        ("price", "double"),
        ("active", "boolean"),
        ("day", "date"),
        ("seen at", "timestamp"),
    ]
    assert (result.delimiter, result.quoted) == (",", False)
    assert result.serde == LAZY_SIMPLE_SERDE
    assert result.serde_parameters == {"field.delim": ","}
    assert result.input_format == TEXT_INPUT_FORMAT
    assert (result.record_count, result.record_count_exact) == (3, True)


def test_all_string_csv_has_no_header():
    result = classify("s.csv", b"name,city\nann,paris\nbob,rome\n")
    assert result.has_header is False
    assert result.columns == [("col0", "string"), ("col1", "string")]
    assert result.record_count == 3


def test_first_row_with_a_number_is_data():
    result = classify("n.csv", b"1,2\n3,4\n5,6\n")
    assert result.has_header is False
    assert result.columns == [("col0", "bigint"), ("col1", "bigint")]


def test_long_header_field_is_not_a_header():
    header = b"x" * 150 + b",b\n"
    result = classify("l.csv", header + b"1,2\n3,4\n")
    assert result.has_header is False
    assert result.columns == [("col0", "string"), ("col1", "string")]


def test_quoted_fields_with_embedded_delimiters_quotes_and_newlines():
    data = b'id,comment\r\n1,"hello, world"\r\n2,"two\r\nlines"\r\n3,"say ""hi"""\r\n'
    result = classify("q.csv", data)
    assert result.quoted is True
    assert result.has_header is True
    assert result.columns == [("id", "bigint"), ("comment", "string")]
    assert result.serde == OPEN_CSV_SERDE
    assert result.serde_parameters == {"separatorChar": ",", "quoteChar": '"'}
    assert result.record_count == 3


@pytest.mark.parametrize("delimiter", ["|", "\t", ";", "\u0001"])
def test_other_delimiters(delimiter):
    data = delimiter.join(["a", "b", "c"]) + "\n" + delimiter.join(["1", "x, y", "2.5"]) + "\n"
    data += delimiter.join(["2", "z", "3"]) + "\n"
    result = classify("d.txt", data.encode())
    assert result.delimiter == delimiter
    assert result.columns == [("a", "bigint"), ("b", "string"), ("c", "double")]


def test_trailing_delimiter_gives_an_empty_last_column():
    result = classify("t.csv", b"a,b,\n1,x,\n2,y,\n")
    assert result.has_header is True
    assert result.columns == [("a", "bigint"), ("b", "string"), ("col2", "void")]


def test_header_with_a_control_character_is_not_a_header():
    result = classify("c.csv", b"a\x07,b\n1,2\n3,4\n")
    assert result.has_header is False
    assert result.columns == [("col0", "string"), ("col1", "string")]


def test_duplicate_header_names_are_made_unique():
    result = classify("d.csv", b"a,A,b\n1,2,3\n4,5,6\n")
    assert [name for name, _ in result.columns] == ["a", "a_1", "b"]


def test_bom_and_mixed_int_double_column():
    result = classify("b.csv", b"\xef\xbb\xbfk,v\n1,2\n2,2.5\n")
    assert result.columns == [("k", "bigint"), ("v", "double")]


def test_only_the_first_1000_records_are_sampled():
    rows = [f"{i},x" for i in range(1000)] + ["oops,x"]
    result = classify("big.csv", ("n,s\n" + "\n".join(rows) + "\n").encode())
    assert result.columns == [("n", "bigint"), ("s", "string")]
    assert result.record_count == 1001  # the count still covers the whole file


@pytest.mark.parametrize(
    ("data", "reason"),
    [
        (b"a\nb\nc\n", "no delimiter"),
        (b"a,b\n1,2,3\n4,5\n", "ragged rows"),
        (b"a,b\n", "at least 2 rows"),
        (b"", "empty file"),
        (b"\n\n  \n", "empty file"),
        (b"a,b\n1,\x00\x01\x02\n", "binary content"),
        (b"a,b\n\xff\xfe,1\n", "undecodable bytes"),
        (b"caf\xe9,b\n1,2\n", "not valid UTF-8"),
    ],
)
def test_unreadable_text(data, reason):
    with pytest.raises(UnreadableFile, match=reason):
        classify("f.csv", data)


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("", None),
        ("  ", None),
        ("42", "bigint"),
        (" -7 ", "bigint"),
        ("99999999999999999999", "double"),
        ("1.5e3", "double"),
        (".5", "double"),
        ("True", "boolean"),
        ("2024-02-29", "date"),
        ("2023-02-29", "string"),
        ("2024-01-01 00:00:00", "timestamp"),
        ("2024-01-01 00:00:00.123456789", "timestamp"),
        ("2024-01-01T00:00:00", "string"),
        ("NaN", "string"),
    ],
)
def test_csv_value_types(value, expected):
    assert csv_value_type(value) == expected


# --- compression ------------------------------------------------------------------------------


def test_gzip_and_bzip2_are_detected_and_decompressed():
    for compress, name in ((gzip.compress, "gzip"), (bz2.compress, "bzip2")):
        data = compress(TYPED_CSV)
        assert detect_compression(data) == name
        result = classify("t.csv" + (".gz" if name == "gzip" else ".bz2"), data)
        assert result.compression == name
        assert result.columns[0] == ("id", "bigint")
        assert (result.record_count, result.record_count_exact) == (3, True)
    assert detect_compression(TYPED_CSV) is None


def test_concatenated_gzip_members_are_followed():
    data = gzip.compress(b"a,b\n1,2\n") + gzip.compress(b"3,4\n")
    assert decompress_sample(data, "gzip") == (b"a,b\n1,2\n3,4\n", True)


@pytest.mark.parametrize("compress", [gzip.compress, bz2.compress])
def test_partial_compressed_sample_is_estimated(compress):
    body = "n,s\n" + "".join(f"{i},row{i}\n" for i in range(50_000))
    data = compress(body.encode(), 1)  # bzip2 level 1: 100 kB blocks, so a third holds whole blocks
    head = data[: len(data) // 3]
    result = classify_file("big.csv.gz", head, size=len(data))
    assert result.columns == [("n", "bigint"), ("s", "string")]
    assert result.record_count_exact is False
    assert 10_000 < result.record_count < 200_000


def test_partial_uncompressed_sample_drops_the_cut_line():
    body = b"n,s\n" + b"".join(b"%d,row\n" % i for i in range(20_000))
    result = classify_file("big.csv", body[:5001], size=len(body))
    assert result.columns == [("n", "bigint"), ("s", "string")]
    assert result.record_count_exact is False
    assert 15_000 < result.record_count < 25_000


def test_corrupt_gzip():
    with pytest.raises(UnreadableFile, match="corrupt gzip"):
        classify("x.gz", b"\x1f\x8b\x08\x00garbage-garbage")


def test_bzip2_sample_without_a_whole_block():
    data = bz2.compress(b"".join(b"%d,x\n" % i for i in range(100_000)))
    with pytest.raises(UnreadableFile, match="no complete bzip2 block"):
        classify_file("x.bz2", data[:1000], size=len(data))


# --- JSON -------------------------------------------------------------------------------------


def test_json_lines_nested_and_merged():
    lines = [
        {"Id": 1, "user": {"Name": "a", "tags": ["x"]}, "score": 1},
        {"Id": 2, "user": {"age": 30}, "score": 2.5, "extra": None},
        {"Id": 3_000_000_000, "items": [{"sku": "a"}, {"qty": 2}], "flag": True, "empty": []},
    ]
    data = "\n".join(json.dumps(line) for line in lines).encode() + b"\n"
    result = classify("e.json", data)
    assert result.classification == "json"
    assert result.columns == [
        ("id", "bigint"),
        ("user", "struct<name:string,tags:array<string>,age:int>"),
        ("score", "double"),
        ("extra", "void"),
        ("items", "array<struct<sku:string,qty:int>>"),
        ("flag", "boolean"),
        ("empty", "array<void>"),
    ]
    assert result.serde == JSON_SERDE
    assert result.serde_parameters == {"paths": "id,user,score,extra,items,flag,empty"}
    assert result.record_count == 3


def test_json_array_and_pretty_printed_objects():
    array = json.dumps([{"a": 1}, {"a": 2, "b": "x"}]).encode()
    assert classify("a.json", array).columns == [("a", "int"), ("b", "string")]
    pretty = (json.dumps({"a": 1}, indent=2) + "\n" + json.dumps({"a": "s"}, indent=2)).encode()
    result = classify("p.json", pretty)
    assert result.columns == [("a", "string")]
    assert result.record_count == 2


def test_gzipped_json():
    result = classify("e.json.gz", gzip.compress(b'{"a": 1}\n{"a": 2}\n'))
    assert (result.classification, result.compression) == ("json", "gzip")


def test_malformed_json_line_in_a_complete_file():
    with pytest.raises(UnreadableFile, match="malformed JSON in the record at line 2"):
        classify("bad.json", b'{"a": 1}\n{"a": \n')
