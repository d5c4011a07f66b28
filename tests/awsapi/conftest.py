"""Access-key fixtures: an explicit context over a SQLite metadata DB of the test's own."""

from __future__ import annotations

from pathlib import Path

import pytest

from sluice.context import SluiceContext
from sluice.settings import Settings


@pytest.fixture
def ctx(tmp_path: Path) -> SluiceContext:
    return SluiceContext(Settings(home=tmp_path / "home"))
