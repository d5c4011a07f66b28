"""Fixtures for the pure interpreter tests: run a definition in process on a fake clock."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import pytest

from stepfunctions import FakeClock, SystemRandom, run_sync


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def run(clock: FakeClock) -> Callable[..., dict[str, Any]]:
    """``run(definition, input, **kwargs)``: run_sync on the fake clock with seeded randomness; the response
    gains ``value`` (the parsed output) and ``types`` (the history's event types)."""

    def go(definition: dict[str, Any] | str, value: Any = None, **kwargs: Any) -> dict[str, Any]:
        kwargs.setdefault("random", SystemRandom(7))
        response = run_sync(definition, {} if value is None else value, clock=clock, **kwargs)
        response["value"] = json.loads(response["output"]) if response["output"] is not None else None
        response["types"] = [e["type"] for e in response["history"]]
        return response

    return go


def machine(states: dict[str, Any], start: str | None = None, **top: Any) -> dict[str, Any]:
    """A definition of ``states`` starting at the first one."""
    return {"StartAt": start or next(iter(states)), "States": states, **top}
