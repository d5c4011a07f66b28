"""``Integrations``: the TaskRunner that serves Task resources in process, over an explicit SluiceContext.

Resources served:

* ``arn:aws:states:::aws-sdk:glue:<operation>`` (camelCase, as Step Functions writes it): any operation of
  Sluice's Glue service layer;
* ``arn:aws:states:::glue:startJobRun`` and ``glue:startJobRun.sync``;
* ``arn:aws:states:::lambda:invoke`` and Lambda function ARNs, mapped to Python callables by a registry
  (``stepfunctions.integrations.lambdas``);
* ``arn:aws:states:::states:startExecution`` (``.sync``, ``.sync:2``), over the state machines given by name;
* ``.waitForTaskToken`` on ``lambda:invoke``, ``aws-sdk:glue:<operation>`` and ``states:startExecution``: the call
  is made (``on_token`` first hears of its token, so a callback sent during the call finds it) and the Task
  then waits for SendTaskSuccess or SendTaskFailure.

With ``defer_sync`` (durable executions), ``glue:startJobRun.sync`` and ``states:startExecution.sync``
(``.sync:2``) return :class:`~stepfunctions.runtime.Pending` once the job run or the child execution is started,
and the interpreter polls it (:meth:`Integrations.poll`) between its other work: a durable execution persists
the run it waits for, so a resumed one goes on polling that run instead of starting another. A nested execution
is then a stored one, started through the service layer (``executions.start_stored``), whatever the pattern.

:meth:`Integrations.check_resource` is the definition validator's hook: any other resource is an
INVALID_RESOURCE diagnostic naming it.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from functools import partial
from typing import TYPE_CHECKING, Any

from stepfunctions.errors import TASK_FAILED, TaskError
from stepfunctions.integrations import executions, glue, lambdas
from stepfunctions.runtime import Clock, Pending, SystemClock, TaskRequest
from stepfunctions.sync import ACCOUNT, REGION

if TYPE_CHECKING:
    from sluice.context import SluiceContext

SERVICE_ARN = re.compile(r"arn:[\w-]+:states:::(?P<service>[\w-]+):(?P<action>[^.]+)(?:\.(?P<pattern>.+))?")
SERVED = (
    "aws-sdk:glue:<operation>(.waitForTaskToken), glue:startJobRun(.sync), lambda:invoke(.waitForTaskToken), "
    "Lambda function ARNs and states:startExecution(.sync, .sync:2, .waitForTaskToken)"
)
CALLBACK = "waitForTaskToken"
POLLED = {("glue", "startJobRun", "sync"), ("states", "startExecution", "sync"), ("states", "startExecution", "sync:2")}
"""The (service, action, pattern) of the calls that return Pending with ``defer_sync``."""
CHILD = "ExecutionArn"
"""The member of a ``.sync`` Task's Pending handle naming the child execution it waits for."""
Route = Callable[[TaskRequest], Any]


@dataclass
class Integrations:
    """Runs Task states in process: Glue calls on ``ctx``, Lambda ``functions`` (name → handler), nested
    executions of ``state_machines`` (name → definition), on ``clock``. ``.sync`` waits poll every
    ``poll_seconds`` of ``poll_clock`` (``clock`` unless given: a caller whose clock skips Wait states still
    polls a job in real time)."""

    ctx: SluiceContext
    clock: Clock = field(default_factory=SystemClock)
    functions: Mapping[str, lambdas.Handler] = field(default_factory=dict)
    state_machines: Mapping[str, str | dict[str, Any]] = field(default_factory=dict)
    poll_seconds: float = 2.0
    poll_clock: Clock | None = None
    region: str = REGION
    account: str = ACCOUNT
    defer_sync: bool = False
    on_token: Callable[[TaskRequest], None] | None = None

    def __call__(self, request: TaskRequest) -> Any:
        route = self._route(request.resource)
        if isinstance(route, str):
            raise TaskError(TASK_FAILED, route)
        if request.task_token and self.on_token is not None:
            self.on_token(request)
        return route(request)

    def poll(self, request: TaskRequest, handle: Any) -> Any:
        """A ``.sync`` job run or child execution started with ``defer_sync``: its result once it has ended, else
        Pending again."""
        if CHILD in handle:
            result = executions.poll_stored(self.ctx, handle[CHILD], _pattern(request.resource))
        else:
            result = glue.poll_sync(self.ctx, handle)
        return self._pending(handle) if result is None else result

    def cancel(self, request: TaskRequest, handle: Any) -> None:
        """Stop the job run or child execution of a ``.sync`` Task that timed out."""
        if CHILD in handle:
            executions.stop_stored(self.ctx, handle[CHILD])
        else:
            glue.stop_sync(self.ctx, handle)

    def _pending(self, handle: Any, submitted: Any = None) -> Pending:
        poll_at = (self.poll_clock or self.clock).now().timestamp() + self.poll_seconds
        return Pending(handle, poll_at, submitted)

    def _start_sync(self, request: TaskRequest) -> Any:
        if not self.defer_sync:
            return glue.start_job_run_sync(self.ctx, request, self.poll_clock or self.clock, self.poll_seconds)
        handle, submitted = glue.start_sync(self.ctx, request.parameters)
        result = glue.poll_sync(self.ctx, handle)
        return self._pending(handle, submitted) if result is None else result

    def defers(self, resource: str) -> bool:
        """Whether a call of ``resource`` returns Pending to be polled (``glue:startJobRun.sync`` and
        ``states:startExecution.sync``, ``.sync:2`` with ``defer_sync``) rather than ending in the call."""
        found = SERVICE_ARN.fullmatch(resource)
        return self.defer_sync and found is not None and found.group("service", "action", "pattern") in POLLED

    def check_resource(self, resource: str) -> str | None:
        """Why ``resource`` cannot run here (the validator's INVALID_RESOURCE message), or None."""
        route = self._route(resource)
        return route if isinstance(route, str) else None

    def _route(self, resource: str) -> Route | str:
        """The callable that serves ``resource``, or why none does."""
        if lambdas.FUNCTION_ARN.fullmatch(resource):
            return partial(self._lambda, resource)
        found = SERVICE_ARN.fullmatch(resource)
        if found is None:
            return _unrecognized(resource, f"Sluice serves {SERVED}.")
        service, action, pattern = found["service"], found["action"], found["pattern"]
        if pattern == CALLBACK and (service, action) != ("glue", "startJobRun"):
            pattern = None  # the call is made as it is without the suffix; the Task then waits for its token
        if service == "aws-sdk":
            sdk, _, operation = action.partition(":")
            if sdk != "glue":
                return _unrecognized(resource, f"Sluice serves only Glue through aws-sdk, not {sdk}.")
            if pattern is not None:
                return _unrecognized(resource, f"Sluice does not serve .{pattern} for aws-sdk tasks.")
            problem = glue.unsupported_operation(operation)
            if problem is not None:
                return _unrecognized(resource, problem)
            return lambda request: glue.sdk_call(self.ctx, operation, request.parameters)
        key = (service, action, pattern)
        if key == ("glue", "startJobRun", None):
            return lambda request: glue.start_job_run(self.ctx, request.parameters)
        if key == ("glue", "startJobRun", "sync"):
            return self._start_sync
        if key == ("lambda", "invoke", None):
            return self._lambda_invoke
        if service == "states" and action == "startExecution" and pattern in (None, "sync", "sync:2"):
            return partial(self._start_execution, pattern)
        return _unrecognized(resource, f"Sluice serves {SERVED}.")

    def _lambda(self, resource: str, request: TaskRequest) -> Any:
        """A Lambda function ARN as the resource: the state's input is the event, the result the output."""
        result, _ = lambdas.invoke(
            self.functions,
            resource,
            request.parameters,
            region=self.region,
            account=self.account,
            timeout=request.timeout_seconds,
        )
        return result

    def _lambda_invoke(self, request: TaskRequest) -> dict[str, Any]:
        """``lambda:invoke``: Invoke's members in (``FunctionName``, ``Payload``), Invoke's response out."""
        parameters = request.parameters if isinstance(request.parameters, dict) else {}
        reference = parameters.get("FunctionName")
        if not isinstance(reference, str):
            raise TaskError(TASK_FAILED, "lambda:invoke needs a FunctionName (a string) in its parameters")
        kind = parameters.get("InvocationType", "RequestResponse")
        if kind != "RequestResponse":
            raise TaskError(TASK_FAILED, f"Sluice runs lambda:invoke as RequestResponse only, not {kind}")
        payload, request_id = lambdas.invoke(
            self.functions,
            reference,
            parameters.get("Payload", {}),
            region=self.region,
            account=self.account,
            timeout=request.timeout_seconds,
        )
        headers = {
            "Content-Length": str(len(json.dumps(payload, separators=(",", ":")))),
            "Content-Type": "application/json",
            "Date": self.clock.now().strftime("%a, %d %b %Y %H:%M:%S GMT"),
            "X-Amz-Executed-Version": "$LATEST",
            "x-amzn-RequestId": request_id,
        }
        return {
            "ExecutedVersion": "$LATEST",
            "Payload": payload,
            "SdkHttpMetadata": {
                "AllHttpHeaders": {k: [v] for k, v in headers.items()},
                "HttpHeaders": headers,
                "HttpStatusCode": 200,
            },
            "SdkResponseMetadata": {"RequestId": request_id},
            "StatusCode": 200,
        }

    def _start_execution(self, pattern: str | None, request: TaskRequest) -> Any:
        if self.defer_sync:
            started = executions.start_stored(self.ctx, request.parameters)
            if pattern is None:
                return started
            handle = {CHILD: started["ExecutionArn"]}
            result = executions.poll_stored(self.ctx, handle[CHILD], pattern)
            return self._pending(handle, started) if result is None else result
        return executions.start_execution(
            request.parameters,
            pattern,
            state_machines=self.state_machines,
            tasks=self,
            clock=self.clock,
            check_resource=self.check_resource,
        )


def _pattern(resource: str) -> str:
    """The integration pattern of a service ARN (``sync``, ``sync:2``), "" for none."""
    found = SERVICE_ARN.fullmatch(resource)
    return (found["pattern"] or "") if found else ""


def _unrecognized(resource: str, why: str) -> str:
    return f"The resource provided {resource} is not recognized. {why}"
