"""Starting the field-data job from the dashboard, through Dagster's GraphQL API.

When ``ODW_DAGSTER_URL`` names the Dagster webserver (``dagster-webserver`` / ``dg dev``), a member
who has just submitted a file may start ``field_data_job`` at once instead of waiting for the file
sensor, and follow the run until it ends. The client is ``dagster_graphql.DagsterGraphQLClient``;
nothing is launched when the setting is unset.
"""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import urlsplit

from dagster_graphql import DagsterGraphQLClient, DagsterGraphQLClientError

#: The job a submission starts (defined in ``pipelines/defs/field_data/sensors.py``).
FIELD_DATA_JOB = "field_data_job"
#: Run statuses after which a run does no more.
FINISHED = {"SUCCESS", "FAILURE", "CANCELED"}
#: What a member reads for each run status.
STATUS_TEXT = {
    "QUEUED": "queued", "NOT_STARTED": "starting", "STARTING": "starting", "MANAGED": "starting",
    "STARTED": "running", "SUCCESS": "finished: the data is loaded", "FAILURE": "failed",
    "CANCELING": "being cancelled", "CANCELED": "cancelled",
}


class RunError(Exception):
    """The Dagster webserver could not be reached or refused the request (message for the page)."""


def client_for(url: str, timeout: int = 30) -> DagsterGraphQLClient:
    """A GraphQL client for the webserver at ``url`` (``http[s]://host[:port][/prefix]``)."""
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise RunError(f"ODW_DAGSTER_URL is not an http(s) address: {url!r}")
    return DagsterGraphQLClient(
        parts.hostname,
        port_number=parts.port,
        use_https=parts.scheme == "https",
        timeout=timeout,
        path_prefix=parts.path.rstrip("/"),
    )


@dataclass(frozen=True)
class RunState:
    """A run's id, its Dagster status and a link to it in the Dagster UI."""

    run_id: str
    status: str
    link: str

    @property
    def finished(self) -> bool:
        return self.status in FINISHED

    @property
    def text(self) -> str:
        return STATUS_TEXT.get(self.status, self.status.lower())


def run_link(url: str, run_id: str) -> str:
    """The run's page in the Dagster UI."""
    return f"{url.rstrip('/')}/runs/{run_id}"


def launch_field_data_job(url: str, *, submitted_file: str) -> RunState:
    """Start ``field_data_job`` on the webserver at ``url``, tagged with the file that prompted it."""
    try:
        run_id = client_for(url).submit_job_execution(
            FIELD_DATA_JOB, tags={"odw/submitted_file": submitted_file, "odw/started_from": "dashboard"}
        )
    except DagsterGraphQLClientError as exc:
        # The client's message carries the whole GraphQL query; its first line says what happened.
        reason = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise RunError(f"Dagster at {url} did not start the run: {reason}") from exc
    except Exception as exc:  # the transport's own errors (connection refused, timeouts)
        raise RunError(f"Dagster at {url} did not start the run: {type(exc).__name__}") from exc
    return RunState(run_id, "QUEUED", run_link(url, run_id))


def run_state(url: str, run_id: str) -> RunState:
    """The run's current status."""
    try:
        status = client_for(url).get_run_status(run_id)
    except Exception as exc:
        raise RunError(f"Dagster could not be asked about run {run_id}: {type(exc).__name__}") from exc
    return RunState(run_id, status.value, run_link(url, run_id))
