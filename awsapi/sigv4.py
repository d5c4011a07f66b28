"""SigV4 verification: the request's ``Authorization`` header against botocore's signer with the stored secret.

The signature is recomputed by ``botocore.auth.SigV4Auth`` over the received request, restricted to the
headers the client signed, at the client's ``X-Amz-Date`` and in its credential scope's region and service.
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest, HTTPHeaders
from botocore.credentials import Credentials

from awsapi.keys import AccessKey, secret_of
from sluice.context import SluiceContext

ALGORITHM = "AWS4-HMAC-SHA256"
TIMESTAMP = "%Y%m%dT%H%M%SZ"
SKEW = timedelta(minutes=5)
INVALID_TOKEN = "The security token included in the request is invalid."
MISMATCH = (
    "The request signature we calculated does not match the signature you provided. Check your AWS Secret "
    "Access Key and signing method. Consult the service documentation for details."
)


class AwsError(Exception):
    """An AWS error to return to the client: its code (``__type``), message and HTTP status."""

    def __init__(self, code: str, message: str, status: int = 400) -> None:
        super().__init__(f"{code}: {message}")
        self.code = code
        self.message = message
        self.status = status


@dataclass(frozen=True)
class Authorization:
    """The parts of an ``AWS4-HMAC-SHA256`` ``Authorization`` header."""

    access_key_id: str
    date: str
    region: str
    service: str
    signed_headers: tuple[str, ...]
    signature: str

    @classmethod
    def parse(cls, header: str | None) -> Authorization:
        algorithm, _, rest = (header or "").strip().partition(" ")
        if algorithm != ALGORITHM:
            raise AwsError("UnrecognizedClientException", INVALID_TOKEN)
        parts = dict(part.strip().partition("=")[::2] for part in rest.split(","))
        missing = [name for name in ("Credential", "SignedHeaders", "Signature") if not parts.get(name)]
        if missing:
            raise AwsError(
                "IncompleteSignatureException",
                f"Authorization header requires {', '.join(repr(name) for name in missing)} parameter(s).",
            )
        scope = parts["Credential"].split("/")
        if len(scope) != 5 or scope[4] != "aws4_request":
            raise AwsError(
                "IncompleteSignatureException",
                f"Credential should be scoped to a valid region, not {parts['Credential']!r}.",
            )
        access_key_id, date, region, service, _ = scope
        return cls(access_key_id, date, region, service, tuple(parts["SignedHeaders"].split(";")), parts["Signature"])


class Verifier(SigV4Auth):
    """botocore's SigV4 signer in a request's credential scope, signing exactly the headers its client signed."""

    def __init__(self, secret_key: str, auth: Authorization) -> None:
        super().__init__(Credentials(auth.access_key_id, secret_key), auth.service, auth.region)
        self.signed = auth.signed_headers

    def headers_to_sign(self, request: AWSRequest) -> HTTPHeaders:
        headers = HTTPHeaders()
        for name in self.signed:
            for value in request.headers.get_all(name, []):
                headers[name] = value
        return headers

    def verify(self, request: AWSRequest, signature: str) -> bool:
        """Whether ``signature`` is this signer's for ``request`` (whose ``context["timestamp"]`` is set)."""
        expected = self.signature(self.string_to_sign(request, self.canonical_request(request)), request)
        return hmac.compare_digest(expected, signature)


def _check_time(amz_date: str | None, now: datetime) -> str:
    """The request's ``X-Amz-Date``, if it is within five minutes of ``now``."""
    try:
        when = datetime.strptime(amz_date or "", TIMESTAMP).replace(tzinfo=UTC)
    except ValueError:
        raise AwsError(
            "IncompleteSignatureException", "Authorization header requires existence of an 'X-Amz-Date' header."
        ) from None
    stamp, now_stamp = when.strftime(TIMESTAMP), now.strftime(TIMESTAMP)
    if when < now - SKEW:
        edge = (now - SKEW).strftime(TIMESTAMP)
        raise AwsError(
            "InvalidSignatureException", f"Signature expired: {stamp} is now earlier than {edge} ({now_stamp} - 5 min.)"
        )
    if when > now + SKEW:
        edge = (now + SKEW).strftime(TIMESTAMP)
        raise AwsError(
            "InvalidSignatureException",
            f"Signature not yet current: {stamp} is still later than {edge} ({now_stamp} + 5 min.)",
        )
    return stamp


def authenticate(
    ctx: SluiceContext | None,
    method: str,
    path: str,
    query: str,
    headers: Mapping[str, str],
    body: bytes,
    now: datetime | None = None,
) -> AccessKey:
    """The active access key that signed this request; :class:`AwsError` when none did."""
    ctx = SluiceContext.resolve(ctx)
    received = {name.lower(): value for name, value in headers.items()}
    auth = Authorization.parse(received.get("authorization"))
    found = secret_of(ctx, auth.access_key_id)
    if found is None or found[0].status != "Active":
        raise AwsError("UnrecognizedClientException", INVALID_TOKEN)
    key, secret_key = found
    timestamp = _check_time(received.get("x-amz-date"), now or datetime.now(UTC))
    if auth.date != timestamp[:8]:
        raise AwsError(
            "InvalidSignatureException",
            "Date in Credential scope does not match YYYYMMDD from ISO-8601 version of date from HTTP: "
            f"'{auth.date}' != '{timestamp[:8]}', from '{timestamp}'.",
        )
    content_sha = received.get("x-amz-content-sha256")
    if content_sha is not None and content_sha != hashlib.sha256(body).hexdigest():
        raise AwsError("InvalidSignatureException", "The 'x-amz-content-sha256' header does not match the body.")
    url = f"http://{received.get('host', 'localhost')}{path}" + (f"?{query}" if query else "")
    request = AWSRequest(method=method, url=url, headers=dict(headers), data=body)
    request.context["timestamp"] = timestamp
    if not Verifier(secret_key, auth).verify(request, auth.signature):
        raise AwsError("InvalidSignatureException", MISMATCH)
    return key
