"""CensusGeocoder against the local Census-batch stand-in on 127.0.0.1 (no internet, no real waiting)."""

from __future__ import annotations

import csv
import io
import random
import socket

import pytest
import requests
from geocoder_server import GeocoderServer, parse_form

from pipelines.defs.geography.addresses import Address
from pipelines.defs.geography.geocoder import (
    MAX_BATCH,
    USER_AGENT,
    CensusGeocoder,
    GeocodeAnswer,
    GeocoderError,
    batch_file,
    parse_batch_answer,
)

JACKSON = Address("3001 W JACKSON BLVD", "CHICAGO", "IL", "60624")
NOWHERE = Address("9 NOWHERE ST", "CHICAGO", "IL", "")
TIED = Address("100 W MAIN ST", "CHICAGO", "IL", "60624")
KNOWN = {JACKSON.street: (41.87753, -87.70185)}


class Recorder:
    """Stand-in for time.sleep that records the delays instead of waiting."""

    def __init__(self) -> None:
        self.delays: list[float] = []

    def __call__(self, seconds: float) -> None:
        self.delays.append(seconds)


def local_session() -> requests.Session:
    # Ignore proxy variables from the environment: traffic must stay on 127.0.0.1.
    session = requests.Session()
    session.trust_env = False
    return session


def make_client(server: GeocoderServer, **overrides) -> tuple[CensusGeocoder, Recorder]:
    sleep = Recorder()
    options = {"timeout": 5, "sleep": sleep, "rng": random.Random(7), "session": local_session()}
    options.update(overrides)
    return CensusGeocoder(server.base_url, **options), sleep


def geocode_all(client: CensusGeocoder, addresses: list[Address]) -> list[GeocodeAnswer]:
    return [answer for batch in client.geocode(addresses) for answer in batch]


# --------------------------------------------------------------------------- the CSV formats


def test_batch_file_is_id_street_city_state_zip_without_header():
    assert batch_file([JACKSON, NOWHERE]) == b"1,3001 W JACKSON BLVD,CHICAGO,IL,60624\n2,9 NOWHERE ST,CHICAGO,IL,\n"
    # A street with a comma or quote is quoted, not split.
    rows = list(csv.reader(io.StringIO(batch_file([Address('1 "A", B ST', "CHICAGO", "IL", "")]).decode())))
    assert rows == [["1", '1 "A", B ST', "CHICAGO", "IL", ""]]


def test_answer_lines_in_any_order_with_quoted_lon_lat():
    body = (
        b'"3","100 W MAIN ST, CHICAGO, IL, 60624","Tie"\n'
        b'"1","3001 W JACKSON BLVD, CHICAGO, IL, 60624","Match","Exact","3001 W JACKSON BLVD, CHICAGO, IL, 60612",'
        b'"-87.70185,41.87753","111376524","L"\n'
        b'"2","9 NOWHERE ST, CHICAGO, IL, ","No_Match"\n'
    )
    answers = parse_batch_answer(body, [JACKSON, NOWHERE, TIED])
    assert answers == [
        GeocodeAnswer(
            JACKSON, "Match", "Exact", "3001 W JACKSON BLVD, CHICAGO, IL, 60612", 41.87753, -87.70185, "111376524", "L"
        ),
        GeocodeAnswer(NOWHERE, "No_Match"),
        GeocodeAnswer(TIED, "Tie"),
    ]


@pytest.mark.parametrize(
    ("body", "message"),
    [
        (b'"1","A","No_Match"\n', "1 of 2 addresses not answered"),
        (b'"1","A","No_Match"\n"1","A","No_Match"\n', "answered twice"),
        (b'"1","A","No_Match"\n"3","B","No_Match"\n', "id 3 was not sent"),
        (b'"1","A","Maybe"\n"2","B","No_Match"\n', "unknown status"),
        (b'"1","A","Match","Exact","A",""\n"2","B","No_Match"\n', "without a 'lon,lat' point"),
        (b"<html><body><h1>502 Bad Gateway</h1></body></html>", "expected at least 3"),
        (b'"x","A","No_Match"\n', "is not a number"),
    ],
)
def test_incomplete_or_garbled_answers_are_refused(body, message):
    with pytest.raises(ValueError, match=message):
        parse_batch_answer(body, [JACKSON, NOWHERE])


# --------------------------------------------------------------------------- requests


def test_answers_come_back_in_input_order_from_a_shuffled_answer():
    addresses = [Address(f"{n} W MADISON ST", "CHICAGO", "IL", "60602") for n in range(1, 40)] + [JACKSON, TIED]
    known = {**KNOWN, **{a.street: (41.88, -87.63 - n / 1e4) for n, a in enumerate(addresses[:20])}}
    with GeocoderServer(known, ties=[TIED.street], seed=3) as server:
        client, sleep = make_client(server)
        answers = geocode_all(client, addresses)
        request = server.requests[0]

    assert [a.address for a in answers] == addresses
    assert [a.status for a in answers] == ["Match"] * 20 + ["No_Match"] * 19 + ["Match", "Tie"]
    assert answers[-2].latitude == pytest.approx(41.87753) and answers[-2].longitude == pytest.approx(-87.70185)
    assert answers[3].longitude == pytest.approx(-87.6303)
    assert request.path == "/geocoder/locations/addressbatch"
    assert request.fields["benchmark"] == b"Public_AR_Current"
    assert request.headers["User-Agent"] == USER_AGENT and "geocoder" in USER_AGENT
    answer_ids = [row[0] for row in csv.reader(io.StringIO(server.requests[0].fields["addressFile"].decode()))]
    assert answer_ids == [str(n) for n in range(1, 42)]
    assert sleep.delays == [] and client.counters.requests == 1


def test_request_carries_only_street_city_state_and_zip_under_sequence_numbers():
    addresses = [JACKSON, NOWHERE, TIED]
    with GeocoderServer(KNOWN) as server:
        client, _ = make_client(server, benchmark="Public_AR_Census2020")
        geocode_all(client, addresses)
        request = server.requests[0]

    fields = parse_form(request.headers["Content-Type"], request.body)
    assert set(fields) == {"addressFile", "benchmark"}
    assert fields["benchmark"] == b"Public_AR_Census2020"
    assert request.rows == [
        [str(n), a.street, a.city, a.state, a.zip] for n, a in enumerate(addresses, start=1)
    ]
    assert request.path.endswith("/locations/addressbatch") and "?" not in request.path


def test_more_than_ten_thousand_addresses_are_split_into_batches():
    addresses = [Address(f"{n} S STATE ST", "CHICAGO", "IL", "60616") for n in range(1, 25_002)]
    with GeocoderServer({addresses[-1].street: (41.75, -87.62)}) as server:
        client, _ = make_client(server, timeout=60)
        batches = [len(batch) for batch in client.geocode(addresses)]
        sizes = [len(r.rows) for r in server.requests]
        first_ids = [r.rows[0][0] for r in server.requests]

    assert client.batch_size == MAX_BATCH
    assert batches == sizes == [10_000, 10_000, 5_001]
    assert first_ids == ["1", "1", "1"]  # ids restart in every batch: they mean nothing outside it
    assert [s.rows[-1][1] for s in server.requests][-1] == addresses[-1].street


def test_smaller_batches_by_setting():
    addresses = [Address(f"{n} S STATE ST", "CHICAGO", "IL", "") for n in range(1, 8)]
    with GeocoderServer() as server:
        client, _ = make_client(server, batch_size=3)
        assert [len(b) for b in client.geocode(addresses)] == [3, 3, 1]
    with pytest.raises(ValueError, match="10000"):
        CensusGeocoder(batch_size=10_001)


def test_nothing_to_send_sends_nothing():
    with GeocoderServer() as server:
        client, _ = make_client(server)
        assert list(client.geocode([])) == []
        assert server.requests == []


# --------------------------------------------------------------------------- retries


@pytest.mark.parametrize("fault", ["500", "503", "truncated", "disconnect", "garbled"])
def test_transient_failure_then_success(fault):
    with GeocoderServer(KNOWN, faults=[fault]) as server:
        client, sleep = make_client(server)
        answers = geocode_all(client, [JACKSON, NOWHERE])
        attempts = len(server.requests)

    assert [a.status for a in answers] == ["Match", "No_Match"]
    assert attempts == 2 and len(sleep.delays) == 1
    assert client.counters.retries == 1


def test_429_honours_retry_after():
    with GeocoderServer(KNOWN, faults=[("429", 7)]) as server:
        client, sleep = make_client(server)
        geocode_all(client, [JACKSON])
    assert sleep.delays == [7.0]


def test_slow_answer_times_out_then_succeeds():
    with GeocoderServer(KNOWN, faults=[("slow", 3)]) as server:
        client, sleep = make_client(server, timeout=0.25)
        answers = geocode_all(client, [JACKSON])
    assert answers[0].status == "Match" and len(sleep.delays) == 1


def test_exhausted_retries_raise_a_transient_error_with_backoff():
    with GeocoderServer(KNOWN, faults=lambda n: "503") as server:
        client, sleep = make_client(server, max_retries=3, backoff_base=1.0, backoff_max=3.0)
        with pytest.raises(GeocoderError) as info:
            geocode_all(client, [JACKSON])
        attempts = len(server.requests)

    assert attempts == 4 and info.value.transient
    assert "after 4 attempts" in str(info.value) and "HTTP 503" in str(info.value)
    assert "/locations/addressbatch (1 addresses)" in str(info.value)
    assert len(sleep.delays) == 3 and all(0 <= d <= 3.0 for d in sleep.delays)


def test_connection_refused_is_retried_then_fails():
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    sleep = Recorder()
    client = CensusGeocoder(f"http://127.0.0.1:{port}/geocoder", max_retries=2, sleep=sleep, session=local_session())
    with pytest.raises(GeocoderError, match=r"after 3 attempts.*ConnectionError") as info:
        geocode_all(client, [JACKSON])
    assert info.value.transient and len(sleep.delays) == 2


@pytest.mark.parametrize("status", ["400", "403", "404"])
def test_client_errors_fail_at_once(status):
    with GeocoderServer(KNOWN, faults=[status, None]) as server:
        client, sleep = make_client(server)
        with pytest.raises(GeocoderError) as info:
            geocode_all(client, [JACKSON])
        assert len(server.requests) == 1

    assert not info.value.transient
    assert f"HTTP {status}" in str(info.value) and "not retried" in str(info.value)
    assert sleep.delays == []


def test_wrong_base_url_names_the_service_and_its_message():
    with GeocoderServer(KNOWN, prefix="/geocoder") as server:
        client = CensusGeocoder(server.base_url + "/v2", session=local_session(), sleep=Recorder())
        with pytest.raises(GeocoderError, match=r"geocoder/v2/locations/addressbatch.*HTTP 404.*no such service"):
            geocode_all(client, [JACKSON])


def test_a_later_batch_failing_keeps_the_earlier_batches_answers():
    addresses = [JACKSON, NOWHERE, TIED]
    with GeocoderServer(KNOWN, faults=lambda n: None if n == 1 else "400") as server:
        client, _ = make_client(server, batch_size=2)
        batches = client.geocode(addresses)
        first = next(batches)
        with pytest.raises(GeocoderError):
            next(batches)
    assert [a.status for a in first] == ["Match", "No_Match"]
