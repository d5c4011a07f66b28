"""Request shapes checked by functions compiled once per botocore shape, instead of walking the model per request.

A compiled check answers one question: would botocore's ``ParamValidator`` find nothing wrong with this value?
It applies the same rules (types, ``required``, unknown members, ``min`` lengths and values, tagged unions);
the few kinds it does not compile (timestamps, blobs, documents, JSON-value headers) it asks botocore about.
A value it refuses goes to botocore's validator, whose report names each error (``service.model``).
"""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from botocore.model import Shape

Check = Callable[[Any], bool]
"""True when botocore's validator would report no error for the value."""

_SCALARS: dict[str, tuple[type, ...]] = {
    "string": (str,),
    "integer": (int,),
    "long": (int,),
    "boolean": (bool,),
    "float": (float, Decimal, int),
    "double": (float, Decimal, int),
}
"""Python types botocore accepts per scalar type (``bool`` passes as an integer, as in botocore)."""


def compile_check(shape: Shape) -> Check:
    """The check of ``shape`` and of every shape under it (recursive shapes compile once, by name)."""
    return _checker(_compile(shape, {}, set()))


Compiled = tuple[type, ...] | Check
"""A compiled shape: the types of a scalar with no other rule (checked inline by its parent), else a check."""


def _checker(compiled: Compiled) -> Check:
    return compiled if callable(compiled) else lambda value: isinstance(value, compiled)


def _passes(compiled: Compiled, value: Any) -> bool:
    return isinstance(value, compiled) if isinstance(compiled, tuple) else compiled(value)


def _compile(shape: Shape, done: dict[str, Check], active: set[str]) -> Compiled:
    from botocore.utils import is_json_value_header

    kind = shape.type_name
    if is_json_value_header(shape) or (kind == "structure" and shape.is_document_type):
        return _botocore(shape)
    if kind in ("structure", "list", "map"):
        name = shape.name
        if name in active:  # a recursive shape: its check exists once its compilation below ends
            return lambda value: done[name](value)
        if name not in done:
            active.add(name)
            done[name] = _container(shape, done, active)
            active.discard(name)
        return done[name]
    if kind in _SCALARS:
        return _scalar(_SCALARS[kind], _minimum(shape), length=kind == "string")
    return _botocore(shape)  # timestamp, blob


def _minimum(shape: Shape) -> float | None:
    """botocore's lower bound (of a length or a value): ``min``, or 1 for a host label."""
    if "min" in shape.metadata:
        return float(shape.metadata["min"])
    return 1 if shape.serialization.get("hostLabel") else None


def _scalar(types: tuple[type, ...], low: float | None, *, length: bool) -> Compiled:
    if low is None:
        return types
    bound = low

    def check_length(value: Any) -> bool:
        typed = isinstance(value, types)  # kept apart: the narrowing to object would hide len()
        return typed and len(value) >= bound

    def check_value(value: Any) -> bool:
        typed = isinstance(value, types)
        return typed and value >= bound

    return check_length if length else check_value


def _container(shape: Any, done: dict[str, Check], active: set[str]) -> Check:
    kind = shape.type_name
    if kind == "list":
        item = _compile(shape.member, done, active)
        low = _minimum(shape) or 0

        def check_list(value: Any) -> bool:
            if not isinstance(value, list | tuple) or len(value) < low:
                return False
            if isinstance(item, tuple):
                return all(isinstance(v, item) for v in value)
            return all(map(item, value))

        return check_list
    if kind == "map":
        key, val = _compile(shape.key, done, active), _compile(shape.value, done, active)

        def check_map(value: Any) -> bool:
            return isinstance(value, dict) and all(_passes(key, k) and _passes(val, v) for k, v in value.items())

        return check_map
    members = {name: _compile(member, done, active) for name, member in shape.members.items()}
    required = tuple(shape.metadata.get("required", ()))
    union = shape.is_tagged_union

    def check_structure(value: Any) -> bool:
        if not isinstance(value, dict) or (union and len(value) != 1):
            return False
        for name in required:
            if name not in value:
                return False
        for name, member_value in value.items():
            member = members.get(name)
            if member is None:
                return False
            if isinstance(member, tuple):
                if not isinstance(member_value, member):
                    return False
            elif not member(member_value):
                return False
        return True

    return check_structure


def _botocore(shape: Shape) -> Check:
    """botocore's own verdict, for the kinds not compiled here."""
    from botocore.validate import ParamValidator

    validator = ParamValidator()
    return lambda value: not validator.validate(value, shape).has_errors()
