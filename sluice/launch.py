"""Who runs started work: the launcher a context carries, and the caller a run is started for.

StartJobRun, StartCrawler, StartDataQualityRulesetEvaluationRun and Step Functions' StartExecution record
their run, then hand it to ``ctx.launcher`` as a :class:`Work`. Inside Airflow the launcher creates a DAG
run of one of Sluice's runner DAGs (``sluice_glue_job``, ``sluice_glue_crawler``, ``sluice_glue_data_quality``,
``sluice_state_machine``), so Airflow's executor does the work; elsewhere (``sluice serve``, the CLI)
``service.runner.LocalLauncher`` starts a detached process on this host. Either way ``service.runner.run``
does the work itself. An execution run by Airflow also launches the calls of its Map and Parallel Tasks as
``tasks`` work: DAG runs of ``sluice_state_tasks`` (``stepfunctions.durable``).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Literal, Protocol

if TYPE_CHECKING:
    from sluice.context import SluiceContext

Kind = Literal["job", "crawler", "quality", "execution", "tasks"]
KINDS: tuple[Kind, ...] = ("job", "crawler", "quality", "execution", "tasks")


@dataclass(frozen=True)
class Caller:
    """Who started a run through the AWS endpoint: the signing access key, its user, and the endpoint's URL.

    A job run started by a caller gets ``AWS_ENDPOINT_URL_GLUE`` (this endpoint) and the key's credentials,
    so the script's own ``boto3.client("glue")`` reaches Sluice as that user.
    """

    access_key_id: str
    user_name: str
    endpoint_url: str

    KEYS = ("AccessKeyId", "UserName", "EndpointUrl")

    def to_conf(self) -> dict[str, str]:
        """The JSON form (no secret): ``{"AccessKeyId", "UserName", "EndpointUrl"}``."""
        return {"AccessKeyId": self.access_key_id, "UserName": self.user_name, "EndpointUrl": self.endpoint_url}

    @classmethod
    def from_conf(cls, value: object) -> Caller | None:
        """The caller of :meth:`to_conf`; None for anything else."""
        if not isinstance(value, dict) or not all(isinstance(value.get(k), str) for k in cls.KEYS):
            return None
        return cls(value["AccessKeyId"], value["UserName"], value["EndpointUrl"])


@dataclass(frozen=True)
class Work:
    """One recorded run to carry out: a job run, a crawl, a data-quality evaluation run, a state machine
    execution (its ARN), by its id, or a batch of an execution's dispatched Task calls (``name`` is the
    execution's ARN)."""

    kind: Kind
    run_id: str
    name: str
    caller: Caller | None = None

    def to_conf(self) -> dict[str, object]:
        """The runner DAG run's conf: ``{"Kind", "RunId", "Name", "Caller"}`` (the caller holds no secret)."""
        return {
            "Kind": self.kind,
            "RunId": self.run_id,
            "Name": self.name,
            "Caller": self.caller.to_conf() if self.caller else None,
        }

    @classmethod
    def from_conf(cls, conf: dict[str, object]) -> Work:
        """The work of a runner DAG run's conf; ValueError naming the member that is wrong."""
        kind, run_id, name = conf.get("Kind"), conf.get("RunId"), conf.get("Name")
        if kind not in KINDS:
            raise ValueError(f"conf Kind must be one of {', '.join(KINDS)}, got {kind!r}")
        if not isinstance(run_id, str) or not run_id:
            raise ValueError(f"conf RunId must be a run id, got {run_id!r}")
        if not isinstance(name, str) or not name:
            raise ValueError(f"conf Name must be a name, got {name!r}")
        return cls(kind, run_id, name, Caller.from_conf(conf.get("Caller")))


class Launcher(Protocol):
    """Starts recorded work somewhere and returns at once; raises :class:`sluice.errors.SluiceError` when it
    cannot (the caller then ends the run FAILED with that message)."""

    def launch(self, ctx: SluiceContext, work: Work) -> None: ...
