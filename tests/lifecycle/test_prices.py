"""The bundled us-east-1 price table, replacement tables and per-object billing minimums."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from lifecycle import load_prices
from lifecycle.prices import DEFAULT_PRICES
from lifecycle.validate import TRANSITION_CLASSES
from sluice.errors import InvalidInputException

GB = 1024**3
KIB = 1024


def test_bundled_table_prices_every_transition_class() -> None:
    prices = load_prices()
    assert prices.region == "us-east-1" and prices.currency == "USD"
    assert set(TRANSITION_CLASSES) | {"STANDARD"} == set(prices.classes)
    rates = {name: price.storage_gb_month for name, price in prices.classes.items()}
    assert rates == {
        "STANDARD": 0.023,
        "INTELLIGENT_TIERING": 0.023,
        "STANDARD_IA": 0.0125,
        "ONEZONE_IA": 0.01,
        "GLACIER_IR": 0.004,
        "GLACIER": 0.0036,
        "DEEP_ARCHIVE": 0.00099,
    }
    minimums = {name: price.min_storage_days for name, price in prices.classes.items()}
    assert minimums == {
        "STANDARD": 0,
        "INTELLIGENT_TIERING": 0,
        "STANDARD_IA": 30,
        "ONEZONE_IA": 30,
        "GLACIER_IR": 90,
        "GLACIER": 90,
        "DEEP_ARCHIVE": 180,
    }
    assert prices.price("GLACIER").retrieval_gb == {"expedited": 0.03, "standard": 0.01, "bulk": 0.0}


def test_monthly_cost_per_class() -> None:
    prices = load_prices()
    cost = prices.monthly_cost({"STANDARD": 100 * GB, "DEEP_ARCHIVE": 1000 * GB})
    assert cost == {"STANDARD": pytest.approx(2.3), "DEEP_ARCHIVE": pytest.approx(0.99)}
    with pytest.raises(InvalidInputException, match="no us-east-1 price for storage class 'SNOW'"):
        prices.monthly_cost({"SNOW": 1})


@pytest.mark.parametrize(
    ("size", "storage_class", "billed"),
    [
        # Standard-IA, One Zone-IA and Glacier Instant Retrieval bill at least 128 KiB per object.
        (1 * KIB, "STANDARD_IA", {"STANDARD_IA": 128 * KIB}),
        (1 * KIB, "ONEZONE_IA", {"ONEZONE_IA": 128 * KIB}),
        (1 * KIB, "GLACIER_IR", {"GLACIER_IR": 128 * KIB}),
        (200 * KIB, "STANDARD_IA", {"STANDARD_IA": 200 * KIB}),
        (1 * KIB, "STANDARD", {"STANDARD": 1 * KIB}),
        # Archived objects add 32 KiB at the archive rate and 8 KiB at the STANDARD rate.
        (1 * KIB, "GLACIER", {"GLACIER": 33 * KIB, "STANDARD": 8 * KIB}),
        (GB, "DEEP_ARCHIVE", {"DEEP_ARCHIVE": GB + 32 * KIB, "STANDARD": 8 * KIB}),
    ],
)
def test_object_bytes_include_minimums(size: int, storage_class: str, billed: dict[str, int]) -> None:
    assert load_prices().object_bytes(size, storage_class) == billed


def test_object_monthly_cost() -> None:
    prices = load_prices()
    assert prices.object_monthly_cost(1 * KIB, "STANDARD_IA") == pytest.approx(128 * KIB / GB * 0.0125)
    glacier = 33 * KIB / GB * 0.0036 + 8 * KIB / GB * 0.023
    assert prices.object_monthly_cost(1 * KIB, "GLACIER") == pytest.approx(glacier)
    # Intelligent-Tiering adds its monitoring fee only for objects over 128 KiB.
    assert prices.object_monthly_cost(GB, "INTELLIGENT_TIERING") == pytest.approx(0.023 + 0.0025 / 1000)
    assert prices.object_monthly_cost(KIB, "INTELLIGENT_TIERING") == pytest.approx(KIB / GB * 0.023)


def test_retrieval_cost() -> None:
    prices = load_prices()
    assert prices.retrieval_cost(10 * GB, "STANDARD_IA") == pytest.approx(0.1)
    assert prices.retrieval_cost(10 * GB, "GLACIER", "bulk") == 0.0
    assert prices.retrieval_cost(10 * GB, "STANDARD") == 0.0
    with pytest.raises(InvalidInputException, match="no 'expedited' retrieval tier"):
        prices.retrieval_cost(GB, "DEEP_ARCHIVE", "expedited")


def test_a_replacement_table(tmp_path: Path) -> None:
    data = json.loads(DEFAULT_PRICES.read_text())
    data["region"] = "eu-central-1"
    data["storage_classes"]["STANDARD"]["storage_gb_month"] = 0.0245
    path = tmp_path / "prices_eu_central_1.json"
    path.write_text(json.dumps(data))
    prices = load_prices(path)
    assert prices.region == "eu-central-1"
    assert prices.monthly_cost({"STANDARD": GB}) == {"STANDARD": pytest.approx(0.0245)}


def test_bad_tables_name_the_file(tmp_path: Path) -> None:
    broken = tmp_path / "broken.json"
    broken.write_text('{"region": }')
    with pytest.raises(InvalidInputException, match=rf"{broken}:1:12: invalid JSON"):
        load_prices(broken)
    incomplete = tmp_path / "incomplete.json"
    incomplete.write_text('{"region": "x"}')
    with pytest.raises(InvalidInputException, match="malformed price table"):
        load_prices(incomplete)
    with pytest.raises(InvalidInputException, match="cannot read price table"):
        load_prices(tmp_path / "missing.json")
