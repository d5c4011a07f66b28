"""Spark SQL translations kept across processes: a statement seen before translates without importing sqlglot,
errors are never kept, and a file for another sqlglot (or translating code) or a damaged one is replaced."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from quality.engines import translations
from quality.engines.plan import RuleError
from quality.engines.sqlexpr import from_spark
from quality.engines.translations import Translations, translator_version

ROOT = Path(__file__).resolve().parents[2]
WHERE = "origin = 'JFK' and `dep delay` > 10"


def _stored(path: Path) -> dict[str, object]:
    return json.loads(path.read_text(encoding="utf-8"))


def test_a_translation_is_kept_and_reused_without_sqlglot(tmp_path) -> None:
    path = tmp_path / "cache" / "duckdb-sql.json"
    translated = from_spark(WHERE, "where clause")
    assert Translations(path).translate(WHERE, "where clause") == translated
    assert _stored(path) == {"version": translator_version(), "translations": {WHERE: translated}}
    code = (
        "import sys\nfrom pathlib import Path\nfrom quality.engines.translations import Translations\n"
        f"print(Translations(Path({str(path)!r})).translate({WHERE!r}, 'where clause'))\n"
        "print('sqlglot' in sys.modules)\n"
    )
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, check=True, capture_output=True, text=True)
    assert out.stdout.splitlines() == [translated, "False"]


def test_errors_are_not_kept(tmp_path) -> None:
    path = tmp_path / "duckdb-sql.json"
    with pytest.raises(RuleError, match="where clause 'a >' is invalid"):
        Translations(path).translate("a >", "where clause")
    assert not path.exists()


@pytest.mark.parametrize(
    "content",
    [
        json.dumps({"version": "sqlglot 0.0.1, from_spark 0", "translations": {WHERE: "stale"}}),
        json.dumps({"version": translator_version(), "translations": ["not", "a", "map"]}),
        "{damaged",
    ],
)
def test_another_version_or_a_damaged_file_is_replaced(tmp_path, content: str) -> None:
    path = tmp_path / "duckdb-sql.json"
    path.write_text(content, encoding="utf-8")
    assert Translations(path).translate(WHERE, "where clause") == from_spark(WHERE, "where clause")
    assert _stored(path)["translations"] == {WHERE: from_spark(WHERE, "where clause")}


def test_the_oldest_translations_go_first(tmp_path, monkeypatch) -> None:
    monkeypatch.setattr(translations, "MAX_ENTRIES", 2)
    path = tmp_path / "duckdb-sql.json"
    cache = Translations(path)
    for statement in ("a = 1", "b = 2", "c = 3"):
        cache.translate(statement, "where clause")
    assert list(_stored(path)["translations"]) == ["b = 2", "c = 3"]  # type: ignore[call-overload]


def test_a_home_that_cannot_be_written_still_translates(tmp_path) -> None:
    home = tmp_path / "read-only"
    home.write_text("a file, not a folder")  # the cache folder cannot be made under it
    assert Translations(home / "cache" / "duckdb-sql.json").translate("a = 1", "w") == '"a" = 1'
