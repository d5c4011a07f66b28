"""Glue exclude-pattern globs and Spark's hidden-path rule."""

from __future__ import annotations

import pytest

from sluice.globs import GlobSyntaxError, compile_globs
from sluice.lake.paths import is_hidden

# The S3 tree of Glue's "Include and exclude patterns" example, relative to s3://mybucket/myfolder/.
TREE = [
    "departments/finance.json",
    "departments/market-us.json",
    "departments/market-emea.json",
    "departments/market-ap.json",
    "employees/hr.json",
    "employees/john.csv",
    "employees/jane.csv",
    "employees/juan.txt",
]


def excluded(patterns: list[str], paths: list[str] = TREE) -> list[str]:
    matches = compile_globs(patterns)
    return [p for p in paths if matches(p)]


def test_glue_doc_examples():
    assert excluded(["departments/**"]) == TREE[:4]
    assert excluded(["departments/market*"]) == TREE[1:4]
    assert excluded(["**.csv"]) == ["employees/john.csv", "employees/jane.csv"]
    assert excluded(["employees/*.csv"]) == ["employees/john.csv", "employees/jane.csv"]


def test_glue_doc_partition_subset_example():
    # Crawl only 2015-01-01 .. 2015-01-07: everything else in 2015 is excluded.
    patterns = [" 2015/01/{[!0],0[8-9]}**", " 2015/0[2-9]/**", "2015/1[0-2]/**"]
    days = [f"2015/01/{d:02d}/data.json" for d in range(1, 32)]
    kept = [p for p in days if p not in excluded(patterns, days)]
    assert kept == [f"2015/01/0{d}/data.json" for d in range(1, 8)]
    assert excluded(patterns, ["2015/02/01/x", "2015/12/31/x", "2016/02/01/x"]) == ["2015/02/01/x", "2015/12/31/x"]


@pytest.mark.parametrize(
    ("pattern", "path", "hit"),
    [
        ("*.csv", "a.csv", True),
        ("*.csv", "dir/a.csv", False),  # * does not cross folders
        ("**.csv", "dir/sub/a.csv", True),
        ("*.*", "a.b", True),
        ("*.*", "ab", False),
        ("*.{csv,avro}", "x.avro", True),
        ("*.{csv,avro}", "x.json", False),
        ("foo.?", "foo.c", True),
        ("foo.?", "foo.cc", False),
        ("myfolder/*", "myfolder/mysource", True),
        ("myfolder/*", "myfolder/mysource/data", False),
        ("myfolder/*/*", "myfolder/mysource/data", True),
        ("myfolder/**", "myfolder/mysource/mydata", True),
        ("myfolder**", "myfolder", True),
        ("myfolder**", "myfolder/mydata.txt", True),
        ("?", "/", False),  # ? never matches the separator
        ("[abce-g]x", "fx", True),
        ("[abce-g]x", "dx", False),
        ("[!a-c]x", "dx", True),
        ("[!a-c]x", "bx", False),
        ("[-a]x", "-x", True),
        ("[!-a]x", "-x", False),
        ("[*?]x", "*x", True),
        ("\\{a\\}", "{a}", True),
        ("\\\\", "\\", True),
        ("*", ".hidden", True),  # a leading dot is ordinary
        ("/top/*.json", "top/a.json", True),
    ],
)
def test_glob_rules(pattern, path, hit):
    assert compile_globs([pattern])(path) is hit


def test_no_patterns_exclude_nothing():
    assert compile_globs([])("a") is False
    assert compile_globs(["  "])("a") is False


@pytest.mark.parametrize("pattern", ["[abc", "{a,b", "{a,{b}}", "a\\", "[z-a]"])
def test_malformed_patterns(pattern):
    with pytest.raises(GlobSyntaxError):
        compile_globs([pattern])


@pytest.mark.parametrize(
    ("path", "hidden"),
    [
        ("_SUCCESS", True),
        ("year=2020/_SUCCESS", True),
        ("_temporary/0/part-0.parquet", True),
        ("data/.part-0.parquet.crc", True),
        (".hidden/file.csv", True),
        ("_metadata", True),
        ("_common_metadata", True),
        ("data/file.csv._COPYING_", True),
        ("data_$folder$", True),
        ("_col=1/part-0.parquet", False),  # Hive partition folders may start with _
        ("year=2020/part-0.parquet", False),
        ("data/file_1.csv", False),
    ],
)
def test_is_hidden_follows_spark(path, hidden):
    assert is_hidden(path) is hidden
