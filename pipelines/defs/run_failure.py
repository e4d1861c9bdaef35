"""Tell a person when a pipeline run fails: a webhook and/or an e-mail, off unless configured.

The sensor ``run_failure_notifier`` watches every job of this code location. For each failed run it
builds one plain-text message — job, run id (and a link when ``ODW_DAGSTER_URL`` is set), what
started it, each failed step with the first line of its error — and sends it:

* to ``ODW_FAILURE_WEBHOOK_URL`` as a JSON POST with a ``text`` field (what Slack- and Teams-style
  incoming webhooks display) plus the same facts as fields;
* to ``ODW_FAILURE_EMAIL_TO`` through the SMTP server of the spike alerts (``ODW_SMTP_*``).

The transport is that of the spike alerts (``pipelines/defs/hotspots/delivery.py``). A run that the
daemon will retry (tag ``dagster/will_retry``) is not announced: only its last attempt is, so a
portal outage that heals on retry sends nothing. Error lines are cut short: messages go to chat
and e-mail, which are not access-controlled like the warehouse.
"""

import dataclasses
import smtplib
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

import dagster as dg
import requests

from pipelines.defs.hotspots.delivery import Delivery, post_webhook, send_email
from pipelines.settings import Settings, load_settings

if TYPE_CHECKING:
    from dagster_shared.error import SerializableErrorInfo

#: Longest error line quoted in a message.
MAX_ERROR_CHARS = 300
WILL_RETRY_TAG = "dagster/will_retry"
RETRY_NUMBER_TAG = "dagster/retry_number"


@dataclass(frozen=True)
class FailedStep:
    """A step that failed, and the first line of its error."""

    step: str
    error: str


@dataclass(frozen=True)
class RunFailure:
    """What a failure notification says."""

    job: str
    run_id: str
    started_by: str
    failed_steps: tuple[FailedStep, ...]
    run_error: str
    attempt: int
    run_url: str | None = None


def first_line(text: str | None, limit: int = MAX_ERROR_CHARS) -> str:
    """The first non-empty line of ``text``, cut to ``limit`` characters."""
    line = next((part.strip() for part in (text or "").splitlines() if part.strip()), "")
    return line if len(line) <= limit else line[: limit - 1] + "…"


def innermost_error(error: "SerializableErrorInfo | None") -> "SerializableErrorInfo | None":
    """A failed step's own exception: Dagster wraps the asset's exception in its own, and the
    asset's exception says what went wrong."""
    while error is not None and error.cls_name == "DagsterExecutionStepExecutionError" and error.cause:
        error = error.cause
    return error


def step_error(error: "SerializableErrorInfo | None", fallback: str | None = None) -> str:
    """The first line of a failed step's own exception ("ExceptionClass: text"), cut short."""
    error = innermost_error(error)
    return first_line(error.message if error is not None else fallback)


def started_by(tags: dict[str, str]) -> str:
    """Which schedule or sensor launched the run, or "manual"."""
    if tags.get("dagster/schedule_name"):
        return f"schedule {tags['dagster/schedule_name']}"
    if tags.get("dagster/sensor_name"):
        return f"sensor {tags['dagster/sensor_name']}"
    return "manual (UI, CLI or backfill)"


def describe_failure(context: dg.RunFailureSensorContext, settings: Settings) -> RunFailure:
    """Collect the facts of a failed run from the sensor context."""
    run = context.dagster_run
    steps = []
    for event in context.get_step_failure_events():
        error = getattr(event.event_specific_data, "error", None)
        steps.append(FailedStep(event.step_key or "?", step_error(error, event.message)))
    url = f"{settings.dagster_url}/runs/{run.run_id}" if settings.dagster_url else None
    return RunFailure(
        job=run.job_name,
        run_id=run.run_id,
        started_by=started_by(dict(run.tags)),
        failed_steps=tuple(steps),
        run_error=first_line(context.failure_event.message),
        attempt=int(run.tags.get(RETRY_NUMBER_TAG, "0")) + 1,
        run_url=url,
    )


def message(failure: RunFailure) -> tuple[str, str]:
    """Subject and plain-text body of the notification."""
    subject = f"West Side Overdose Watch: run failed — {failure.job}"
    lines = [
        f"Pipeline run FAILED: {failure.job}",
        f"Run id: {failure.run_id}" + (f"  ({failure.run_url})" if failure.run_url else ""),
        f"Started by: {failure.started_by}; attempt {failure.attempt}, no further retry",
        "Failed steps:",
        *([f"- {s.step}: {s.error}" for s in failure.failed_steps] or ["- none recorded (the run itself failed)"]),
        f"Run error: {failure.run_error}",
        "",
        "The dashboard keeps showing the last successful publication. Details: the run's page in "
        "the Dagster UI (`make dagster`).",
    ]
    return subject, "\n".join(lines)


def payload(failure: RunFailure) -> dict:
    """The webhook's JSON body: ``text`` plus the facts as fields."""
    _, body = message(failure)
    return {
        "text": body,
        "source": "West Side Overdose Watch",
        "event": "run_failure",
        "job": failure.job,
        "run_id": failure.run_id,
        "run_url": failure.run_url,
        "started_by": failure.started_by,
        "attempt": failure.attempt,
        "failed_steps": [dataclasses.asdict(s) for s in failure.failed_steps],
        "error": failure.run_error,
    }


def notify(failure: RunFailure, settings: Settings) -> list[Delivery]:
    """Send ``failure`` over each configured channel; a failing channel is reported, not raised."""
    results = []
    if settings.failure_webhook_url:
        try:
            post_webhook(settings.failure_webhook_url, payload(failure))
            results.append(Delivery("webhook", "sent"))
        except requests.RequestException as exc:
            # The URL may carry a secret token: report the error type and status only.
            status = getattr(getattr(exc, "response", None), "status_code", None)
            results.append(Delivery("webhook", "failed", f"{type(exc).__name__}{f' (HTTP {status})' if status else ''}"))
    else:
        results.append(Delivery("webhook", "off"))
    if settings.smtp_host and settings.failure_email_to:
        subject, body = message(failure)
        try:
            send_email(dataclasses.replace(settings, smtp_to=settings.failure_email_to), subject, body)
            results.append(Delivery("email", "sent"))
        except (smtplib.SMTPException, OSError) as exc:
            results.append(Delivery("email", "failed", f"{type(exc).__name__}: {exc}"))
    else:
        results.append(Delivery("email", "off"))
    return results


@dg.run_failure_sensor(
    name="run_failure_notifier",
    minimum_interval_seconds=30,
    default_status=dg.DefaultSensorStatus.RUNNING,
    description="Posts each failed run (job, run id, failed steps, error) to ODW_FAILURE_WEBHOOK_URL "
    "and e-mails ODW_FAILURE_EMAIL_TO; does nothing when neither is set.",
)
def run_failure_notifier(context: dg.RunFailureSensorContext) -> None:
    """Announce a failed run once, unless the daemon is about to retry it."""
    if context.dagster_run.tags.get(WILL_RETRY_TAG) == "true":
        context.log.info("run %s failed and will be retried; not announced", context.dagster_run.run_id)
        return
    settings = load_settings()
    failure = describe_failure(context, settings)
    deliveries: Sequence[Delivery] = notify(failure, settings)
    for d in deliveries:
        if d.status == "failed":
            context.log.warning("failure notification by %s failed: %s", d.channel, d.detail)
    context.log.info(
        "run %s of %s failed; notification: %s",
        failure.run_id, failure.job, ", ".join(f"{d.channel}: {d.status}" for d in deliveries),
    )
