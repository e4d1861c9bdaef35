"""Sensor: a new spike alert appears → an event in Dagster, and (when configured) a webhook and e-mail.

Every evaluation reads the *recent* alert badges (periods ending in the last 14 days of data) from the
dashboard's published database — never the warehouse, which a running pipeline holds open for
writing; the published file is swapped in atomically, so reading it never blocks the pipeline.

The cursor is ``{"seen": [badge ids already announced], "retry": {badge id: failed attempts}}``.
A badge not in ``seen`` is new: it gets one ``AssetObservation`` on ``marts/alert_badges`` (visible in
the asset's event log) and is delivered over the configured channels, all new badges of a tick in
one message. Ids that stop being recent are dropped from the cursor, which keeps it small; a badge
never comes back once its period is older than the recent window. When a configured channel fails,
the badge is retried on the next ticks, at most :data:`MAX_ATTEMPTS` times, without a second event.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import dagster as dg
import duckdb

from pipelines.defs.hotspots.assets import ALERT_BADGES
from pipelines.defs.hotspots.delivery import Delivery, deliver, describe
from pipelines.defs.resources import SettingsResource
from pipelines.warehouse import open_published, read_sql

#: Deliveries of one badge are tried this many times in all.
MAX_ATTEMPTS = 3


@dataclass(frozen=True)
class SensorState:
    """What the cursor remembers between evaluations."""

    seen: frozenset[str] = frozenset()
    retry: dict[str, int] = field(default_factory=dict)

    @classmethod
    def load(cls, cursor: str | None) -> SensorState:
        """Parse a cursor (``None`` or empty: nothing seen yet)."""
        if not cursor:
            return cls()
        data = json.loads(cursor)
        return cls(frozenset(data.get("seen", [])), {k: int(v) for k, v in data.get("retry", {}).items()})

    def dump(self) -> str:
        """The cursor text (sorted, so equal states give equal cursors)."""
        return json.dumps({"seen": sorted(self.seen), "retry": dict(sorted(self.retry.items()))})


@dataclass(frozen=True)
class Tick:
    """Outcome of one evaluation: new badges, deliveries made and the next state."""

    new: list[dict[str, Any]]
    deliveries: list[Delivery]
    state: SensorState


def read_recent_badges(app_db: Path) -> list[dict[str, Any]] | None:
    """Recent alert badges from the published database; ``None`` when it or the table is missing."""
    if not Path(app_db).is_file():
        return None
    try:
        with open_published(app_db) as con:
            cursor = con.execute(read_sql("hotspots/recent_alert_badges.sql"))
            names = [d[0] for d in cursor.description]
            return [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]
    except duckdb.CatalogException:
        return None


def evaluate(
    state: SensorState,
    badges: Sequence[dict[str, Any]],
    send: Callable[[Sequence[dict[str, Any]]], list[Delivery]],
) -> Tick:
    """Decide what is new, deliver it (and due retries) with ``send``, and compute the next state."""
    current = {b["badge_id"] for b in badges}
    new = [b for b in badges if b["badge_id"] not in state.seen]
    due = [b for b in badges if b["badge_id"] in state.retry and b["badge_id"] in state.seen]
    outgoing = new + due
    deliveries = send(outgoing) if outgoing else []
    failed = any(d.status == "failed" for d in deliveries)
    retry = {k: v for k, v in state.retry.items() if k in current and k not in {b["badge_id"] for b in due}}
    if failed:
        for badge in outgoing:
            attempts = state.retry.get(badge["badge_id"], 0) + 1
            if attempts < MAX_ATTEMPTS:
                retry[badge["badge_id"]] = attempts
    seen = frozenset((state.seen & current) | {b["badge_id"] for b in new})
    return Tick(new, deliveries, SensorState(seen, retry))


def observation(badge: dict[str, Any], deliveries: Sequence[Delivery]) -> dg.AssetObservation:
    """The Dagster event for one new alert badge."""
    return dg.AssetObservation(
        asset_key=ALERT_BADGES,
        description=f"New spike alert: {describe(badge)}",
        metadata={
            "badge_id": badge["badge_id"],
            "area": badge["area"],
            "series": badge["series"],
            "granularity": badge["granularity"],
            "period": str(badge["period"]),
            "alert_type": badge["alert_type"],
            "severity": badge["severity"],
            "methods": badge["methods"],
            "observed": badge["observed_display"],
            "delivery": ", ".join(f"{d.channel}: {d.status}" for d in deliveries) or "none",
        },
    )


@dg.sensor(
    name="new_spike_alerts",
    minimum_interval_seconds=300,
    default_status=dg.DefaultSensorStatus.RUNNING,
    description="Emits an event (and, when configured, a webhook POST and an e-mail) once for each "
    "new spike alert about the latest data in the published alert badges.",
)
def new_alert_sensor(context: dg.SensorEvaluationContext, settings: SettingsResource):
    """Announce each new recent alert badge exactly once."""
    cfg = settings.get()
    badges = read_recent_badges(cfg.app_db)
    if badges is None:
        return dg.SkipReason(f"no published alert badges in {cfg.app_db} yet")
    tick = evaluate(SensorState.load(context.cursor), badges, lambda batch: deliver(batch, cfg))
    for d in tick.deliveries:
        if d.status == "failed":
            context.log.warning("alert delivery by %s failed: %s", d.channel, d.detail)
    if not tick.new:
        return dg.SensorResult(skip_reason="no new spike alerts", cursor=tick.state.dump())
    for badge in tick.new:
        context.log.info("new spike alert: %s", describe(badge))
    return dg.SensorResult(
        asset_events=[observation(b, tick.deliveries) for b in tick.new],
        cursor=tick.state.dump(),
    )
