"""SocrataClient against the local SODA server on 127.0.0.1 (no internet, no real waiting)."""

from __future__ import annotations

import json
import logging
import random
import socket
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime

import pytest
import requests
from soda_server import SodaServer

from pipelines.defs.medical_examiner.client import (
    MAX_PAGE_SIZE,
    USER_AGENT,
    Page,
    PullResult,
    SocrataClient,
    SocrataError,
    max_timestamp,
)

T1 = "2024-03-01T08:00:00.000Z"
T2 = "2024-05-01T12:00:00.000Z"
T3 = "2024-05-02T09:30:15.250Z"


def make_records(n: int, start: int = 0) -> list[dict]:
    """Records shaped like the Cook County ME archive (values are strings, as Socrata sends them)."""
    return [
        {
            "casenumber": f"ME2024-{i:05d}",
            "death_date": f"2024-0{1 + i % 9}-{1 + i % 28:02d}T00:00:00.000",
            "age": str(20 + i % 60),
            "gender": "Male" if i % 2 else "Female",
            "manner": "ACCIDENT",
            "primarycause": "COMBINED DRUG (FENTANYL) TOXICITY",
            "opioids": True,
            "residence_zip": "60624",
        }
        for i in range(start, start + n)
    ]


class Recorder:
    """Stand-in for time.sleep that records the delays instead of waiting."""

    def __init__(self) -> None:
        self.delays: list[float] = []

    def __call__(self, seconds: float) -> None:
        self.delays.append(seconds)


class RecordingRng(random.Random):
    """Returns the upper bound of every uniform() draw and records the ranges asked for."""

    def __init__(self) -> None:
        super().__init__(0)
        self.ranges: list[tuple[float, float]] = []

    def uniform(self, a: float, b: float) -> float:
        self.ranges.append((a, b))
        return b


def local_session() -> requests.Session:
    # Ignore proxy variables from the environment: traffic must stay on 127.0.0.1.
    session = requests.Session()
    session.trust_env = False
    return session


def make_client(server: SodaServer, **overrides) -> tuple[SocrataClient, Recorder]:
    sleep = Recorder()
    options = {
        "page_size": 3,
        "timeout": 5,
        "sleep": sleep,
        "rng": random.Random(1234),
        "session": local_session(),
        "dataset_id": server.dataset_id,
    }
    options.update(overrides)
    return SocrataClient(server.base_url, **options), sleep


def without_system(records: list[dict]) -> list[dict]:
    return [{k: v for k, v in r.items() if not k.startswith(":")} for r in records]


# --------------------------------------------------------------------------- paging


def test_pages_offsets_order_and_exact_records() -> None:
    records = make_records(8)
    with SodaServer(records) as server:
        client, sleep = make_client(server)
        result = client.pull()
        params = server.data_requests()

    assert isinstance(result, PullResult)
    assert [p.number for p in result.pages] == [1, 2, 3]
    assert [len(p.records) for p in result.pages] == [3, 3, 2]
    assert without_system(result.records) == records
    assert result.row_count == 8
    assert [int(p["$offset"]) for p in params] == [0, 3, 6]
    assert all(p["$order"] == ":id" for p in params)
    assert all(p["$limit"] == "3" for p in params)
    assert all(p["$select"] == ":*, *" for p in params)
    assert all("$where" not in p for p in params)
    # System fields come back because of `:*`, and ids are in order.
    ids = [r[":id"] for r in result.records]
    assert ids == sorted(ids) and len(set(ids)) == 8
    assert all(r[":updated_at"] for r in result.records)
    assert result.requests == 3 and result.retries == 0 and sleep.delays == []
    assert result.max_updated_at == "2024-01-01T00:00:00.000Z"
    assert result.updated_since is None
    assert result.started_at.tzinfo is not None and result.started_at <= result.finished_at


def test_page_body_is_bytes_as_received_and_url_is_complete() -> None:
    with SodaServer(make_records(4)) as server:
        client, _ = make_client(server)
        pages = list(client.iter_pages())
        base = server.base_url

    assert all(isinstance(p, Page) for p in pages)
    for page in pages:
        assert json.loads(page.body) == page.records
        assert page.url.startswith(f"{base}/resource/cjeq-bs86.json?")
        assert "%24offset=" in page.url and "%24order=%3Aid" in page.url
    # The server pretty-prints; the client must keep that formatting untouched.
    assert pages[0].body.startswith(b"[\n {")


def test_exact_multiple_of_page_size_ends_on_empty_page() -> None:
    with SodaServer(make_records(6)) as server:
        client, _ = make_client(server)
        result = client.pull()
        offsets = [int(p["$offset"]) for p in server.data_requests()]

    assert offsets == [0, 3, 6]
    assert [len(p.records) for p in result.pages] == [3, 3, 0]
    assert result.pages[-1].body.strip() == b"[]"
    assert result.row_count == 6


def test_empty_dataset_is_one_empty_page() -> None:
    with SodaServer([]) as server:
        client, _ = make_client(server)
        result = client.pull()

    assert len(result.pages) == 1 and result.row_count == 0 and result.max_updated_at is None


def test_user_agent_is_descriptive() -> None:
    with SodaServer(make_records(1)) as server:
        client, _ = make_client(server)
        client.pull()
        headers = server.requests[0][2]

    assert headers["User-Agent"] == USER_AGENT
    assert USER_AGENT.startswith("west-side-overdose-watch/")


# --------------------------------------------------------------------------- retries


@pytest.mark.parametrize("fault", ["500", "502", "503", "504"])
def test_server_error_then_success(fault: str) -> None:
    records = make_records(7)
    with SodaServer(records, faults=[None, fault]) as server:
        client, sleep = make_client(server, backoff_base=2.0)
        result = client.pull()
        offsets = [int(p["$offset"]) for p in server.data_requests()]

    assert without_system(result.records) == records
    assert offsets == [0, 3, 3, 6]
    assert result.requests == 4 and result.retries == 1
    assert len(sleep.delays) == 1 and 0 <= sleep.delays[0] <= 2.0


@pytest.mark.parametrize("fault", ["truncated", "disconnect", "invalid_json", "not_a_list"])
def test_bad_body_then_success(fault: str) -> None:
    records = make_records(5)
    with SodaServer(records, faults=[fault]) as server:
        client, sleep = make_client(server)
        result = client.pull()

    assert without_system(result.records) == records
    assert result.retries == 1 and len(sleep.delays) == 1
    # The page kept is the good answer, not the damaged one.
    assert json.loads(result.pages[0].body) == result.pages[0].records


@pytest.mark.parametrize("retry_after", [7, "7"])
def test_429_honours_retry_after_seconds(retry_after) -> None:
    with SodaServer(make_records(2), faults=[("429", retry_after)]) as server:
        client, sleep = make_client(server, backoff_base=0.5)
        result = client.pull()

    assert sleep.delays == [7.0]
    assert result.retries == 1 and result.row_count == 2


def test_429_retry_after_http_date() -> None:
    when = datetime.now(UTC) + timedelta(seconds=30)
    with SodaServer(make_records(2), faults=[("429", format_datetime(when, usegmt=True))]) as server:
        client, sleep = make_client(server)
        client.pull()

    assert len(sleep.delays) == 1 and 25 <= sleep.delays[0] <= 30


def test_429_retry_after_is_capped_at_backoff_max() -> None:
    with SodaServer(make_records(2), faults=[("429", 3600)]) as server:
        client, sleep = make_client(server, backoff_max=12.0)
        client.pull()

    assert sleep.delays == [12.0]


def test_429_without_retry_after_uses_jitter() -> None:
    rng = RecordingRng()
    with SodaServer(make_records(2), faults=[("429", None)]) as server:
        client, sleep = make_client(server, rng=rng, backoff_base=1.5)
        client.pull()

    assert rng.ranges == [(0, 1.5)] and sleep.delays == [1.5]


def test_slow_response_times_out_then_succeeds() -> None:
    records = make_records(4)
    with SodaServer(records, faults=[("slow", 3)]) as server:
        client, sleep = make_client(server, timeout=0.25)
        result = client.pull()

    assert without_system(result.records) == records
    assert result.retries == 1 and len(sleep.delays) == 1


def test_connection_refused_is_retried_then_fails() -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    sleep = Recorder()
    client = SocrataClient(
        f"http://127.0.0.1:{port}", page_size=3, max_retries=2, sleep=sleep, session=local_session(), timeout=2
    )
    with pytest.raises(SocrataError, match=r"after 3 attempts.*ConnectionError"):
        client.pull()
    assert len(sleep.delays) == 2


def test_exhausted_retries_raise_with_full_jitter_backoff() -> None:
    rng = RecordingRng()
    with SodaServer(make_records(9), faults=lambda n: None if n == 1 else "503") as server:
        client, sleep = make_client(server, max_retries=4, backoff_base=1.0, backoff_max=5.0, rng=rng)
        with pytest.raises(SocrataError) as info:
            client.pull()
        attempts = len(server.requests)
        base = server.base_url

    message = str(info.value)
    assert "after 5 attempts" in message
    assert "HTTP 503" in message
    assert f"{base}/resource/cjeq-bs86.json?" in message and "%24offset=3" in message
    assert attempts == 1 + 5  # first page, then five attempts at the second
    # Exponential ceiling, capped by backoff_max; full jitter draws from [0, ceiling].
    assert rng.ranges == [(0, 1.0), (0, 2.0), (0, 4.0), (0, 5.0)]
    assert sleep.delays == [1.0, 2.0, 4.0, 5.0]
    assert isinstance(info.value, RuntimeError)


def test_failed_pull_returns_nothing_even_after_good_pages() -> None:
    # The first page succeeds; the pull must still raise as a whole so no partial data is used.
    with SodaServer(make_records(9), faults=lambda n: None if n == 1 else "500") as server:
        client, _ = make_client(server, max_retries=1)
        result = None
        with pytest.raises(SocrataError):
            result = client.pull()
    assert result is None


def test_max_retries_zero_fails_on_first_error() -> None:
    with SodaServer(make_records(2), faults=["500"]) as server:
        client, sleep = make_client(server, max_retries=0)
        with pytest.raises(SocrataError, match="after 1 attempts"):
            client.pull()
    assert sleep.delays == []


@pytest.mark.parametrize("status", ["400", "401", "403", "404"])
def test_client_errors_fail_at_once(status: str) -> None:
    with SodaServer(make_records(2), faults=[status, None]) as server:
        client, sleep = make_client(server)
        with pytest.raises(SocrataError) as info:
            client.pull()
        assert len(server.requests) == 1

    assert f"HTTP {status}" in str(info.value)
    assert "/resource/cjeq-bs86.json" in str(info.value)
    assert "not retried" in str(info.value)
    assert sleep.delays == []


def test_unknown_dataset_404_names_url_and_message() -> None:
    with SodaServer(make_records(2), dataset_id="abcd-1234") as server:
        sleep = Recorder()
        client = SocrataClient(server.base_url, dataset_id="zzzz-9999", sleep=sleep, session=local_session())
        with pytest.raises(SocrataError, match=r"zzzz-9999\.json.*HTTP 404 \(Not Found: Dataset or resource not found"):
            client.pull()
    assert sleep.delays == []


def test_invalid_token_403_is_not_retried() -> None:
    with SodaServer(make_records(2), app_token="right-token") as server:
        client, sleep = make_client(server, app_token="wrong-token")
        with pytest.raises(SocrataError, match="Invalid app_token") as info:
            client.pull()
    assert "wrong-token" not in str(info.value)
    assert sleep.delays == []


def test_retry_logged_without_token(caplog: pytest.LogCaptureFixture) -> None:
    token = "s3cr3t-app-token"
    with SodaServer(make_records(2), faults=["503"]) as server:
        client, _ = make_client(server, app_token=token)
        with caplog.at_level(logging.DEBUG, logger="pipelines.defs.medical_examiner.client"):
            client.pull()

    retries = [r for r in caplog.records if r.levelno == logging.WARNING]
    assert len(retries) == 1 and "HTTP 503" in retries[0].getMessage()
    assert all(token not in r.getMessage() for r in caplog.records)
    assert token not in repr(client)


# --------------------------------------------------------------------------- token, incremental


def test_app_token_only_in_header_when_set() -> None:
    token = "my-app-token-123"
    with SodaServer(make_records(7), app_token=token) as server:
        client, _ = make_client(server, app_token=token)
        result = client.pull()
        with_token = list(server.requests)
    assert len(with_token) == 3
    assert all(headers["X-App-Token"] == token for _, _, headers in with_token)
    assert all(token not in json.dumps(params) for _, params, _ in with_token)
    assert all(token not in page.url for page in result.pages)

    with SodaServer(make_records(2)) as server:
        client, _ = make_client(server)
        client.pull()
        assert all("X-App-Token" not in headers for _, _, headers in server.requests)


def test_incremental_pull_sends_where_and_gets_only_newer_rows() -> None:
    records = [dict(r, **{":updated_at": T1}) for r in make_records(10)]
    with SodaServer(records) as server:
        client, _ = make_client(server)
        full = client.pull()
        assert full.max_updated_at == T1
        ids_before = {r["casenumber"]: r[":id"] for r in full.records}

        changed = [dict(records[2], manner="NATURAL"), dict(records[7], age="99")]
        server.upsert(changed, updated_at=T2)
        server.upsert(make_records(1, start=100), updated_at=T3)

        result = client.pull(updated_since=full.max_updated_at)
        incremental_params = server.data_requests()[len(full.pages) :]

    assert all(p["$where"] == f":updated_at > '{T1}'" for p in incremental_params)
    assert all(p["$order"] == ":id" for p in incremental_params)
    assert {r["casenumber"] for r in result.records} == {"ME2024-00002", "ME2024-00007", "ME2024-00100"}
    assert result.row_count == 3 and result.updated_since == T1
    assert result.max_updated_at == T3
    by_case = {r["casenumber"]: r for r in result.records}
    assert by_case["ME2024-00002"]["manner"] == "NATURAL"
    # An update keeps the row identifier, so downstream can replace rather than duplicate.
    assert by_case["ME2024-00002"][":id"] == ids_before["ME2024-00002"]


def test_incremental_with_nothing_new_returns_one_empty_page() -> None:
    with SodaServer(make_records(4), default_updated_at=T1) as server:
        client, _ = make_client(server)
        result = client.pull(updated_since=T1)
    assert result.row_count == 0 and len(result.pages) == 1 and result.max_updated_at is None


@pytest.mark.parametrize("bad", ["yesterday", "2024-01-01' OR 1=1 --", "2024-01-01"])
def test_bad_watermark_rejected_before_any_request(bad: str) -> None:
    with SodaServer(make_records(2)) as server:
        client, _ = make_client(server)
        with pytest.raises(ValueError, match="updated_since"):
            client.pull(updated_since=bad)
        with pytest.raises(ValueError, match="updated_since"):
            client.iter_pages(updated_since=bad)
        assert server.requests == []


# --------------------------------------------------------------------------- validation, helpers


@pytest.mark.parametrize("size", [0, -1, MAX_PAGE_SIZE + 1])
def test_page_size_outside_soda_limit_rejected(size: int) -> None:
    with pytest.raises(ValueError, match="50000"):
        SocrataClient("http://127.0.0.1:1", page_size=size)


def test_max_page_size_accepted() -> None:
    assert SocrataClient("http://127.0.0.1:1", page_size=MAX_PAGE_SIZE).page_size == MAX_PAGE_SIZE


def test_max_timestamp_compares_instants() -> None:
    assert max_timestamp([None, "2024-05-01T12:00:00.000Z", "2024-05-01T12:00:00.5Z"]) == "2024-05-01T12:00:00.5Z"
    assert max_timestamp([T2, "2024-05-01T13:00:00+02:00"]) == T2
    assert max_timestamp([None]) is None


# --------------------------------------------------------------------------- the test server itself


def test_server_rejects_limit_above_50000_and_bad_where() -> None:
    with SodaServer(make_records(2)) as server:
        session = local_session()
        too_big = session.get(server.endpoint, params={"$limit": "50001"}, timeout=5)
        bad_where = session.get(server.endpoint, params={"$where": "age > 3"}, timeout=5)
        plain = session.get(server.endpoint, params={"$select": "casenumber, :id"}, timeout=5)
        star = session.get(server.endpoint, params={"$select": "*"}, timeout=5)

    assert too_big.status_code == 400 and "50000" in too_big.json()["message"]
    assert bad_where.status_code == 400
    assert plain.json()[0] == {"casenumber": "ME2024-00000", ":id": "row-00000001"}
    assert all(not k.startswith(":") for row in star.json() for k in row)


def test_twenty_percent_random_failures_are_survived() -> None:
    records = make_records(60)
    with SodaServer(records, fault_rate=0.2, seed=7) as server:
        client, sleep = make_client(server, page_size=5, max_retries=8)
        result = client.pull()
        faults = [f for f in server.applied_faults if f is not None]

    assert without_system(result.records) == records
    assert len({r[":id"] for r in result.records}) == 60
    assert result.retries == len(faults) > 0
    assert len(sleep.delays) == result.retries
