"""``sluice lifecycle push``: put a validated configuration on a real bucket, so that S3 applies it natively."""

from __future__ import annotations

from typing import Any

from lifecycle.rulesets import ConfigSource, config_document
from lifecycle.tiering import is_table_rules
from lifecycle.validate import ensure_valid
from sluice.context import SluiceContext
from sluice.errors import InvalidInputException
from sluice.lake.paths import is_object_store, split_s3


def push(config: ConfigSource, uri: str, *, ctx: SluiceContext | None = None) -> dict[str, Any]:
    """``put-bucket-lifecycle-configuration`` on the bucket of ``uri``; returns what the bucket then holds."""
    if not is_object_store(uri):
        raise InvalidInputException(
            f"{uri} is not an s3:// bucket", hint="Local lakes are tiered by `lifecycle apply`."
        )
    bucket, prefix = split_s3(uri)
    if prefix.strip("/"):
        raise InvalidInputException(
            f"{uri}: a lifecycle configuration belongs to the whole bucket, and its prefixes are bucket keys",
            hint=f"Push to s3://{bucket} with rule prefixes that include {prefix.strip('/')}/.",
        )
    _, document = config_document(config)
    if is_table_rules(document):
        raise InvalidInputException(
            "TableRules are Sluice's partition-aware extension; S3 has no such configuration",
            hint="Apply them with `sluice lifecycle apply`.",
        )
    parsed = ensure_valid(document)
    client = SluiceContext.resolve(ctx).s3_client()
    body = {"Rules": document["Rules"]}
    client.put_bucket_lifecycle_configuration(
        Bucket=bucket,
        LifecycleConfiguration=body,
        TransitionDefaultMinimumObjectSize=parsed.transition_default_minimum_object_size,
    )
    stored = client.get_bucket_lifecycle_configuration(Bucket=bucket)
    return {
        "Bucket": bucket,
        "Rules": stored.get("Rules", []),
        "TransitionDefaultMinimumObjectSize": stored.get(
            "TransitionDefaultMinimumObjectSize", parsed.transition_default_minimum_object_size
        ),
    }
