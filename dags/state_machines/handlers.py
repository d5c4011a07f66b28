"""Lambda handlers of the state machines in this folder (named by ``lambdas.yaml``)."""

from __future__ import annotations

import json
import os
import time
from typing import Any


def double(event: dict[str, Any], context: Any) -> dict[str, Any]:
    """``{"value": v, "doubled": 2 v}`` of the event's ``value``, after ``calls.pause`` seconds. When ``calls.log``
    names a file, a line there records the call's value, start and end (epoch seconds) and process; when
    ``calls.hang`` names a file that does not exist yet, the call writes its process id there and hangs (for a
    test to kill it): only the first such call does."""
    calls = event.get("calls") or {}
    start = time.time()
    if calls.get("hang"):
        try:
            marker = os.open(calls["hang"], os.O_CREAT | os.O_EXCL | os.O_WRONLY)
        except FileExistsError:
            pass
        else:
            os.write(marker, str(os.getpid()).encode())
            os.close(marker)
            time.sleep(3600)
    time.sleep(float(calls.get("pause", 0)))
    value = event["value"]
    if calls.get("log"):
        line = {"value": value, "start": start, "end": time.time(), "pid": os.getpid()}
        with open(calls["log"], "a") as out:
            out.write(json.dumps(line) + "\n")
    return {"value": value, "doubled": 2 * value}
