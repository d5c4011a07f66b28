"""relationalize, checked against Glue's legislators example layout."""

from __future__ import annotations

import pytest

from etl.transforms import relationalize
from sluice.errors import InvalidInputException

SCHEMA = (
    "pid string, name struct<given: string, family: string>, "
    "contact_details array<struct<type: string, value: string, tags: array<string>>>, "
    "links array<string>, grid array<array<int>>"
)


@pytest.fixture(scope="module")
def persons(spark):
    return spark.createDataFrame(
        [
            (
                "p1",
                ("Mike", "Thompson"),
                [("fax", "202-225-3695", ["work"]), ("phone", "202-225-3311", ["home", "cell"])],
                ["https://a", "https://b"],
                [[1, 2], [3]],
            ),
            ("p2", ("Ann", None), [], None, None),
        ],
        SCHEMA,
    )


@pytest.mark.spark
def test_relationalize_matches_glue_layout(persons):
    tables = relationalize(persons, "hist_root")
    assert list(tables) == [
        "hist_root",
        "hist_root_contact_details",
        "hist_root_contact_details.val.tags",
        "hist_root_links",
        "hist_root_grid",
        "hist_root_grid.val",
    ]
    root = tables["hist_root"]
    assert root.columns == ["pid", "name.given", "name.family", "contact_details", "links", "grid"]
    assert root.schema["contact_details"].dataType.simpleString() == "bigint"
    contacts = tables["hist_root_contact_details"]
    assert contacts.columns == [
        "id",
        "index",
        "contact_details.val.type",
        "contact_details.val.value",
        "contact_details.val.tags",
    ]
    assert tables["hist_root_contact_details.val.tags"].columns == ["id", "index", "contact_details.val.tags.val"]
    assert tables["hist_root_links"].columns == ["id", "index", "links.val"]
    assert tables["hist_root_grid.val"].columns == ["id", "index", "grid.val.val"]

    p1, p2 = sorted(root.collect(), key=lambda r: r["pid"])
    assert (p1["name.given"], p2["name.family"]) == ("Mike", None)
    # An empty array still gets a key (and no child rows); a null array gets a null key.
    assert p2["contact_details"] is not None
    assert (p2["links"], p2["grid"]) == (None, None)

    joined = root.join(contacts, root["contact_details"] == contacts["id"])
    assert sorted((r["pid"], r["index"], r["contact_details.val.type"]) for r in joined.collect()) == [
        ("p1", 0, "fax"),
        ("p1", 1, "phone"),
    ]
    tags = tables["hist_root_contact_details.val.tags"]
    nested = contacts.join(tags, contacts["`contact_details.val.tags`"] == tags["id"])
    assert sorted(
        (r["contact_details.val.type"], r[6], r["contact_details.val.tags.val"]) for r in nested.collect()
    ) == [("fax", 0, "work"), ("phone", 0, "home"), ("phone", 1, "cell")]
    rows, cells = tables["hist_root_grid"], tables["hist_root_grid.val"]
    grid = rows.join(cells, rows["`grid.val`"] == cells["id"]).select(rows["index"], cells["index"], "`grid.val.val`")
    assert sorted(tuple(r) for r in grid.collect()) == [(0, 0, 1), (0, 1, 2), (1, 0, 3)]
    assert sorted(r["links.val"] for r in tables["hist_root_links"].collect()) == ["https://a", "https://b"]


@pytest.mark.spark
def test_relationalize_separator_and_staging_path(persons, tmp_path):
    tables = relationalize(persons.select("pid", "name", "links"), "root", separator="_", staging_path=str(tmp_path))
    assert list(tables) == ["root", "root_links"]
    assert tables["root"].columns == ["pid", "name_given", "name_family", "links"]
    assert tables["root_links"].columns == ["id", "index", "links_val"]
    assert (tmp_path / "root").is_dir()
    assert sorted(r["links_val"] for r in tables["root_links"].collect()) == ["https://a", "https://b"]


@pytest.mark.spark
def test_relationalize_flat_frame_and_errors(spark):
    flat = spark.createDataFrame([(1, ("x",))], "`a.b` int, a struct<b: string>")
    with pytest.raises(InvalidInputException, match=r"duplicate column names: \[`a.b`\]"):
        relationalize(flat, "root")
    assert list(relationalize(flat, "root", separator="__")) == ["root"]
    with pytest.raises(InvalidInputException, match="root_name"):
        relationalize(flat, "")
