"""``sluice serve``'s start: the endpoint's models and operations load once, then the heap is frozen for the GC."""

from __future__ import annotations

import gc

from awsapi.app import GC_YOUNGEST, preload
from service import GLUE, STATES, operations
from sluice.context import SluiceContext


def test_preload_loads_both_apis_and_freezes_the_heap(ctx: SluiceContext) -> None:
    operations.cache_clear()
    threshold = gc.get_threshold()
    try:
        preload(ctx)
        assert gc.get_freeze_count() > 10_000  # the modules and models imported so far
        assert operations.cache_info().currsize == 2  # Glue's and Step Functions' operations, loaded
        assert "GetTable" in operations(GLUE) and "StartExecution" in operations(STATES)
        assert gc.get_threshold() == (GC_YOUNGEST, *threshold[1:])
    finally:
        gc.unfreeze()
        gc.set_threshold(*threshold)
