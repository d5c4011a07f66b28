"""``sluice serve``: the AWS-compatible endpoint (Glue's JSON 1.1 API, SigV4-signed) over HTTP with uvicorn."""

from __future__ import annotations

from typing import Annotated

import typer


def serve(
    port: Annotated[int, typer.Option("--port", help="TCP port to listen on.")] = 8900,
    host: Annotated[str, typer.Option("--host", help="Interface to bind.")] = "127.0.0.1",
    access_log: Annotated[
        bool, typer.Option("--access-log", help="Log every request (off: it costs 0.2 ms each).")
    ] = False,
) -> None:
    """Serve Sluice's catalog, crawlers, jobs and data quality as AWS Glue's API, for boto3 and the AWS CLI.

    Point a client at it with `--endpoint-url http://HOST:PORT` and an access key from
    `sluice access-key create`.
    """
    import uvicorn

    from awsapi.app import authenticated_only, create_app, preload
    from sluice.context import SluiceContext

    ctx = SluiceContext.from_env()
    app = create_app(lambda: ctx, authenticated_only)
    preload(ctx)
    uvicorn.run(app, host=host, port=port, access_log=access_log)
