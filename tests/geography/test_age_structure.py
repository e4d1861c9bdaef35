"""Population by age band: CMAP's ACS age shares applied to the 2020 census totals."""

from __future__ import annotations

import polars as pl
import pytest

from pipelines.defs.epidemiology.demographics import AGE_BANDS
from pipelines.defs.geography.age_structure import AGE_STRUCTURE_CSV, load_age_structure, population_by_age_band
from pipelines.defs.geography.boundaries import load_population


def test_reference_file_carries_its_source_and_the_acs_figures():
    first = AGE_STRUCTURE_CSV.read_text(encoding="utf-8").splitlines()[0]
    assert first.startswith("# Source:") and "CMAP" in first and "2016-2020" in first
    structure = load_age_structure()
    assert structure.height == 77 * 8
    # Rogers Park as CMAP publishes it (UND5 3,383 ... OV85 713; TOT_POP 55,643).
    rogers = structure.filter(pl.col("community_area_number") == 1)
    assert rogers.get_column("age_band").to_list() == list(AGE_BANDS)
    assert rogers.get_column("acs_population").to_list() == [3383, 8494, 16311, 12032, 10207, 3231, 1272, 713]
    assert structure.get_column("acs_population").sum() == pytest.approx(2_698_876, abs=1)


def test_bands_add_up_to_the_2020_census_population_of_every_area():
    population = load_population()
    bands = population_by_age_band(population, load_age_structure())
    per_area = bands.group_by("community_area_number").agg(pl.col("population").sum(), pl.len())
    joined = per_area.join(population, on="community_area_number")
    assert joined.height == 77 and (joined.get_column("len") == 8).all()
    assert (joined.get_column("population") - joined.get_column("population_2020")).abs().max() < 1e-6
    assert bands.get_column("population").sum() == pytest.approx(2_746_388, abs=1e-6)
    # Rogers Park: 2020 census 55,628 × its ACS share of 85+ (713 of 55,643).
    rogers_85 = bands.filter(pl.col("community_area_number") == 1, pl.col("age_band") == "85+")
    assert rogers_85.get_column("population")[0] == pytest.approx(55_628 * 713 / 55_643)


def test_bad_reference_files_are_refused(tmp_path):
    lines = AGE_STRUCTURE_CSV.read_text(encoding="utf-8").splitlines()
    short = tmp_path / "short.csv"
    short.write_text("\n".join(lines[:-1]) + "\n", encoding="utf-8")
    with pytest.raises(ValueError, match="1-77"):
        load_age_structure(short)
    off = tmp_path / "off.csv"
    broken = lines[2].split(",")
    broken[2] = str(int(broken[2]) + 500)  # acs_total no longer the sum of the bands
    off.write_text("\n".join([*lines[:2], ",".join(broken), *lines[3:]]) + "\n", encoding="utf-8")
    with pytest.raises(ValueError, match="do not add up"):
        load_age_structure(off)
    with pytest.raises(ValueError, match="disagree"):
        population_by_age_band(load_population().head(76), load_age_structure())
