"""The AWS endpoint's ASGI app: Glue's AWS JSON 1.1 and Step Functions' AWS JSON 1.0 protocols, SigV4-signed,
served by :func:`service.invoke`.

Every request is ``POST /`` with ``X-Amz-Target: AWSGlue.<Operation>`` or ``AWSStepFunctions.<Operation>``
and a JSON body of the operation's request members; the target's prefix picks the API. Responses and errors
are what boto3 and the AWS CLI expect of each: JSON 1.1 (Glue) or 1.0 (Step Functions) bodies,
``{"__type": code, "Message": ...}`` errors (``"message"`` for Step Functions, as it sends them) with
``x-amzn-ErrorType``, timestamps as epoch seconds.
"""

from __future__ import annotations

import json
import logging
import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import cache
from typing import TYPE_CHECKING, Any
from urllib.parse import unquote

from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from awsapi.keys import AccessKey
from awsapi.sigv4 import AwsError, authenticate
from service import GLUE, STATES, invoke, operations
from service.model import error_code, operation_model, service_model
from sluice.errors import SluiceError
from sluice.jsontext import wire
from sluice.launch import Caller

if TYPE_CHECKING:
    from botocore.model import Shape

    from sluice.context import SluiceContext
    from sluice.launch import Launcher

log = logging.getLogger(__name__)

CONTENT_TYPE = "application/x-amz-json-1.1"


@dataclass(frozen=True)
class Protocol:
    """How one API is spoken: its botocore service name, content type and error message member."""

    api: str
    content_type: str
    message_key: str


GLUE_PROTOCOL = Protocol(GLUE, CONTENT_TYPE, "Message")
STATES_PROTOCOL = Protocol(STATES, "application/x-amz-json-1.0", "message")
PROTOCOLS = (GLUE_PROTOCOL, STATES_PROTOCOL)


def _epoch(value: Any) -> float | None:
    if value is None:
        return None
    moment = datetime.fromisoformat(value) if isinstance(value, str) else value
    return (moment if moment.tzinfo else moment.replace(tzinfo=UTC)).timestamp()


Convert = Callable[[Any], Any]


_BUILDING: Convert = lambda value: value  # noqa: E731  # a recursive shape's marker while its converter is built


def _converter(shape: Shape | None, memo: dict[str, Convert | None]) -> Convert | None:
    """What turns a value of ``shape`` into its wire form (each timestamp member as epoch seconds), walking only
    the members that can hold a timestamp; None when none can (the value goes out as it is)."""
    kind = shape.type_name if shape is not None else None
    if kind == "timestamp":
        return _epoch
    if shape is None or kind not in ("structure", "list", "map"):
        return None
    name = shape.name
    if memo.get(name) is _BUILDING:  # a recursive shape: its converter is looked up when a value comes
        return lambda value: (memo[name] or _same)(value)
    if name not in memo:
        memo[name] = _BUILDING
        memo[name] = _container_converter(shape, memo)
    return memo[name]


def _same(value: Any) -> Any:
    return value


def _container_converter(shape: Any, memo: dict[str, Convert | None]) -> Convert | None:
    kind = shape.type_name
    if kind == "structure":
        members = {k: c for k, m in shape.members.items() if (c := _converter(m, memo)) is not None}
        if not members:
            return None

        def structure(value: Any) -> Any:
            if not isinstance(value, dict):
                return value
            out = dict(value)
            for key, convert in members.items():
                member = value.get(key)
                if member is not None:
                    out[key] = convert(member)
            return out

        return structure
    item = _converter(shape.member if kind == "list" else shape.value, memo)
    if item is None:
        return None
    if kind == "list":
        return lambda value: [item(v) for v in value] if isinstance(value, list) else value
    return lambda value: {k: item(v) for k, v in value.items()} if isinstance(value, dict) else value


@cache
def wire_converter(operation: str, api: str) -> Convert:
    """The response converter of ``operation`` (built once): timestamps as epoch seconds, which botocore parses
    in JSON 1.0/1.1 bodies; the service gives them as ISO 8601 strings or datetimes (naive ones are UTC)."""
    return _converter(operation_model(operation, api).output_shape, {}) or _same


def signed_path(scope: Mapping[str, Any]) -> str:
    """The request path as the client signed it: the server's ``raw_path`` when it gives one (uvicorn does;
    mounts leave it alone), else ``path``, which Starlette's mounts and uvicorn keep the root path in (ASGI's
    convention); a server that strips it leaves it in ``root_path`` only."""
    raw = scope.get("raw_path")
    if raw:
        return unquote(raw.decode("latin-1"))
    root, path = scope.get("root_path", ""), scope["path"]
    return str(path if path.startswith(root) else root + path)


def protocol_of(target: str | None) -> Protocol:
    """The API whose target prefix ``X-Amz-Target`` has (Glue's when none has it)."""
    head = (target or "").partition(".")[0]
    return next((p for p in PROTOCOLS if service_model(p.api).metadata["targetPrefix"] == head), GLUE_PROTOCOL)


def _operation(target: str | None, protocol: Protocol) -> str:
    """The operation named by ``X-Amz-Target``; UnknownOperationException unless Sluice implements it."""
    prefix = f"{service_model(protocol.api).metadata['targetPrefix']}."
    operation = target.removeprefix(prefix) if target and target.startswith(prefix) else None
    if operation not in operations(protocol.api):
        raise AwsError("UnknownOperationException", f"Unknown operation {target!r}.")
    return operation


def _request_members(body: bytes) -> dict[str, Any]:
    """The JSON object of the request (an empty body is ``{}``); SerializationException when it is none."""
    try:
        members = json.loads(body) if body.strip() else {}
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise AwsError("SerializationException", f"The request body is not valid JSON: {exc}") from None
    if not isinstance(members, dict):
        raise AwsError("SerializationException", "The request body must be a JSON object.")
    return members


Authorizer = Callable[[AccessKey, str], None]
"""Raises :class:`AwsError` (``AccessDeniedException``) unless the key's user may call the operation."""


def is_read(operation: str) -> bool:
    """Whether an operation only reads (Glue's Get*, List*, Search*, BatchGet*, Step Functions' Describe*,
    List*, Get*, Validate*); every other one changes or starts."""
    return operation.startswith(("Get", "List", "Search", "BatchGet", "Describe", "Validate"))


def authenticated_only(key: AccessKey, operation: str) -> None:
    """The authorizer of ``sluice serve``: any active key may call any operation (single-user, local use)."""


def endpoint_url(request: Request) -> str:
    """This endpoint's URL as the client reached it (scheme, host and the mount's path): what a job started
    by the request gets as ``AWS_ENDPOINT_URL_GLUE``."""
    root = request.scope.get("root_path", "")
    host = request.headers.get("host") or f"{request.url.hostname}:{request.url.port}"
    return f"{request.url.scheme}://{host}{root}"


def _handle(
    ctx: SluiceContext,
    request: Request,
    body: bytes,
    authorize: Authorizer,
    launcher: Launcher | None,
    protocol: Protocol,
) -> dict[str, Any]:
    """Authenticate, authorize, decode and run one request; the operation's response with epoch timestamps."""
    query = request.scope.get("query_string", b"").decode("latin-1")
    key = authenticate(ctx, request.method, signed_path(request.scope), query, request.headers, body)
    operation = _operation(request.headers.get("x-amz-target"), protocol)
    members = _request_members(body)
    authorize(key, operation)
    caller = Caller(key.access_key_id, key.user_name, endpoint_url(request))
    response = invoke(ctx.for_caller(caller, launcher), operation, members, protocol.api)
    return wire_converter(operation, protocol.api)(response)


def _json(
    payload: dict[str, Any], request_id: str, protocol: Protocol, status: int = 200, code: str | None = None
) -> Response:
    headers = {"x-amzn-RequestId": request_id} | ({"x-amzn-ErrorType": code} if code else {})
    return Response(wire(payload), status_code=status, headers=headers, media_type=protocol.content_type)


def _error(code: str, message: str, request_id: str, status: int, protocol: Protocol) -> Response:
    return _json({"__type": code, protocol.message_key: message}, request_id, protocol, status, code)


GC_YOUNGEST = 20_000
"""Container objects allocated (net of those freed) between two collections of the youngest generation in
``sluice serve`` (Python's default: 700). A request's objects are freed by reference counting when it ends;
at 700 a BatchCreatePartition of 100 partitions (thousands of containers decoded and built) ran one or two
collections over the objects it still held, 0.25-0.5 ms of its CPU; at this threshold, about none."""


def preload(ctx: SluiceContext) -> None:
    """Load what the first requests would (the APIs' models and operations, the metadata engine), then
    move every object alive to the collector's permanent generation (``gc.freeze``): the imported modules
    and models are never garbage, and a full collection then scans only what requests allocate. Without
    it each one scans the whole heap (some 190,000 objects, about 0.1 s on 2 cores), stalling every
    request in flight: the p99 of concurrent clients. The youngest generation is collected every
    :data:`GC_YOUNGEST` allocations.

    For a process that only serves the endpoint (``sluice serve``), called once before it serves.
    """
    import gc

    for protocol in PROTOCOLS:
        operations(protocol.api)
        service_model(protocol.api)
    ctx.engine()
    gc.collect()
    gc.freeze()
    gc.set_threshold(GC_YOUNGEST, *gc.get_threshold()[1:])


def create_app(
    ctx_provider: Callable[[], SluiceContext], authorize: Authorizer, launcher: Launcher | None = None
) -> Starlette:
    """The endpoint's app; ``ctx_provider`` gives the context each request runs in (called per request,
    in a worker thread, so it may build and cache the context on first use), ``authorize`` decides each
    call for the signing key's user before anything runs, and ``launcher`` starts the runs that
    StartJobRun, StartCrawler and StartDataQualityRulesetEvaluationRun record (None: on this host)."""

    async def endpoint(request: Request) -> Response:
        request_id = str(uuid.uuid4())
        body = await request.body()
        protocol = protocol_of(request.headers.get("x-amz-target"))
        try:
            # one hop to a worker thread: the context (built on first use) and the call
            response = await run_in_threadpool(
                lambda: _handle(ctx_provider(), request, body, authorize, launcher, protocol)
            )
            return _json(response, request_id, protocol)
        except AwsError as exc:
            return _error(exc.code, exc.message, request_id, exc.status, protocol)
        except SluiceError as exc:
            return _error(error_code(exc), exc.message, request_id, 400, protocol)
        except Exception:
            log.exception("Request %s failed", request_id)
            message = f"Internal error (request {request_id})."
            return _error("InternalServiceException", message, request_id, 500, protocol)

    return Starlette(routes=[Route("/", endpoint, methods=["POST"])])
