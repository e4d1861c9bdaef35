"""A cache of the permutation statistics (Gi\\*, Local Moran) per window, keyed by a hash of their input.

The permutations are the hot spots' main cost, and with a fixed seed their result is a function of
the input alone: the window's values, the spatial weights, the number of permutations, the seed,
the FDR level and the library that draws them. So one window's result is stored under the SHA-256
of exactly those, and an unchanged window costs a file read. A new day's deaths change only the
windows they fall in; the other windows come from the cache.

Files: one Parquet file per entry in ``<warehouse folder>/<warehouse name>.cache/hotspot_statistics/``
(beside the warehouse, never in git). :meth:`PermutationCache.prune` removes the entries a run did
not use, so the folder holds one run's worth. Deleting the folder is always safe: it only costs
one recomputation.
"""

from __future__ import annotations

import functools
import hashlib
import os
from collections.abc import Callable
from importlib import metadata
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
import polars as pl

if TYPE_CHECKING:
    import libpysal

#: Raised whenever the statistics' code changes what it computes, so older entries are not reused.
CACHE_FORMAT = 1
FOLDER = "hotspot_statistics"


def cache_folder(warehouse: Path) -> Path:
    """Where the cache of ``warehouse`` lives: ``<folder>/<name>.cache/hotspot_statistics``."""
    return warehouse.parent / f"{warehouse.stem}.cache" / FOLDER


@functools.cache  # the installed versions cannot change within a process
def _versions() -> str:
    parts = []
    for name in ("esda", "libpysal", "numpy"):
        try:
            parts.append(f"{name}={metadata.version(name)}")
        except metadata.PackageNotFoundError:
            parts.append(f"{name}=?")
    return ";".join(parts)


def input_key(values: np.ndarray, w: libpysal.weights.W, *, measure: str, **options: object) -> str:
    """SHA-256 (hex) of everything a window's statistics depend on.

    ``values``: the window's values in ``w.id_order``; ``measure``: which statistics ("gi_star",
    "local_moran"); ``options``: permutations, seed, fdr.
    """
    digest = hashlib.sha256()
    digest.update(f"format={CACHE_FORMAT};{_versions()};measure={measure};".encode())
    for name in sorted(options):
        digest.update(f"{name}={options[name]!r};".encode())
    array = np.ascontiguousarray(values, dtype=np.float64)
    digest.update(f"shape={array.shape};".encode())
    digest.update(array.tobytes())
    sparse = w.sparse.tocsr()
    digest.update(repr([str(i) for i in w.id_order]).encode())
    for part in (sparse.indptr, sparse.indices, sparse.data):
        digest.update(np.ascontiguousarray(part).tobytes())
    return digest.hexdigest()


class PermutationCache:
    """Window statistics on disk by input hash; counts its hits and misses for the run's metadata.

    ``refresh=True`` (``ODW_REBUILD_UNCHANGED``) computes and stores every entry, reading none.
    """

    def __init__(self, folder: Path, *, refresh: bool = False) -> None:
        self.folder = folder
        #: Compute every entry again (and store it), reading nothing back.
        self.refresh = refresh
        self.hits = 0
        self.misses = 0
        self.used: set[str] = set()

    def path(self, key: str) -> Path:
        """The file of one entry."""
        return self.folder / f"{key}.parquet"

    def get_or_compute(self, key: str, compute: Callable[[], pl.DataFrame]) -> pl.DataFrame:
        """The cached frame of ``key``, or ``compute()``'s, stored for next time."""
        self.used.add(key)
        path = self.path(key)
        if path.exists() and not self.refresh:
            try:
                frame = pl.read_parquet(path)
            except (OSError, pl.exceptions.ComputeError):
                frame = None  # a damaged entry is computed again and rewritten
            if frame is not None:
                self.hits += 1
                return frame
        self.misses += 1
        frame = compute()
        self.folder.mkdir(parents=True, exist_ok=True)
        # Written aside and renamed, so a killed run never leaves half an entry under its key.
        partial = path.with_suffix(f".{os.getpid()}.tmp")
        frame.write_parquet(partial)
        partial.replace(path)
        return frame

    def prune(self) -> int:
        """Remove the entries this run did not use; return how many were removed."""
        if not self.folder.is_dir():
            return 0
        removed = 0
        for path in self.folder.iterdir():
            if path.suffix == ".parquet" and path.stem in self.used:
                continue
            path.unlink(missing_ok=True)
            removed += 1
        return removed
