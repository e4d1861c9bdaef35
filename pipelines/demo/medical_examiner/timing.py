"""When the synthetic deaths happen, and how long their certification lags behind.

* **Deaths.** Cases are spread over the months ``start .. end_month`` by one multinomial draw
  over (month, category) intensities: yearly trends for overdoses and homicides, seasons for
  the others, cold and heat deaths in their months, COVID-19 in its waves. Within a month the
  day is uniform and the hour follows a per-category profile.
* **Reporting delay.** The archive publishes a death a day or so after it, often before its
  certification is complete: nearly every overdose is first ``PENDING`` (toxicology outstanding)
  and closes 2–4 months later, a slow quarter later still (:func:`draw_reporting`). The records
  are in their state at the last pull; :mod:`.history` writes the monthly pulls before it.
* **Incidents.** The incident precedes the death by minutes to days, by years for deaths from
  an old injury (:func:`draw_incident_times`).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import numpy as np

from pipelines.demo.medical_examiner.categories import ACC, COLD, COVID, HEAT, HOM, N_CAT, NAT, OD, SUI, UND
from pipelines.demo.medical_examiner.sampling import choice, yearly
from pipelines.demo.months import default_end_month

_OD_TREND = {2016: 1.00, 2017: 1.12, 2018: 1.15, 2019: 1.20, 2020: 1.60, 2021: 1.75, 2022: 1.72,
             2023: 1.65, 2024: 1.52, 2025: 1.45, 2026: 1.42}
_HOM_TREND = {2016: 1.00, 2017: 0.88, 2018: 0.77, 2019: 0.71, 2020: 1.00, 2021: 1.04, 2022: 0.90,
              2023: 0.78, 2024: 0.70, 2025: 0.55, 2026: 0.52}
_COLD_BY_MONTH = (0.12, 0.10, 0.03, 0.005, 0.0, 0.0, 0.0, 0.0, 0.0, 0.005, 0.03, 0.08)
_HEAT_BY_MONTH = (0.0, 0.0, 0.0, 0.0, 0.003, 0.02, 0.07, 0.04, 0.01, 0.0, 0.0, 0.0)
_COVID_BY_MONTH = {
    2020: (0.0, 0.0, 0.5, 3.0, 2.2, 0.7, 0.3, 0.3, 0.3, 0.5, 1.8, 1.6),
    2021: (1.1, 0.4, 0.3, 0.6, 0.4, 0.1, 0.1, 0.3, 0.35, 0.25, 0.3, 0.7),
    2022: (0.8, 0.2, 0.05, 0.05, 0.05, 0.05, 0.05, 0.05, 0.05, 0.05, 0.05, 0.05),
}
_COVID_TAIL = 0.02

#: Hour-of-death weights (0..23): overdoses afternoon/evening, homicides at night, others daytime.
_HOURS_OD = (3, 2.5, 2, 1.6, 1.3, 1.2, 1.4, 1.8, 2.3, 2.8, 3.2, 3.5, 3.8, 4, 4.1, 4.2, 4.3, 4.4,
             4.4, 4.3, 4.1, 3.9, 3.7, 3.4)
_HOURS_HOM = (6, 6.5, 6, 5, 4, 3, 2, 1.5, 1.5, 1.5, 1.7, 2, 2.3, 2.6, 2.9, 3.2, 3.6, 4, 4.5, 5, 5.5,
              6, 6.2, 6.2)
_HOURS_DAY = (2, 2, 1.8, 1.6, 1.5, 1.6, 2.2, 3, 3.6, 4, 4.2, 4.2, 4.1, 4, 3.9, 3.8, 3.7, 3.6, 3.4,
              3.2, 3, 2.8, 2.5, 2.2)

def month_span(start: date, end_month: date | None) -> tuple[np.datetime64, np.datetime64]:
    """First and last month of the archive (``end_month`` None: the month before the current one)."""
    end = end_month or default_end_month()
    first = np.datetime64(f"{start.year:04d}-{start.month:02d}", "M")
    last = np.datetime64(f"{end.year:04d}-{end.month:02d}", "M")
    if last < first:
        raise ValueError(f"end_month {end.isoformat()} is before start {start.isoformat()}")
    return first, last


def _intensities(months: np.ndarray) -> np.ndarray:
    """(months x categories) relative case intensities."""
    year = months.astype("datetime64[Y]").astype(int) + 1970
    month = months.astype(int) % 12 + 1
    fy = year + (month - 0.5) / 12.0
    season = np.cos(2 * np.pi * (month - 7) / 12.0)  # +1 in July, -1 in January
    out = np.zeros((len(months), N_CAT))
    out[:, OD] = 1.1 * yearly(_OD_TREND, fy) * (1 + 0.05 * season)
    out[:, HOM] = 0.55 * yearly(_HOM_TREND, fy) * (1 + 0.30 * season)
    out[:, SUI] = 0.22 * (1 + 0.05 * season)
    out[:, NAT] = 0.42 * (1 - 0.15 * season)
    out[:, ACC] = 0.28 * (1 - 0.05 * season)
    out[:, COLD] = np.array(_COLD_BY_MONTH)[month - 1]
    out[:, HEAT] = np.array(_HEAT_BY_MONTH)[month - 1]
    covid = np.array([_COVID_BY_MONTH[y][m - 1] if y in _COVID_BY_MONTH
                      else (_COVID_TAIL if y > 2022 else 0.0) for y, m in zip(year, month)])
    out[:, COVID] = covid
    out[:, UND] = 0.05
    return out



@dataclass(frozen=True)
class Deaths:
    """When each case died and of what kind of death, in order of death."""

    death: np.ndarray  # datetime64[m]
    cat: np.ndarray  # category (see categories.py)
    year: np.ndarray
    fy: np.ndarray  # fractional year of the death's month (mid-month)
    months_before_end: np.ndarray  # 0 in end_month, 1 the month before, ...


def draw_deaths(rng: np.random.Generator, total: int, start: date, first: np.datetime64,
                last: np.datetime64) -> Deaths:
    """``total`` deaths from ``start`` through the month ``last`` (``first`` is ``start``'s month)."""
    months = np.arange(first, last + 1, dtype="datetime64[M]")
    weights = _intensities(months).ravel()
    cells = np.repeat(np.arange(weights.size), rng.multinomial(total, weights / weights.sum()))
    month_idx, cat = cells // N_CAT, cells % N_CAT
    mstart = months[month_idx]
    days = ((mstart + 1).astype("datetime64[D]") - mstart.astype("datetime64[D]")).astype(np.int64)
    low = np.where(month_idx == 0, start.day - 1, 0)
    low = np.minimum(low, days - 1)
    day = low + (rng.random(total) * (days - low)).astype(np.int64)
    hour = np.zeros(total, dtype=np.int64)
    for c, profile in ((OD, _HOURS_OD), (HOM, _HOURS_HOM)):
        sel = cat == c
        hour[sel] = choice(rng, profile, int(sel.sum()))
    sel = (cat != OD) & (cat != HOM)
    hour[sel] = choice(rng, _HOURS_DAY, int(sel.sum()))
    minute = np.where(rng.random(total) < 0.35, 0, rng.integers(0, 60, total))
    death = (mstart.astype("datetime64[D]") + day).astype("datetime64[m]") + hour * 60 + minute
    order = np.argsort(death, kind="stable")
    death, cat = death[order], cat[order]
    year = death.astype("datetime64[Y]").astype(np.int64) + 1970
    dmonth = death.astype("datetime64[M]")
    fy = year + (dmonth.astype(np.int64) % 12 + 0.5) / 12.0
    months_before_end = (last - dmonth).astype(np.int64)
    return Deaths(death=death, cat=cat, year=year, fy=fy, months_before_end=months_before_end)


#: Share of cases that go through a ``PENDING`` stage (toxicology ordered), by category: nearly
#: every overdose, few homicides, half of the other deaths.
_THROUGH_PENDING_OD = 0.92
_THROUGH_PENDING_HOM = 0.12
_THROUGH_PENDING_OTHER = 0.45
#: Overdose toxicology delay in days: a lognormal bulk (median 85 d, most closed in 2–4 months)
#: and a slow quarter (median 210 d), clipped to 14–330 days. With the 8 % never pending this puts
#: ~83 % of overdoses in the archive as overdoses 6 months after death, as CDC's VSRR reports.
_TOX_OD = {"bulk_median": 85.0, "slow_median": 210.0, "slow_share": 0.25, "sigma": 0.35,
           "min": 14.0, "max": 330.0}
#: Other deaths wait less (median 45 d, 7–200 days).
_TOX_OTHER = {"median": 45.0, "sigma": 0.6, "min": 7.0, "max": 200.0}
#: Days from death to the case's first appearance in the archive (exponential mean, cap).
_APPEAR_MEAN_DAYS, _APPEAR_MAX_DAYS = 0.8, 5.0


def final_pull_time(last: np.datetime64) -> np.datetime64:
    """When the demo's last pull is taken: 23:00 on the last day of the month ``last``."""
    return (last + 1).astype("datetime64[m]") - 60


@dataclass(frozen=True)
class Reporting:
    """When each case reaches the archive and when its toxicology closes (minutes resolution).

    ``resolved`` is NaT for cases that never go through a pending stage; a case is pending at time
    ``t`` when ``appear <= t < resolved``.
    """

    appear: np.ndarray  # datetime64[m]
    resolved: np.ndarray  # datetime64[m], NaT when never pending
    pending_text: np.ndarray  # bool: the pending version says "PENDING" as its cause (else none)


def draw_reporting(rng: np.random.Generator, seed: int, cat: np.ndarray, death: np.ndarray,
                   final_pull: np.datetime64) -> Reporting:
    """Draw the reporting delays of every case.

    Uses exactly two ``rng.random`` draws of the main stream (as the archive always has, so the
    other parts of each case stay as they were); the delays themselves come from a stream of
    their own (``default_rng((seed, 18))``). A case that would appear after ``final_pull`` (death
    in the last hours) appears at it: the last pull holds every death of the archive.
    """
    total = len(cat)
    through_u = rng.random(total)
    pending_text = rng.random(total) < 0.55
    p_through = np.where(cat == OD, _THROUGH_PENDING_OD,
                         np.where(cat == HOM, _THROUGH_PENDING_HOM, _THROUGH_PENDING_OTHER))
    through = through_u < p_through
    delays = np.random.default_rng((seed, 18))
    appear_days = np.minimum(delays.exponential(_APPEAR_MEAN_DAYS, total), _APPEAR_MAX_DAYS)
    slow = delays.random(total) < _TOX_OD["slow_share"]
    od_median = np.where(slow, _TOX_OD["slow_median"], _TOX_OD["bulk_median"])
    normal = delays.standard_normal(total)
    od_days = np.clip(od_median * np.exp(_TOX_OD["sigma"] * normal), _TOX_OD["min"], _TOX_OD["max"])
    other_days = np.clip(_TOX_OTHER["median"] * np.exp(_TOX_OTHER["sigma"] * normal),
                         _TOX_OTHER["min"], _TOX_OTHER["max"])
    tox_days = np.where(cat == OD, od_days, other_days)
    appear = np.minimum(death + np.rint(appear_days * 1440).astype(np.int64), final_pull)
    resolved = appear + np.rint(tox_days * 1440).astype(np.int64)
    resolved = np.where(through, resolved, np.datetime64("NaT", "m"))
    return Reporting(appear=appear, resolved=resolved, pending_text=pending_text)


def pending_at(reporting: Reporting, when: np.datetime64) -> np.ndarray:
    """Which cases are pending (appeared, toxicology not closed) at ``when``: a boolean array."""
    resolved = reporting.resolved
    return (reporting.appear <= when) & ~np.isnat(resolved) & (resolved > when)


def draw_incident_times(rng: np.random.Generator, cat: np.ndarray, delayed: np.ndarray,
                        death: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The incident time of each death (``delayed``: years before, an old injury) and whether
    the archive records it: ``(incident, has_incident)``."""
    total = len(cat)
    offset = np.rint(rng.exponential(1.0, total) * np.array(
        [90, 45, 60, 60, 120, 300, 120, 2880, 120])[cat]).astype(np.int64)
    offset[rng.random(total) < 0.25] = 0
    nat_same = (cat == NAT) & (rng.random(total) < 0.6)
    offset[nat_same] = 0
    later = ((cat == HOM) & (rng.random(total) < 0.06)) | ((cat == ACC) & (rng.random(total) < 0.3))
    offset[later] += rng.integers(1, 30, total)[later] * 1440
    years_ago = rng.integers(365, 25 * 365, total) * 1440 + rng.integers(0, 1440, total)
    offset[delayed] = years_ago[delayed]
    incident = death - offset
    has_incident = rng.random(total) >= 0.02
    return incident, has_incident
