"""SigV4 verification against requests signed by botocore itself, as boto3 signs a Glue JSON 1.1 call."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials

from awsapi.keys import create_access_key, delete_access_key, set_status
from awsapi.sigv4 import AwsError, authenticate
from sluice.context import SluiceContext

BODY = b'{"Name": "lake"}'


def signed(access_key_id: str, secret: str, body: bytes = BODY) -> dict[str, str]:
    """The headers boto3 sends for glue.get_database(Name="lake") to http://127.0.0.1:8080/aws/."""
    request = AWSRequest(
        method="POST",
        url="http://127.0.0.1:8080/aws/",
        data=body,
        headers={"X-Amz-Target": "AWSGlue.GetDatabase", "Content-Type": "application/x-amz-json-1.1"},
    )
    SigV4Auth(Credentials(access_key_id, secret), "glue", "us-east-1").add_auth(request)
    # What the HTTP client adds on the wire: Host (signed by botocore from the URL), and unsigned extras.
    return {**request.headers, "Host": "127.0.0.1:8080", "User-Agent": "Boto3/1.40", "Content-Length": "16"}


def refused(ctx: SluiceContext, headers: dict[str, str], body: bytes = BODY, **kwargs: object) -> AwsError:
    with pytest.raises(AwsError) as caught:
        authenticate(ctx, "POST", "/aws/", "", headers, body, **kwargs)  # type: ignore[arg-type]
    assert caught.value.status == 400
    return caught.value


def test_accepts_a_request_signed_by_botocore(ctx: SluiceContext) -> None:
    key, secret = create_access_key(ctx, "alice")
    headers = signed(key.access_key_id, secret)
    assert authenticate(ctx, "POST", "/aws/", "", headers, BODY) == key
    lowered = {name.lower(): value for name, value in headers.items()}
    assert authenticate(ctx, "POST", "/aws/", "", lowered, BODY) == key  # header names are case-insensitive


def test_refuses_a_request_without_authorization(ctx: SluiceContext) -> None:
    key, secret = create_access_key(ctx, "alice")
    headers = {k: v for k, v in signed(key.access_key_id, secret).items() if k != "Authorization"}
    error = refused(ctx, headers)
    assert error.code == "UnrecognizedClientException"
    assert error.message == "The security token included in the request is invalid."


def test_refuses_unknown_and_inactive_keys(ctx: SluiceContext) -> None:
    key, secret = create_access_key(ctx, "alice")
    assert refused(ctx, signed("AKIA" + "A" * 16, secret)).code == "UnrecognizedClientException"
    set_status(ctx, key.access_key_id, "Inactive")
    assert refused(ctx, signed(key.access_key_id, secret)).code == "UnrecognizedClientException"


def test_a_key_deactivated_or_deleted_after_use_fails_its_next_request(ctx: SluiceContext) -> None:
    """The key is looked up on every request: nothing cached lets a key work after it is switched off."""
    key, secret = create_access_key(ctx, "alice")
    headers = signed(key.access_key_id, secret)
    assert authenticate(ctx, "POST", "/aws/", "", headers, BODY) == key
    set_status(ctx, key.access_key_id, "Inactive")
    assert refused(ctx, headers).code == "UnrecognizedClientException"
    set_status(ctx, key.access_key_id, "Active")
    assert authenticate(ctx, "POST", "/aws/", "", headers, BODY) == key
    delete_access_key(ctx, key.access_key_id)
    assert refused(ctx, headers).code == "UnrecognizedClientException"


def test_refuses_a_wrong_secret_and_a_changed_body(ctx: SluiceContext) -> None:
    key, secret = create_access_key(ctx, "alice")
    wrong = refused(ctx, signed(key.access_key_id, secret[::-1]))
    assert wrong.code == "InvalidSignatureException"
    assert wrong.message.startswith("The request signature we calculated does not match")
    changed = refused(ctx, signed(key.access_key_id, secret), body=b'{"Name": "other"}')
    assert changed.code == "InvalidSignatureException"


def test_refuses_a_signature_ten_minutes_old(ctx: SluiceContext) -> None:
    key, secret = create_access_key(ctx, "alice")
    headers = signed(key.access_key_id, secret)
    later = datetime.now(UTC) + timedelta(minutes=10)
    error = refused(ctx, headers, now=later)
    assert error.code == "InvalidSignatureException"
    assert error.message.startswith(f"Signature expired: {headers['X-Amz-Date']} is now earlier than ")
    assert error.message.endswith(f"({later.strftime('%Y%m%dT%H%M%SZ')} - 5 min.)")
    early = refused(ctx, headers, now=datetime.now(UTC) - timedelta(minutes=10))
    assert early.message.startswith("Signature not yet current:")


def test_refuses_a_credential_scope_of_another_day(ctx: SluiceContext) -> None:
    key, secret = create_access_key(ctx, "alice")
    headers = signed(key.access_key_id, secret)
    day = headers["X-Amz-Date"][:8]
    headers["Authorization"] = headers["Authorization"].replace(f"/{day}/", "/20000101/")
    error = refused(ctx, headers)
    assert error.code == "InvalidSignatureException"
    assert error.message.startswith("Date in Credential scope does not match")
