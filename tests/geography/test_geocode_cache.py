"""The cache of geocoder answers: round trip, atomic writes, refusing a damaged file."""

from __future__ import annotations

import json
import os
from datetime import UTC, datetime

import pytest

from pipelines.defs.geography import geocode_cache
from pipelines.defs.geography.addresses import Address
from pipelines.defs.geography.geocode_cache import CachedAnswer, GeocodeCache, GeocodeCacheError
from pipelines.defs.geography.geocoder import GeocodeAnswer

WHEN = datetime(2026, 11, 2, 14, 30, tzinfo=UTC)
SERVICE = "https://geocoding.geo.census.gov/geocoder"


def cached(street: str, status: str = "No_Match", point: tuple[float, float] | None = None) -> CachedAnswer:
    address = Address(street, "CHICAGO", "IL", "60624")
    if status == "Match":
        answer = GeocodeAnswer(address, status, "Exact", f"{street}, CHICAGO, IL, 60624", *point, "1234", "L")
    else:
        answer = GeocodeAnswer(address, status)
    return CachedAnswer(answer, "Public_AR_Current", SERVICE, WHEN)


@pytest.fixture
def answers() -> dict[Address, CachedAnswer]:
    entries = [
        cached("3001 W JACKSON BLVD", "Match", (41.87753, -87.70185)),
        cached("9 NOWHERE ST"),
        cached("100 W MAIN ST", "Tie"),
    ]
    return {entry.answer.address: entry for entry in entries}


def test_answers_round_trip_with_benchmark_service_and_time(tmp_path, answers):
    cache = GeocodeCache(tmp_path / "geocoder")
    assert cache.load() == {}
    cache.save(answers)
    assert cache.load() == answers
    document = json.loads(cache.path.read_text())
    assert document["format"] == 1
    first = document["answers"][0]
    assert first["street"] == "100 W MAIN ST"  # sorted by address: equal caches are equal files
    jackson = next(e for e in document["answers"] if e["status"] == "Match")
    assert jackson["benchmark"] == "Public_AR_Current" and jackson["geocoder"] == SERVICE
    assert jackson["geocoded_at"] == "2026-11-02T14:30:00+00:00"
    assert (jackson["latitude"], jackson["longitude"]) == (41.87753, -87.70185)
    # Addresses and answers only: nothing about a case.
    assert set(jackson) == {
        "street", "city", "state", "zip", "status", "match_type", "matched_address", "latitude", "longitude",
        "tigerline_id", "side", "benchmark", "geocoder", "geocoded_at",
    }  # fmt: skip


def test_a_crash_while_writing_leaves_the_previous_cache_whole(tmp_path, answers, monkeypatch):
    cache = GeocodeCache(tmp_path)
    cache.save(answers)
    before = cache.path.read_bytes()
    bigger = {**answers, **{a.answer.address: a for a in [cached("1 N STATE ST")]}}

    def dump_half_then_die(document, handle, **kwargs):
        handle.write(json.dumps(document)[:40])
        raise KeyboardInterrupt("killed mid-write")

    monkeypatch.setattr(geocode_cache.json, "dump", dump_half_then_die)
    with pytest.raises(KeyboardInterrupt):
        cache.save(bigger)
    monkeypatch.undo()

    assert cache.path.read_bytes() == before
    assert cache.load() == answers
    assert [p.name for p in tmp_path.iterdir()] == [geocode_cache.CACHE_FILE]  # no stray temporary file


def test_a_failed_rename_leaves_the_previous_cache_whole(tmp_path, answers, monkeypatch):
    cache = GeocodeCache(tmp_path)
    cache.save(answers)

    def no_rename(src, dst):
        raise OSError("disk full")

    monkeypatch.setattr(geocode_cache.os, "replace", no_rename)
    with pytest.raises(OSError, match="disk full"):
        cache.save({})
    monkeypatch.undo()
    assert cache.load() == answers
    assert sorted(os.listdir(tmp_path)) == [geocode_cache.CACHE_FILE]


@pytest.mark.parametrize(
    "content",
    [
        '{"format": 1, "answers": [{"street": "1 N STATE',  # cut short by hand or by a full disk
        '{"format": 2, "answers": []}',
        '{"format": 1, "answers": [{"street": "1 N STATE ST", "city": "CHICAGO", "state": "IL", "zip": "", '
        '"status": "Match", "benchmark": "b", "geocoder": "g", "geocoded_at": "2026-01-01T00:00:00+00:00"}]}',
        "[]",
    ],
)
def test_a_damaged_cache_is_an_error_not_an_empty_cache(tmp_path, content):
    cache = GeocodeCache(tmp_path)
    cache.path.write_text(content)
    with pytest.raises(GeocodeCacheError, match="census_answers.json cannot be read"):
        cache.load()
