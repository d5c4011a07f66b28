"""Airflow adapters for Sluice: a hook for the ``sluice_default`` connection, thin operators, sensors, assets,
and the Sluice pages in the Airflow UI (``SluicePlugin``)."""

from __future__ import annotations

from functools import cache
from typing import Any

from airflow.plugins_manager import AirflowPlugin

URL_PREFIX = "/sluice"
AWS_PREFIX = "/aws"


@cache
def _fastapi_app() -> Any:
    from sluice_airflow.ui.pages import create_app

    return create_app()


@cache
def _aws_app() -> Any:
    from sluice_airflow.ui.aws import create_aws_app

    return create_aws_app()


class AwsPrefixRoot:
    """Root middleware: ``POST /aws`` (``endpoint_url=http://HOST:8080/aws``, no slash) reaches the endpoint
    mounted at ``/aws/``; the SigV4 check still sees the path the client signed (``raw_path``)."""

    def __init__(self, app: Any) -> None:
        self.app = app

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        if scope["type"] == "http" and scope["path"] == AWS_PREFIX:
            scope = {**scope, "path": f"{AWS_PREFIX}/", "raw_path": scope.get("raw_path") or AWS_PREFIX.encode()}
        await self.app(scope, receive, send)


class SluicePlugin(AirflowPlugin):
    """The Sluice pages (catalog, job runs, bookmarks, data quality) under ``/sluice``, linked from the nav, and
    the AWS-compatible endpoint (Glue's API for boto3 and the AWS CLI, SigV4-signed, each call authorized by
    Airflow's auth manager for the key's user) under ``/aws``.

    The apps are built on first use, so DAG files importing ``sluice_airflow`` do not pay for them.
    """

    name = "sluice"
    external_views = [  # noqa: RUF012 (Airflow's plugin interface is class attributes)
        {
            "name": "Sluice",
            "href": f"{URL_PREFIX}/",
            "destination": "nav",
            "url_route": "sluice",
            "nav_top_level": True,
        }
    ]

    fastapi_root_middlewares = [{"middleware": AwsPrefixRoot, "name": "Sluice AWS endpoint root"}]  # noqa: RUF012

    @property
    def fastapi_apps(self) -> list[dict[str, Any]]:  # type: ignore[override]
        """The apps Airflow's api-server mounts: the pages at ``/sluice``, the AWS endpoint at ``/aws``."""
        return [
            {"app": _fastapi_app(), "url_prefix": URL_PREFIX, "name": "Sluice"},
            {"app": _aws_app(), "url_prefix": AWS_PREFIX, "name": "Sluice AWS API"},
        ]
