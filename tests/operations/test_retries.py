"""Step retries with exponential backoff for the Medical Examiner pull, against a local SODA server."""

from __future__ import annotations

from datetime import date

import dagster as dg
import duckdb
import pytest
from soda_server import SodaServer

from pipelines.defs.medical_examiner.assets import me_records
from pipelines.defs.resources import build_resources
from pipelines.defs.retries import pull_retry_policy, retry_pull
from pipelines.demo.medical_examiner import generate_me_records
from pipelines.settings import load_settings


def test_policy_comes_from_settings_with_exponential_backoff_and_jitter():
    policy = pull_retry_policy(load_settings({}))
    assert policy == dg.RetryPolicy(max_retries=3, delay=60.0, backoff=dg.Backoff.EXPONENTIAL, jitter=dg.Jitter.PLUS_MINUS)
    # (2**n - 1) × 60 s ± 60 s: about 1, 3 and 7 minutes.
    for attempt, (low, high) in {1: (0, 120), 2: (120, 240), 3: (360, 480)}.items():
        waits = [policy.calculate_delay(attempt) for _ in range(200)]
        assert low <= min(waits) and max(waits) <= high
        assert max(waits) - min(waits) > 30  # the jitter spreads them


def test_retry_pull_requests_a_retry_until_the_retries_are_used_up():
    settings = load_settings({"ODW_PULL_STEP_RETRIES": "2", "ODW_PULL_STEP_RETRY_DELAY_SECONDS": "10"})
    error = RuntimeError("portal down")
    with pytest.raises(dg.RetryRequested) as first:
        retry_pull(0, settings, error)
    assert first.value.max_retries == 2 and 0 <= first.value.seconds_to_wait <= 20
    assert first.value.__cause__ is error
    with pytest.raises(dg.RetryRequested) as second:
        retry_pull(1, settings, error)
    assert 20 <= second.value.seconds_to_wait <= 40
    with pytest.raises(RuntimeError, match="portal down"):
        retry_pull(2, settings, error)


@pytest.fixture
def records() -> list[dict]:
    return generate_me_records(n=200, seed=11, end_month=date(2026, 10, 1))


def pull(server: SodaServer, monkeypatch: pytest.MonkeyPatch) -> dg.ExecuteInProcessResult:
    for key, value in {"ODW_ME_SOURCE": "live", "ODW_SOCRATA_BASE_URL": server.base_url,
                       "ODW_SOCRATA_MAX_RETRIES": "0", "ODW_PULL_STEP_RETRIES": "2",
                       "ODW_PULL_STEP_RETRY_DELAY_SECONDS": "0.05"}.items():
        monkeypatch.setenv(key, value)
    return dg.materialize([me_records], resources=build_resources(), instance=dg.DagsterInstance.ephemeral(),
                          raise_on_error=False)


def retries(result: dg.ExecuteInProcessResult) -> int:
    return sum(1 for e in result.all_events if e.event_type_value == "STEP_UP_FOR_RETRY")


def test_a_pull_that_fails_on_a_portal_outage_succeeds_on_the_step_retry(isolated_env, monkeypatch, records):
    # The client gives up at once (no request retries), so only Dagster's step retry can save the run.
    with SodaServer(records, faults=["503"]) as server:
        result = pull(server, monkeypatch)
    assert result.success and retries(result) == 1
    with duckdb.connect(isolated_env["ODW_WAREHOUSE"], read_only=True) as con:
        assert con.execute("SELECT count(*) FROM raw.me_records").fetchall()[0][0] == len(records)


def test_a_permanent_error_is_not_retried(isolated_env, monkeypatch, records):
    with SodaServer(records, faults=["404"]) as server:
        result = pull(server, monkeypatch)
    assert not result.success and retries(result) == 0


def test_an_outage_longer_than_the_retries_fails_the_run(isolated_env, monkeypatch, records):
    with SodaServer(records, faults=["503", "503", "503"]) as server:
        result = pull(server, monkeypatch)
    assert not result.success and retries(result) == 2
