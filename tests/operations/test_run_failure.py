"""Failed runs are announced by webhook and e-mail (local servers only); nothing when unconfigured."""

from __future__ import annotations

import email
import email.policy

import dagster as dg
import pytest

from pipelines.defs import run_failure
from pipelines.defs.run_failure import first_line, run_failure_notifier

LOCK_ERROR = "IO Error: Could not set lock on file \"warehouse.duckdb\": Conflicting lock is held"


@dg.asset(key=["staging", "me_cases"])
def broken_cases() -> None:
    raise RuntimeError(LOCK_ERROR + "\nSee also: https://duckdb.org/docs/connect/concurrency")


@dg.asset(key=["raw", "me_records"])
def fine_records() -> None:
    return None


failing_job = dg.define_asset_job("me_daily_job", selection=dg.AssetSelection.all(), executor_def=dg.in_process_executor)


def failed_run(tags: dict[str, str] | None = None) -> dg.RunFailureSensorContext:
    """A real failed run in an ephemeral instance, and the sensor context Dagster would build for it."""
    instance = dg.DagsterInstance.ephemeral()
    defs = dg.Definitions(assets=[fine_records, broken_cases], jobs=[failing_job])
    result = defs.resolve_job_def("me_daily_job").execute_in_process(
        instance=instance, raise_on_error=False, tags={"dagster/schedule_name": "me_daily_pull", **(tags or {})}
    )
    assert not result.success
    return dg.build_run_status_sensor_context(
        sensor_name="run_failure_notifier",
        dagster_instance=instance,
        dagster_run=result.dagster_run,
        dagster_event=result.get_run_failure_event(),
    ).for_run_failure()


@pytest.fixture
def env(isolated_env, monkeypatch):
    monkeypatch.setenv("ODW_DAGSTER_URL", "http://dagster.example.test:3000/")
    return isolated_env


def test_webhook_names_job_run_step_and_error(env, monkeypatch, webhook_server):
    url, received = webhook_server
    monkeypatch.setenv("ODW_FAILURE_WEBHOOK_URL", url)
    context = failed_run()
    run_failure_notifier(context)
    assert len(received.items) == 1
    body = received.items[0]["body"]
    run_id = context.dagster_run.run_id
    assert body["event"] == "run_failure" and body["job"] == "me_daily_job" and body["run_id"] == run_id
    assert body["failed_steps"] == [{"step": "staging__me_cases", "error": "RuntimeError: " + LOCK_ERROR}]
    assert body["started_by"] == "schedule me_daily_pull" and body["attempt"] == 1
    assert body["run_url"] == f"http://dagster.example.test:3000/runs/{run_id}"
    text = body["text"]
    assert text.startswith("Pipeline run FAILED: me_daily_job\n")
    assert f"Run id: {run_id}" in text
    assert f"- staging__me_cases: RuntimeError: {LOCK_ERROR}" in text
    assert "See also" not in text  # only the error's first line travels


def test_email_goes_to_the_failure_recipients(env, monkeypatch, smtp_server):
    port, received = smtp_server
    for key, value in {"ODW_SMTP_HOST": "127.0.0.1", "ODW_SMTP_PORT": str(port), "ODW_SMTP_STARTTLS": "false",
                       "ODW_SMTP_TO": "taskforce@example.test", "ODW_FAILURE_EMAIL_TO": "analyst@example.test"}.items():
        monkeypatch.setenv(key, value)
    context = failed_run()
    run_failure_notifier(context)
    assert len(received.items) == 1
    mail = received.items[0]
    assert mail["rcpt"] == ["analyst@example.test"]  # not the alerts list
    parsed = email.message_from_string(mail["data"], policy=email.policy.default)
    assert parsed["Subject"] == "West Side Overdose Watch: run failed — me_daily_job"
    body = parsed.get_content()
    assert f"Run id: {context.dagster_run.run_id}" in body
    assert f"- staging__me_cases: RuntimeError: {LOCK_ERROR}" in body


def test_a_run_that_will_be_retried_is_not_announced(env, monkeypatch, webhook_server):
    url, received = webhook_server
    monkeypatch.setenv("ODW_FAILURE_WEBHOOK_URL", url)
    run_failure_notifier(failed_run({"dagster/will_retry": "true"}))
    assert received.items == []
    run_failure_notifier(failed_run({"dagster/retry_number": "2"}))
    assert [item["body"]["attempt"] for item in received.items] == [3]


def test_nothing_is_sent_when_unconfigured_and_a_broken_webhook_does_not_raise(env, monkeypatch, webhook_server):
    sent = []
    monkeypatch.setattr(run_failure, "post_webhook", lambda *a, **k: sent.append(a))
    monkeypatch.setattr(run_failure, "send_email", lambda *a, **k: sent.append(a))
    context = failed_run()
    failure = run_failure.describe_failure(context, run_failure.load_settings())
    assert [(d.channel, d.status) for d in run_failure.notify(failure, run_failure.load_settings())] == [
        ("webhook", "off"), ("email", "off"),
    ]
    run_failure_notifier(context)
    assert sent == []
    monkeypatch.undo()
    url, received = webhook_server
    received.status = 500
    monkeypatch.setenv("ODW_FAILURE_WEBHOOK_URL", url)
    deliveries = run_failure.notify(failure, run_failure.load_settings())
    assert deliveries[0].status == "failed" and deliveries[0].detail == "HTTPError (HTTP 500)"


def test_first_line_is_cut_to_size():
    assert first_line("\n  boom  \nmore") == "boom"
    assert len(first_line("x" * 1000)) == run_failure.MAX_ERROR_CHARS
    assert first_line(None) == ""


def test_the_notifier_watches_every_job_of_the_code_location():
    from pipelines.definitions import defs

    sensor = defs().get_repository_def().get_sensor_def("run_failure_notifier")
    assert sensor.default_status == dg.DefaultSensorStatus.RUNNING
    assert isinstance(sensor, dg.RunStatusSensorDefinition)
