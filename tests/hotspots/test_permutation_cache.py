"""The permutation cache: the same input is read back (identical numbers), a changed input is
computed again, and a run keeps only the entries it used."""

from __future__ import annotations

import libpysal
import numpy as np
import polars as pl
from polars.testing import assert_frame_equal

from pipelines.defs.hotspots import spatial
from pipelines.defs.hotspots.permutation_cache import PermutationCache, cache_folder, input_key

LATTICE = libpysal.weights.lat2W(4, 4, rook=True)
#: Three windows × 16 places.
WINDOWS = np.vstack([np.arange(16.0), np.arange(16.0)[::-1], np.tile([0.0, 5.0], 8)])
OPTIONS = {"permutations": 99, "seed": 7, "fdr": 0.1}


def _run(cache: PermutationCache | None, windows: np.ndarray = WINDOWS) -> pl.DataFrame:
    return spatial.local_statistics(windows, LATTICE, **OPTIONS, cache=cache)


def test_same_input_is_read_back_with_identical_results(tmp_path):
    uncached = _run(None)
    first = PermutationCache(tmp_path)
    assert_frame_equal(_run(first), uncached)
    assert (first.hits, first.misses) == (0, 6)  # 3 windows × (Gi*, Local Moran)
    second = PermutationCache(tmp_path)
    assert_frame_equal(_run(second), uncached)
    assert (second.hits, second.misses) == (6, 0)


def test_a_changed_window_alone_is_computed_again(tmp_path):
    _run(PermutationCache(tmp_path))
    changed = WINDOWS.copy()
    changed[2, 3] += 1  # one death more in the last window
    cache = PermutationCache(tmp_path)
    result = _run(cache, changed)
    assert (cache.hits, cache.misses) == (4, 2)
    assert_frame_equal(result, _run(None, changed))


def test_the_key_covers_every_input():
    row = WINDOWS[0]
    base = input_key(row, LATTICE, measure="gi_star", **OPTIONS)
    assert base == input_key(row.copy(), LATTICE, measure="gi_star", **OPTIONS)
    assert base != input_key(row, LATTICE, measure="local_moran", **OPTIONS)
    assert base != input_key(row, LATTICE, measure="gi_star", **{**OPTIONS, "seed": 8})
    assert base != input_key(row, LATTICE, measure="gi_star", **{**OPTIONS, "permutations": 199})
    assert base != input_key(row, LATTICE, measure="gi_star", **{**OPTIONS, "fdr": 0.05})
    queen = libpysal.weights.lat2W(4, 4, rook=False)
    assert base != input_key(row, queen, measure="gi_star", **OPTIONS)


def test_prune_keeps_only_what_the_run_used_and_a_damaged_entry_is_recomputed(tmp_path):
    _run(PermutationCache(tmp_path))
    cache = PermutationCache(tmp_path)
    spatial.local_statistics(WINDOWS[:1], LATTICE, **OPTIONS, cache=cache)
    assert cache.prune() == 4
    assert sorted(p.stem for p in tmp_path.iterdir()) == sorted(cache.used)
    damaged = cache.path(sorted(cache.used)[0])
    damaged.write_bytes(b"not parquet")
    again = PermutationCache(tmp_path)
    assert_frame_equal(spatial.local_statistics(WINDOWS[:1], LATTICE, **OPTIONS, cache=again),
                       _run(None, WINDOWS[:1]))
    assert (again.hits, again.misses) == (1, 1)


def test_cache_folder_is_beside_the_warehouse(tmp_path):
    assert cache_folder(tmp_path / "warehouse.duckdb") == tmp_path / "warehouse.cache" / "hotspot_statistics"


def test_refresh_computes_everything_again_and_stores_it(tmp_path):
    _run(PermutationCache(tmp_path))
    refreshed = PermutationCache(tmp_path, refresh=True)
    assert_frame_equal(_run(refreshed), _run(None))
    assert (refreshed.hits, refreshed.misses) == (0, 6)
    after = PermutationCache(tmp_path)
    _run(after)
    assert (after.hits, after.misses) == (6, 0)
