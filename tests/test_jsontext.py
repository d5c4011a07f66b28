"""``sluice.jsontext``: orjson's speed, the standard library's data."""

from __future__ import annotations

import json
import math
from dataclasses import dataclass
from datetime import UTC, datetime
from enum import StrEnum

import pytest

from sluice.jsontext import stored, wire


class Colour(StrEnum):
    RED = "red"


@dataclass
class Point:
    x: int


@pytest.mark.parametrize(
    "value",
    [
        {"Values": ["2024", "07"], "Parameters": {}, "n": 1, "f": 1.5, "big": 1e300, "neg": -0.0, "t": True},
        ["é", "日本", "\u2028", "\x00", '"quoted"', "back\\slash"],
        {"nested": [{"a": [1, 2, {"b": None}]}]},
        {1: "int key", False: "bool key"},
        10**30,
        [float("nan"), float("inf"), -float("inf")],
        {"colour": Colour.RED},
        (1, 2),
        None,
        "",
    ],
)
def test_stored_text_reads_back_as_the_standard_librarys_would(value: object) -> None:
    expected, got = json.loads(json.dumps(value)), json.loads(stored(value))
    assert repr(got) == repr(expected)  # repr: NaN is not equal to itself, and -0.0 == 0.0
    assert [type(x) for x in _leaves(got)] == [type(x) for x in _leaves(expected)]


def test_what_the_standard_library_refuses_stays_refused() -> None:
    for value in (datetime(2024, 7, 1, tzinfo=UTC), Point(1), {"s": {1, 2}}):
        with pytest.raises(TypeError):
            json.dumps(value)
        with pytest.raises(TypeError):
            stored(value)


def test_wire_bodies_use_default_for_dates_and_keep_big_integers() -> None:
    when = datetime(2024, 7, 1, tzinfo=UTC)
    assert json.loads(wire({"at": when, "x": math.nan})) == {"at": str(when), "x": None}
    assert json.loads(wire({"at": when, "n": 10**30})) == {"at": str(when), "n": 10**30}  # the standard library's
    assert json.loads(wire({"colour": Colour.RED, "p": [1, "é"]})) == {"colour": "red", "p": [1, "é"]}


def _leaves(value: object) -> list[object]:
    if isinstance(value, dict):
        return [leaf for k, v in value.items() for leaf in (k, *_leaves(v))]
    if isinstance(value, list):
        return [leaf for v in value for leaf in _leaves(v)]
    return [value]
