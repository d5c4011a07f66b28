"""JSON text at orjson's speed, for the metadata DB's JSON columns and the AWS endpoint's responses.

orjson writes the same JSON as the standard library for the values these hold (text it leaves unescaped and
without spaces, which parses to the same data), several times faster on small objects. Where the two would
differ, the standard library writes: a value orjson refuses (an integer beyond 64 bits, a ``str`` or ``float``
subclass, a datetime or dataclass, which ``default`` or an error then handles as before), and, for stored
values, any whose text holds ``null``, since orjson writes NaN and infinities as ``null`` where the standard
library writes ``NaN``, which reads back as a float.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import orjson

_OPTIONS = (
    orjson.OPT_NON_STR_KEYS
    | orjson.OPT_PASSTHROUGH_DATETIME
    | orjson.OPT_PASSTHROUGH_DATACLASS
    | orjson.OPT_PASSTHROUGH_SUBCLASS
)


def stored(value: Any) -> str:
    """``json.dumps(value)``'s data as text: what SQLAlchemy's JSON columns store (the engine's serializer)."""
    try:
        text = orjson.dumps(value, option=_OPTIONS)
    except TypeError:
        return json.dumps(value)
    return json.dumps(value) if b"null" in text else text.decode()


def wire(value: Any, default: Callable[[Any], Any] = str) -> bytes:
    """A response body: ``value`` as JSON, ``default`` for what JSON has no type for (NaN and infinities, which
    no AWS response holds, as ``null``, valid JSON, where the standard library writes ``NaN``)."""
    try:
        return orjson.dumps(value, default=default, option=_OPTIONS)
    except TypeError:
        return json.dumps(value, default=default).encode()
