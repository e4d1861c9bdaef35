"""The new-alert sensor fires once per new alert; webhook and e-mail go only to local test servers."""

from __future__ import annotations

import json
from datetime import date, timedelta
from pathlib import Path

import dagster as dg
import duckdb
import polars as pl
import pytest

from pipelines.defs.hotspots import delivery
from pipelines.defs.hotspots.assets import ALERT_BADGES
from pipelines.defs.hotspots.delivery import Delivery
from pipelines.defs.hotspots.sensors import (
    MAX_ATTEMPTS,
    SensorState,
    evaluate,
    new_alert_sensor,
    read_recent_badges,
)
from pipelines.defs.resources import SettingsResource
from pipelines.settings import load_settings


def badge(badge_id: str, area: str = "Austin", day: date = date(2026, 10, 26), recent: bool = True) -> dict:
    return {
        "badge_id": badge_id,
        "granularity": "week",
        "period": day,
        "period_end": day + timedelta(days=6),
        "area_level": "community_area",
        "community_area_number": 25,
        "area": area,
        "series": "overdose_deaths",
        "observed": 12,
        "observed_display": "12",
        "methods": "ears_c1, ears_c2",
        "alert_type": "initial spike",
        "severity": "high",
        "episode_start": day,
        "is_provisional": True,
        "is_recent": recent,
    }


def publish(app_db: Path, badges: list[dict]) -> None:
    """Write marts.alert_badges into a fresh app database, as the publication step would."""
    app_db.unlink(missing_ok=True)
    frame = pl.DataFrame(badges, schema_overrides={"community_area_number": pl.Int32, "observed": pl.Int64})
    with duckdb.connect(str(app_db)) as con:
        con.execute("CREATE SCHEMA marts")
        con.register("badges", frame.to_arrow())
        con.execute("CREATE TABLE marts.alert_badges AS SELECT * FROM badges")


def tick(cursor: str | None = None):
    context = dg.build_sensor_context(cursor=cursor, resources={"settings": SettingsResource()})
    return new_alert_sensor(context)


def never(_batch):
    raise AssertionError("nothing should be sent")


def test_evaluate_announces_each_badge_once():
    first = evaluate(SensorState(), [badge("a"), badge("b")], lambda batch: [Delivery("webhook", "off")])
    assert [b["badge_id"] for b in first.new] == ["a", "b"]
    second = evaluate(first.state, [badge("a"), badge("b")], never)
    assert second.new == [] and second.state.seen == {"a", "b"}
    third = evaluate(second.state, [badge("b"), badge("c")], lambda batch: [])
    assert [b["badge_id"] for b in third.new] == ["c"]
    # "a" is no longer recent: it leaves the cursor, which therefore stays small.
    assert third.state.seen == {"b", "c"}
    assert SensorState.load(third.state.dump()) == third.state


def test_failed_deliveries_are_retried_a_limited_number_of_times():
    failing = lambda batch: [Delivery("webhook", "failed", "ConnectionError")]
    state = SensorState()
    sent_batches = []

    def record(batch):
        sent_batches.append([b["badge_id"] for b in batch])
        return failing(batch)

    for _ in range(MAX_ATTEMPTS + 2):
        result = evaluate(state, [badge("a")], record)
        state = result.state
    # One first attempt plus MAX_ATTEMPTS − 1 retries; then the badge is given up on.
    assert sent_batches == [["a"]] * MAX_ATTEMPTS
    assert state.retry == {} and state.seen == {"a"}
    ok = evaluate(
        SensorState(frozenset({"a"}), {"a": 1}), [badge("a")], lambda batch: [Delivery("webhook", "sent")]
    )
    assert ok.new == [] and ok.state.retry == {}


def test_read_recent_badges(tmp_path):
    app_db = tmp_path / "app.duckdb"
    assert read_recent_badges(app_db) is None
    with duckdb.connect(str(app_db)) as con:
        con.execute("CREATE SCHEMA marts")
    assert read_recent_badges(app_db) is None  # published, but without the table yet
    publish(app_db, [badge("a"), badge("old", recent=False)])
    rows = read_recent_badges(app_db)
    assert [r["badge_id"] for r in rows] == ["a"]
    assert "observed" not in rows[0] and rows[0]["observed_display"] == "12"


def test_sensor_fires_once_per_new_alert(isolated_env):
    app_db = Path(isolated_env["ODW_APP_DB"])
    skipped = tick()
    assert isinstance(skipped, dg.SkipReason)
    publish(app_db, [badge("a"), badge("b", area="West Garfield Park")])
    first = tick()
    assert isinstance(first, dg.SensorResult)
    events = first.asset_events
    assert len(events) == 2 and all(isinstance(e, dg.AssetObservation) for e in events)
    assert {e.asset_key for e in events} == {ALERT_BADGES}
    assert {e.metadata["badge_id"].value for e in events} == {"a", "b"}
    assert events[0].metadata["delivery"].value == "webhook: off, email: off"
    again = tick(first.cursor)
    assert not again.asset_events and again.skip_reason is not None
    publish(app_db, [badge("a"), badge("b", area="West Garfield Park"), badge("c", area="North Lawndale")])
    third = tick(again.cursor)
    assert [e.metadata["badge_id"].value for e in third.asset_events] == ["c"]
    assert "North Lawndale" in third.asset_events[0].description


def test_webhook_delivery_to_a_local_server(isolated_env, monkeypatch, webhook_server):
    url, received = webhook_server
    monkeypatch.setenv("ODW_ALERT_WEBHOOK_URL", url)
    publish(Path(isolated_env["ODW_APP_DB"]), [badge("a")])
    result = tick()
    assert len(received.items) == 1
    post = received.items[0]
    assert post["path"] == "/hooks/alerts"
    assert "Austin — initial spike (high): overdose deaths, week of 2026-10-26: 12" in post["body"]["text"]
    assert [a["badge_id"] for a in post["body"]["alerts"]] == ["a"]
    assert result.asset_events[0].metadata["delivery"].value == "webhook: sent, email: off"
    tick(result.cursor)
    assert len(received.items) == 1  # not sent again


def test_webhook_failure_is_reported_and_retried(isolated_env, monkeypatch, webhook_server):
    url, received = webhook_server
    received.status = 500
    monkeypatch.setenv("ODW_ALERT_WEBHOOK_URL", url)
    publish(Path(isolated_env["ODW_APP_DB"]), [badge("a")])
    first = tick()
    assert first.asset_events[0].metadata["delivery"].value == "webhook: failed, email: off"
    assert json.loads(first.cursor)["retry"] == {"a": 1}
    received.status = 200
    second = tick(first.cursor)
    assert len(received.items) == 2 and not second.asset_events  # retried, no second event
    assert json.loads(second.cursor)["retry"] == {}


def test_email_delivery_to_a_local_server(isolated_env, monkeypatch, smtp_server):
    port, received = smtp_server
    for key, value in {
        "ODW_SMTP_HOST": "127.0.0.1",
        "ODW_SMTP_PORT": str(port),
        "ODW_SMTP_TO": "lead@example.org, nurse@example.org",
        "ODW_SMTP_FROM": "watch@example.org",
        "ODW_SMTP_STARTTLS": "false",
    }.items():
        monkeypatch.setenv(key, value)
    publish(Path(isolated_env["ODW_APP_DB"]), [badge("a"), badge("b", area="West Garfield Park")])
    result = tick()
    assert result.asset_events[0].metadata["delivery"].value == "webhook: off, email: sent"
    assert len(received.items) == 1  # one e-mail for the batch
    mail = received.items[0]
    assert len(mail["rcpt"]) == 2
    assert "Subject: West Side Overdose Watch: 2 new spike alerts" in mail["data"]
    assert "West Garfield Park" in mail["data"]


def test_delivery_is_off_by_default():
    cfg = load_settings({})
    assert cfg.alert_webhook_url is None and not delivery.email_enabled(cfg)
    assert delivery.deliver([badge("a")], cfg) == [Delivery("webhook", "off"), Delivery("email", "off")]
    assert delivery.deliver([], cfg) == []


@pytest.mark.parametrize("observed", ["<10", "23"])
def test_messages_carry_no_expected_values(observed):
    one = badge("a") | {"observed_display": observed}
    subject, body = delivery.message([one])
    assert subject == "West Side Overdose Watch: 1 new spike alert"
    assert f": {observed} (EARS C1, EARS C2)" in body
    assert "expected" not in json.dumps(delivery.payload([one]))
