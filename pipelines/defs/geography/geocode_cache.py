"""Every geocoder answer ever obtained, kept on disk so that each address is geocoded once, ever.

The cache is one JSON file, ``ODW_RAW_DIR/geocoder/census_answers.json``, beside the raw
Medical Examiner pulls and outside the warehouse: deleting or rebuilding the DuckDB file does not
touch it. It holds one entry per :class:`~pipelines.defs.geography.addresses.Address` (normalised
street, city, state, ZIP) with the answer (``Match`` with its point, ``No_Match`` or ``Tie``), the
benchmark it was obtained with, the service that gave it and when (UTC). It holds addresses only —
public in the archive — never a case number or anything else about a case.

Writes are atomic: the new content goes to a temporary file in the same folder, is flushed to
disk, and replaces the old file with ``os.replace``; a crash mid-write leaves the previous file
whole (and at most a stray temporary file, which is ignored). An unreadable cache is an error,
not an empty cache: silently starting afresh would send every address again.

To geocode an address again (e.g. after the Census Bureau updates its benchmark), remove its entry
or the file; the next run with ``ODW_GEOCODER=census`` asks again.
"""

from __future__ import annotations

import json
import os
from dataclasses import asdict, dataclass
from datetime import datetime
from pathlib import Path

from pipelines.defs.geography.addresses import Address
from pipelines.defs.geography.geocoder import STATUSES, GeocodeAnswer

CACHE_FILE = "census_answers.json"
FORMAT = 1


class GeocodeCacheError(RuntimeError):
    """The cache file exists but cannot be read as a cache."""


@dataclass(frozen=True)
class CachedAnswer:
    """A geocoder answer with where and when it was obtained."""

    answer: GeocodeAnswer
    benchmark: str
    geocoder: str
    geocoded_at: datetime

    def to_json(self) -> dict:
        """The entry as written to the file: address, answer and provenance, flat."""
        answer = asdict(self.answer)
        address = answer.pop("address")
        return {
            **address,
            **answer,
            "benchmark": self.benchmark,
            "geocoder": self.geocoder,
            "geocoded_at": self.geocoded_at.isoformat(),
        }

    @classmethod
    def from_json(cls, entry: dict) -> CachedAnswer:
        """Read an entry written by :meth:`to_json`; raises KeyError/ValueError/TypeError if malformed."""
        if entry["status"] not in STATUSES:
            raise ValueError(f"unknown status {entry['status']!r}")
        address = Address(str(entry["street"]), str(entry["city"]), str(entry["state"]), str(entry["zip"]))
        point = entry.get("latitude"), entry.get("longitude")
        if entry["status"] == "Match" and None in point:
            raise ValueError(f"a match without a point for {address}")
        answer = GeocodeAnswer(
            address,
            entry["status"],
            match_type=entry.get("match_type"),
            matched_address=entry.get("matched_address"),
            latitude=None if point[0] is None else float(point[0]),
            longitude=None if point[1] is None else float(point[1]),
            tigerline_id=entry.get("tigerline_id"),
            side=entry.get("side"),
        )
        when = datetime.fromisoformat(entry["geocoded_at"])
        return cls(answer, str(entry["benchmark"]), str(entry["geocoder"]), when)


class GeocodeCache:
    """The answers file in ``folder`` (created on the first save)."""

    def __init__(self, folder: Path) -> None:
        self.folder = Path(folder)

    @property
    def path(self) -> Path:
        """The cache file."""
        return self.folder / CACHE_FILE

    def load(self) -> dict[Address, CachedAnswer]:
        """Every answer kept, by address; empty when no answer was ever saved.

        Raises :class:`GeocodeCacheError` naming the file when it cannot be read.
        """
        if not self.path.exists():
            return {}
        try:
            document = json.loads(self.path.read_text(encoding="utf-8"))
            if document.get("format") != FORMAT:
                raise ValueError(f"format {document.get('format')!r}, expected {FORMAT}")
            entries = [CachedAnswer.from_json(entry) for entry in document["answers"]]
        except (OSError, ValueError, KeyError, TypeError, AttributeError) as exc:
            raise GeocodeCacheError(
                f"the geocoder cache {self.path} cannot be read ({type(exc).__name__}: {exc}); "
                "fix or remove it (removing it makes the next run send every address again)"
            ) from exc
        return {entry.answer.address: entry for entry in entries}

    def save(self, answers: dict[Address, CachedAnswer]) -> None:
        """Replace the file's content with ``answers``, atomically (sorted, so equal caches are equal files)."""
        self.folder.mkdir(parents=True, exist_ok=True)
        document = {"format": FORMAT, "answers": [answers[key].to_json() for key in sorted(answers)]}
        temporary = self.folder / f".{CACHE_FILE}.{os.getpid()}.tmp"
        try:
            with open(temporary, "w", encoding="utf-8") as handle:
                json.dump(document, handle, ensure_ascii=False, indent=1)
                handle.write("\n")
                handle.flush()
                os.fsync(handle.fileno())
            os.replace(temporary, self.path)
        except BaseException:
            temporary.unlink(missing_ok=True)
            raise
        # The rename itself must reach the disk, or a power cut could bring the old file back.
        directory = os.open(self.folder, os.O_RDONLY)
        try:
            os.fsync(directory)
        finally:
            os.close(directory)
