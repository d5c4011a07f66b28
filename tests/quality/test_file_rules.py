"""File* rules on real files of a lake path: size, freshness, uniqueness and checksum matches (pandas engine)."""

from __future__ import annotations

import hashlib

import pandas as pd

from quality.engines import evaluate


def test_file_rules(tmp_path, dqdl) -> None:
    data, copy = tmp_path / "data", tmp_path / "copy"
    data.mkdir()
    copy.mkdir()
    for name, body in (("a.csv", b"x\n1\n"), ("b.csv", b"x\n1\n"), ("c.csv", b"x\n" + b"2\n" * 600)):
        (data / name).write_bytes(body)
        (copy / name).write_bytes(body)
    digest = hashlib.md5(b"x\n1\n").hexdigest()
    rules = {
        f'FileSize "{data}" < 1 KB': "FAIL",
        f'FileSize "{data}" < 1 KB with threshold > 0.6': "PASS",
        f'FileFreshness "{data}" > (now() - 1 days)': "PASS",
        f'FileFreshness "{data}" < (now() - 1 days)': "FAIL",
        f'FileUniqueness "{data}" > 0.9': "FAIL",
        f'FileMatch "{data}" "{copy}"': "PASS",
        f'FileMatch "{data / "a.csv"}" in ["{digest}"] with hashAlgorithm = "MD5"': "PASS",
        f'FileMatch "{data / "c.csv"}" in ["{digest}"]': "FAIL",
        f'FileSize "{tmp_path / "none"}" > 0': "ERROR",
        "FileSize < 1 GB": "ERROR",
    }
    results = evaluate(dqdl(rules), pd.DataFrame({"x": [1]}), engine="pandas")["RuleResults"]
    assert [r["Result"] for r in results] == list(rules.values()), results
    assert results[4]["EvaluatedMetrics"] == {"Dataset.*.FileUniqueness": 2 / 3}
    assert "no files found" in results[-2]["EvaluationMessage"]
    assert "needs a DataPath" in results[-1]["EvaluationMessage"]
