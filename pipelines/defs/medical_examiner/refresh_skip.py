"""When a daily pull brings nothing new, the steps after it are skipped.

A skip must never leave a stale number behind, so it needs two facts, both checked here:

* the pull brought no record (every merged pull had zero rows in), and
* every asset of the run downstream of ``raw/me_records`` was last materialised *after* the last
  merge that did bring records — so a run that failed half-way after a merge is finished by the
  next run, even one whose pull is empty — and none of them left work for the next run (metadata
  ``unanswered`` > 0: addresses the geocoder could not answer are asked again).

``ODW_REBUILD_UNCHANGED=true`` turns the skip off (a rebuild after a code change, say).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime

import dagster as dg


@dataclass(frozen=True)
class SkipDecision:
    """Whether to skip the steps after the pull, and why (one line for the log and metadata)."""

    skip: bool
    reason: str


def pulled_nothing(rows_in: Iterable[int]) -> bool:
    """True when every merged pull brought zero rows (no pull merged counts as nothing too)."""
    return all(n == 0 for n in rows_in)


def decide_skip(
    rows_in: Iterable[int],
    last_change: datetime | None,
    downstream_built: Mapping[str, float | None],
    *,
    rebuild_unchanged: bool,
    unfinished: Sequence[str] = (),
) -> SkipDecision:
    """The skip decision for one run.

    ``last_change``: UTC time (naive or aware) of the last merge that brought records, None if
    none ever did; ``downstream_built``: asset → POSIX time of its latest materialisation (None
    when never materialised); ``unfinished``: assets whose last build left work for the next run.
    """
    if rebuild_unchanged:
        return SkipDecision(False, "ODW_REBUILD_UNCHANGED is set: rebuilding")
    if not pulled_nothing(rows_in):
        return SkipDecision(False, "new records: rebuilding")
    if not downstream_built:
        return SkipDecision(False, "no new records, but nothing downstream to skip")
    never = sorted(key for key, built in downstream_built.items() if built is None)
    if never:
        return SkipDecision(False, f"no new records, but {never[0]} was never built: rebuilding")
    if last_change is not None:
        changed = (last_change if last_change.tzinfo else last_change.replace(tzinfo=UTC)).timestamp()
        stale = sorted(key for key, built in downstream_built.items() if built is not None and built <= changed)
        if stale:
            return SkipDecision(False, f"no new records, but {stale[0]} predates the last change: rebuilding")
    if unfinished:
        return SkipDecision(False, f"no new records, but {sorted(unfinished)[0]} left work for this run: rebuilding")
    return SkipDecision(True, "no new records")


#: Metadata an asset reports when its build left work for the next run (e.g. the geocoder's).
UNFINISHED_KEY = "unanswered"


def downstream_materialisations(context: dg.AssetExecutionContext) -> tuple[dict[str, float | None], list[str]]:
    """Every asset of this run downstream of the running asset → POSIX time of its last
    materialisation; and those whose last materialisation left work for the next run."""
    layer = context.job_def.asset_layer
    below = dg.AssetSelection.assets(context.asset_key).downstream(include_self=False).resolve(layer.asset_graph)
    keys = sorted(below & set(layer.selected_asset_keys))
    events = context.instance.get_latest_materialization_events(keys)
    built = {key.to_user_string(): (event.timestamp if event else None) for key, event in events.items()}
    unfinished = []
    for key, event in events.items():
        materialization = event.asset_materialization if event else None
        left = materialization.metadata.get(UNFINISHED_KEY) if materialization else None
        if left is not None and (left.value or 0) > 0:
            unfinished.append(key.to_user_string())
    return built, unfinished
