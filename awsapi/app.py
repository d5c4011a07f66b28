"""The AWS endpoint's ASGI app: Glue's AWS JSON 1.1 protocol, SigV4-signed, served by :func:`service.invoke`.

Every request is ``POST /`` with ``X-Amz-Target: AWSGlue.<Operation>`` and a JSON body of the operation's
request members. Responses and errors are what boto3 and the AWS CLI expect of Glue: JSON 1.1 bodies,
``{"__type": code, "Message": ...}`` errors with ``x-amzn-ErrorType``, timestamps as epoch seconds.
"""

from __future__ import annotations

import json
import logging
import uuid
from collections.abc import Callable, Mapping
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any
from urllib.parse import unquote

from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from awsapi.keys import AccessKey
from awsapi.sigv4 import AwsError, authenticate
from service import invoke, operations
from service.model import error_code, glue_model, operation_model
from sluice.errors import SluiceError
from sluice.launch import Caller

if TYPE_CHECKING:
    from botocore.model import Shape

    from sluice.context import SluiceContext
    from sluice.launch import Launcher

log = logging.getLogger(__name__)

CONTENT_TYPE = "application/x-amz-json-1.1"


def epoch_seconds(value: Any, shape: Shape) -> Any:
    """``value`` (a response member of ``shape``) with each timestamp member as epoch seconds, which botocore
    parses in JSON 1.1 bodies; the service gives them as ISO 8601 strings or datetimes (naive ones are UTC)."""
    if value is None:
        return None
    kind = shape.type_name
    if kind == "timestamp":
        moment = datetime.fromisoformat(value) if isinstance(value, str) else value
        return (moment if moment.tzinfo else moment.replace(tzinfo=UTC)).timestamp()
    if kind == "structure" and isinstance(value, dict):
        members = shape.members
        return {k: epoch_seconds(v, members[k]) if k in members else v for k, v in value.items()}
    if kind == "list" and isinstance(value, list):
        return [epoch_seconds(item, shape.member) for item in value]
    if kind == "map" and isinstance(value, dict):
        return {k: epoch_seconds(v, shape.value) for k, v in value.items()}
    return value


def signed_path(scope: Mapping[str, Any]) -> str:
    """The request path as the client signed it: the server's ``raw_path`` when it gives one (uvicorn does;
    mounts leave it alone), else ``path``, which Starlette's mounts and uvicorn keep the root path in (ASGI's
    convention); a server that strips it leaves it in ``root_path`` only."""
    raw = scope.get("raw_path")
    if raw:
        return unquote(raw.decode("latin-1"))
    root, path = scope.get("root_path", ""), scope["path"]
    return str(path if path.startswith(root) else root + path)


def _operation(target: str | None) -> str:
    """The operation named by ``X-Amz-Target``; UnknownOperationException unless Sluice implements it."""
    prefix = f"{glue_model().metadata['targetPrefix']}."
    operation = target.removeprefix(prefix) if target and target.startswith(prefix) else None
    if operation not in operations():
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
    """Whether a Glue operation only reads (Get*, List*, Search*, BatchGet*); every other one changes or starts."""
    return operation.startswith(("Get", "List", "Search", "BatchGet"))


def authenticated_only(key: AccessKey, operation: str) -> None:
    """The authorizer of ``sluice serve``: any active key may call any operation (single-user, local use)."""


def endpoint_url(request: Request) -> str:
    """This endpoint's URL as the client reached it (scheme, host and the mount's path): what a job started
    by the request gets as ``AWS_ENDPOINT_URL_GLUE``."""
    root = request.scope.get("root_path", "")
    host = request.headers.get("host") or f"{request.url.hostname}:{request.url.port}"
    return f"{request.url.scheme}://{host}{root}"


def _handle(
    ctx: SluiceContext, request: Request, body: bytes, authorize: Authorizer, launcher: Launcher | None
) -> dict[str, Any]:
    """Authenticate, authorize, decode and run one request; the operation's response with epoch timestamps."""
    query = request.scope.get("query_string", b"").decode("latin-1")
    key = authenticate(ctx, request.method, signed_path(request.scope), query, request.headers, body)
    operation = _operation(request.headers.get("x-amz-target"))
    members = _request_members(body)
    authorize(key, operation)
    caller = Caller(key.access_key_id, key.user_name, endpoint_url(request))
    response = invoke(ctx.for_caller(caller, launcher), operation, members)
    return epoch_seconds(response, operation_model(operation).output_shape)


def _json(payload: dict[str, Any], request_id: str, status: int = 200, code: str | None = None) -> Response:
    headers = {"x-amzn-RequestId": request_id} | ({"x-amzn-ErrorType": code} if code else {})
    body = json.dumps(payload, default=str)
    return Response(body, status_code=status, headers=headers, media_type=CONTENT_TYPE)


def _error(code: str, message: str, request_id: str, status: int) -> Response:
    return _json({"__type": code, "Message": message}, request_id, status, code)


def create_app(
    ctx_provider: Callable[[], SluiceContext], authorize: Authorizer, launcher: Launcher | None = None
) -> Starlette:
    """The endpoint's app; ``ctx_provider`` gives the context each request runs in (called per request,
    in a worker thread, so it may build and cache the context on first use), ``authorize`` decides each
    call for the signing key's user before anything runs, and ``launcher`` starts the runs that
    StartJobRun, StartCrawler and StartDataQualityRulesetEvaluationRun record (None: on this host)."""

    async def glue(request: Request) -> Response:
        request_id = str(uuid.uuid4())
        body = await request.body()
        try:
            # one hop to a worker thread: the context (built on first use) and the call
            response = await run_in_threadpool(lambda: _handle(ctx_provider(), request, body, authorize, launcher))
            return _json(response, request_id)
        except AwsError as exc:
            return _error(exc.code, exc.message, request_id, exc.status)
        except SluiceError as exc:
            return _error(error_code(exc), exc.message, request_id, 400)
        except Exception:
            log.exception("Request %s failed", request_id)
            return _error("InternalServiceException", f"Internal error (request {request_id}).", request_id, 500)

    return Starlette(routes=[Route("/", glue, methods=["POST"])])
