"""Inject synthetic overdose spikes and spatial clusters of known size into the demo ME archive.

The hot-spot and spike-alert methods are validated by planting events whose place, time and size
are known and checking that the pipeline finds them (tests/hotspots; docs/methods/spike-alerts.md, "Trying it"):

* a :class:`Spike` adds ``deaths`` overdose deaths in one community area over ``days`` days from
  ``start`` (7 days from a Monday = one ISO week; 1 day = a one-day spike);
* a :class:`Cluster` adds ``deaths`` overdose deaths spread evenly at random over one H3 cell and
  its neighbours up to ``rings`` steps away, on days drawn uniformly in ``[start, end)``.

The injected records have the SODA shape of :func:`pipelines.demo.medical_examiner.generate_me_frame`
(strings, booleans, a ``location`` point), manner ``ACCIDENT`` and a fentanyl cause, so the
pipeline's case definition counts them as opioid overdose deaths; they are placed uniformly inside
the community-area polygon (spikes) or the cells (clusters, kept inside the city). Case numbers read
``ME<year>-INJ<nnnn>``. Everything is drawn from ``numpy.random.default_rng(seed)``: the same
arguments give the same records. :func:`inject` returns the ground truth with the records.

:func:`demo_scenario` is the scenario the documentation and the end-to-end test use, placed
relative to the demo's last month so it falls in final (non-provisional) data. Command line::

    python -m pipelines.demo.injections [--out PATH] [--end-month 2026-10] [--seed 5]

writes the demo archive with the scenario injected where the pipeline reads it (so the next
``make pipeline`` uses it) and the ground truth next to it as ``injections_truth.json``.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path

import h3
import numpy as np
import polars as pl
import shapely

from pipelines.defs.geography.boundaries import load_bundled_boundaries
from pipelines.defs.geography.placement import point_in_area
from pipelines.demo.medical_examiner import (
    FIELDS,
    community_area_names,
    frame_to_records,
    generate_me_frame,
)
from pipelines.demo.months import default_end_month, parse_month

DEFAULT_SEED = 5
#: The spike size the documentation promises ≥ 90 % detection for: 3 + 5·√(usual count per period).
SPIKE_STRENGTH_BASE, SPIKE_STRENGTH_PER_SD = 3.0, 5.0
_CAUSES = (
    "COMBINED FENTANYL AND COCAINE TOXICITY",
    "FENTANYL TOXICITY",
    "COMBINED FENTANYL AND HEROIN TOXICITY",
)


@dataclass(frozen=True)
class Spike:
    """``deaths`` extra overdose deaths in community area ``community_area_number`` over
    ``days`` days starting ``start``."""

    community_area_number: int
    start: date
    deaths: int
    days: int = 7


@dataclass(frozen=True)
class Cluster:
    """``deaths`` extra overdose deaths over the H3 cell ``h3_cell`` and its neighbours up to
    ``rings`` steps away, on days in ``[start, end)``."""

    h3_cell: str
    start: date
    end: date
    deaths: int
    rings: int = 1


def spike_size(usual: float) -> int:
    """Extra events of a spike of the documented strength over a usual count per period ``usual``:
    ``ceil(3 + 5·√usual)`` (a usual week of 6 deaths → 16 extra; of 0.5 → 7)."""
    if usual < 0:
        raise ValueError("the usual count cannot be negative")
    return int(np.ceil(SPIKE_STRENGTH_BASE + SPIKE_STRENGTH_PER_SD * np.sqrt(usual)))


def area_polygons() -> pl.DataFrame:
    """The 77 community areas (``community_area_number``, ``geometry_wkt``) the pipeline places by."""
    boundaries = load_bundled_boundaries()
    return pl.DataFrame(
        {
            "community_area_number": boundaries["community_area_number"].astype("int32").to_numpy(),
            "geometry_wkt": boundaries.geometry.to_wkt().to_list(),
        }
    )


def _uniform_in(rng: np.random.Generator, polygon, k: int) -> tuple[np.ndarray, np.ndarray]:
    """``k`` points uniform inside ``polygon`` (rejection sampling in its bounding box)."""
    minx, miny, maxx, maxy = polygon.bounds
    lons, lats, need = [], [], k
    while need > 0:
        lon = rng.uniform(minx, maxx, 4 * need + 16)
        lat = rng.uniform(miny, maxy, 4 * need + 16)
        inside = shapely.contains_xy(polygon, lon, lat)
        lons.append(lon[inside][:need])
        lats.append(lat[inside][:need])
        need -= int(min(inside.sum(), need))
    return np.concatenate(lats), np.concatenate(lons)


def _spike_points(
    rng: np.random.Generator, spike: Spike, areas: pl.DataFrame
) -> tuple[np.ndarray, np.ndarray]:
    wkt = areas.filter(pl.col("community_area_number") == spike.community_area_number).get_column(
        "geometry_wkt"
    )
    if wkt.len() != 1:
        raise ValueError(f"no community area {spike.community_area_number}")
    return _uniform_in(rng, shapely.from_wkt(wkt[0]), spike.deaths)


def _cluster_points(rng: np.random.Generator, cluster: Cluster, city) -> tuple[np.ndarray, np.ndarray]:
    cells = sorted(h3.grid_disk(cluster.h3_cell, cluster.rings))
    # Only the parts of the cells inside the city: a cluster of Chicago deaths.
    shapes = [
        shapely.Polygon([(lng, lat) for lat, lng in h3.cell_to_boundary(c)]).intersection(city) for c in cells
    ]
    usable = [s for s in shapes if not s.is_empty]
    if not usable:
        raise ValueError(f"cell {cluster.h3_cell} does not overlap Chicago")
    # Even spread over the cells: each death picks a cell, then a point in it.
    per_cell = np.bincount(rng.integers(0, len(usable), cluster.deaths), minlength=len(usable))
    points = [_uniform_in(rng, shape, int(k)) for shape, k in zip(usable, per_cell, strict=True) if k]
    return np.concatenate([p[0] for p in points]), np.concatenate([p[1] for p in points])


def _days(rng: np.random.Generator, start: date, span: int, k: int) -> np.ndarray:
    return np.datetime64(start, "D") + rng.integers(0, span, k)


def inject(
    frame: pl.DataFrame,
    spikes: Sequence[Spike] = (),
    clusters: Sequence[Cluster] = (),
    *,
    seed: int = DEFAULT_SEED,
) -> tuple[pl.DataFrame, pl.DataFrame]:
    """Append the injected overdose deaths to a demo archive frame; return it and the ground truth.

    ``frame`` is a :func:`~pipelines.demo.medical_examiner.generate_me_frame` frame (or any frame with
    the same columns). The truth frame has one row per injection: ``injection``, ``kind``
    (``spike``/``cluster``), ``community_area_number``, ``h3_cell``, ``start``, ``end`` (exclusive),
    ``deaths``, ``days``, ``rings``.
    """
    rng = np.random.default_rng(seed)
    areas = area_polygons()
    city = shapely.union_all(shapely.from_wkt(areas.get_column("geometry_wkt").to_numpy()))
    lats, lons, days, truth = [], [], [], []
    for i, spike in enumerate(spikes):
        if spike.deaths < 1 or spike.days < 1:
            raise ValueError("a spike needs at least one death and one day")
        lat, lon = _spike_points(rng, spike, areas)
        lats.append(lat)
        lons.append(lon)
        days.append(_days(rng, spike.start, spike.days, spike.deaths))
        truth.append(
            {
                "injection": f"spike-{i + 1}",
                "kind": "spike",
                "community_area_number": spike.community_area_number,
                "h3_cell": None,
                "start": spike.start,
                "end": spike.start + timedelta(days=spike.days),
                "deaths": spike.deaths,
                "days": spike.days,
                "rings": None,
            }
        )
    for i, cluster in enumerate(clusters):
        if cluster.deaths < 1 or cluster.end <= cluster.start:
            raise ValueError("a cluster needs at least one death and a non-empty period")
        lat, lon = _cluster_points(rng, cluster, city)
        lats.append(lat)
        lons.append(lon)
        days.append(_days(rng, cluster.start, (cluster.end - cluster.start).days, cluster.deaths))
        centre = h3.cell_to_latlng(cluster.h3_cell)
        area = int(point_in_area(np.array([centre[0]]), np.array([centre[1]]), areas)[0])
        truth.append(
            {
                "injection": f"cluster-{i + 1}",
                "kind": "cluster",
                "community_area_number": area if area > 0 else None,
                "h3_cell": cluster.h3_cell,
                "start": cluster.start,
                "end": cluster.end,
                "deaths": cluster.deaths,
                "days": (cluster.end - cluster.start).days,
                "rings": cluster.rings,
            }
        )
    truth_frame = pl.DataFrame(
        truth,
        schema={
            "injection": pl.String,
            "kind": pl.String,
            "community_area_number": pl.Int32,
            "h3_cell": pl.String,
            "start": pl.Date,
            "end": pl.Date,
            "deaths": pl.Int32,
            "days": pl.Int32,
            "rings": pl.Int32,
        },
    )
    if not truth:
        return frame, truth_frame
    records = _records(
        rng, np.concatenate(lats), np.concatenate(lons), np.concatenate(days), areas, frame.schema
    )
    return pl.concat([frame, records], how="vertical"), truth_frame


def _records(
    rng: np.random.Generator, lat: np.ndarray, lon: np.ndarray, day: np.ndarray, areas: pl.DataFrame, schema
) -> pl.DataFrame:
    """SODA-shaped records for injected deaths at the given places and days."""
    k = len(lat)
    lat, lon = np.round(lat, 6), np.round(lon, 6)
    minutes = rng.integers(0, 24 * 60, k)
    # Polars takes NumPy datetimes in milliseconds or finer, not minutes.
    death = (day.astype("datetime64[m]") + minutes).astype("datetime64[ms]")
    incident = death - rng.integers(5, 90, k).astype("timedelta64[m]")
    area = point_in_area(lat, lon, areas)
    names = community_area_names()
    lat_text = pl.Series(np.char.mod("%.6f", lat))
    lon_text = pl.Series(np.char.mod("%.6f", lon))
    years = death.astype("datetime64[Y]").astype(np.int64) + 1970
    columns = {
        "casenumber": pl.Series([f"ME{y}-INJ{i + 1:04d}" for i, y in enumerate(years.tolist())]),
        "death_date": pl.Series(death).dt.strftime("%Y-%m-%dT%H:%M:%S.000"),
        "incident_date": pl.Series(incident).dt.strftime("%Y-%m-%dT%H:%M:%S.000"),
        "age": pl.Series(rng.integers(22, 68, k).astype(str)),
        "gender": pl.Series(np.where(rng.random(k) < 0.75, "Male", "Female")),
        "race": pl.Series(np.where(rng.random(k) < 0.7, "Black", "White")),
        "latino": pl.Series(rng.random(k) < 0.12),
        "manner": pl.Series(["ACCIDENT"] * k),
        "primarycause": pl.Series(np.array(_CAUSES)[rng.integers(0, len(_CAUSES), k)]),
        "opioids": pl.Series([True] * k),
        "gunrelated": pl.Series([False] * k),
        "cold_related": pl.Series([False] * k),
        "heat_related": pl.Series([False] * k),
        "covid_related": pl.Series([False] * k),
        "incident_city": pl.Series(["CHICAGO"] * k),
        "residence_city": pl.Series(["Chicago"] * k),
        "latitude": lat_text,
        "longitude": lon_text,
        "location": pl.DataFrame(
            {
                "type": ["Point"] * k,
                "coordinates": [[a, b] for a, b in zip(lon.tolist(), lat.tolist(), strict=True)],
            }
        ).to_struct(),
        "chi_commarea": pl.Series([names.get(int(a)) if a > 0 else None for a in area], dtype=pl.String),
    }
    return pl.DataFrame({name: columns.get(name, pl.Series([None] * k)) for name in FIELDS}).cast(
        dict(schema)
    )


def _month_index(month: date, offset: int) -> date:
    index = month.year * 12 + month.month - 1 + offset
    return date(index // 12, index % 12 + 1, 1)


def demo_scenario(end_month: date) -> tuple[list[Spike], list[Cluster]]:
    """The documented validation scenario, placed before the provisional months of ``end_month``.

    * a one-week spike of 8 deaths in West Garfield Park (26) in the second full week of the month
      six months before ``end_month``;
    * a one-day spike of 6 deaths in Austin (25) on the 15th of the month five months before;
    * a cluster of 20 deaths over the H3 cell (resolution 8) at South Lawndale's (30) centre and its
      six neighbours, spread over the three months that end where the provisional months begin
      (the hot-spot analysis' latest window with the default settings).
    """
    spike_month = _month_index(end_month, -6)
    first_monday = spike_month + timedelta(days=(7 - spike_month.weekday()) % 7)
    cluster_end = _month_index(end_month, -2)
    return (
        [
            Spike(26, first_monday + timedelta(days=7), deaths=8, days=7),
            Spike(25, _month_index(end_month, -5) + timedelta(days=14), deaths=6, days=1),
        ],
        [
            Cluster(
                h3.latlng_to_cell(41.8430, -87.7150, 8),
                _month_index(cluster_end, -3),
                cluster_end,
                deaths=20,
                rings=1,
            )
        ],
    )


def write_injected_demo(
    path: Path, *, end_month: date, seed: int = DEFAULT_SEED, **generate_kwargs
) -> pl.DataFrame:
    """Write the demo archive with :func:`demo_scenario` injected to ``path`` (a JSON array, moved
    into place atomically) and the ground truth to ``injections_truth.json`` beside it; return the truth."""
    spikes, clusters = demo_scenario(end_month)
    frame, truth = inject(
        generate_me_frame(end_month=end_month, **generate_kwargs), spikes, clusters, seed=seed
    )
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    try:
        with open(tmp, "w", encoding="utf-8") as handle:
            json.dump(frame_to_records(frame), handle, separators=(",", ":"))
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    rows = [
        {k: (v.isoformat() if isinstance(v, date) else v) for k, v in row.items()} for row in truth.to_dicts()
    ]
    (path.parent / "injections_truth.json").write_text(json.dumps(rows, indent=2), encoding="utf-8")
    return truth


def main(argv: Sequence[str] | None = None) -> int:
    """Command line: write the demo archive with the validation scenario injected."""
    parser = argparse.ArgumentParser(
        prog="python -m pipelines.demo.injections",
        description="Write the synthetic ME demo archive with known spikes and a cluster injected.",
    )
    parser.add_argument(
        "--out", type=Path, default=None, help="output JSON (default: the pipeline's demo input)"
    )
    parser.add_argument("--end-month", type=parse_month, default=None,
                        help="last month, YYYY-MM (default: ODW_DEMO_END_MONTH)")
    parser.add_argument("--seed", type=int, default=DEFAULT_SEED)
    args = parser.parse_args(argv)
    from pipelines.settings import load_settings

    settings = load_settings()
    out = args.out or settings.demo_dir / "medical_examiner" / f"{settings.me_dataset_id}.json"
    end_month = args.end_month or settings.demo_end_month or default_end_month()
    truth = write_injected_demo(out, end_month=end_month, seed=args.seed)
    print(f"wrote {out} with {truth.height} injections:", file=sys.stderr)
    for row in truth.iter_rows(named=True):
        print(json.dumps({k: str(v) for k, v in row.items()}), file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
