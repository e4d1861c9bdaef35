"""The synthetic archive as one frame: each part of a case drawn in turn, then shaped as SODA.

The parts are drawn in a fixed order from one generator (``numpy.random.default_rng(seed)``) —
when and what (:mod:`.timing`), where (:mod:`.places`), the street (:mod:`.addresses`), who
(:mod:`.people`), how (:mod:`.causes`), the reporting delay and the incident (:mod:`.timing`) —
and the address-only cases from a stream of their own. Changing the order changes every record.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import numpy as np
import polars as pl

from pipelines.demo.medical_examiner.addresses import add_address_only, draw_incident_streets
from pipelines.demo.medical_examiner.causes import MANNERS, draw_causes, mark_pending
from pipelines.demo.medical_examiner.people import RACES, draw_people
from pipelines.demo.medical_examiner.places import draw_incident_city, draw_places, draw_residence
from pipelines.demo.medical_examiner.sampling import Vocab
from pipelines.demo.medical_examiner.soda_shape import to_soda_frame
from pipelines.demo.medical_examiner.timing import (
    Reporting,
    draw_deaths,
    draw_incident_times,
    draw_reporting,
    final_pull_time,
    month_span,
    pending_at,
)

DEFAULT_N = 25_000
DEFAULT_SEED = 20160101
DEFAULT_START = date(2016, 1, 1)


def _resolve_count(n: int, scale: float) -> int:
    if n < 1:
        raise ValueError(f"n must be positive, got {n}")
    if not scale > 0:
        raise ValueError(f"scale must be positive, got {scale}")
    return max(1, int(round(n * scale)))


def _case_numbers(rng: np.random.Generator, year: np.ndarray) -> np.ndarray:
    """The sequence number of each case within its year (``ME2022-01001``), with small gaps."""
    total = len(year)
    steps = 1 + np.where(rng.random(total) < 0.03, rng.integers(1, 4, total), 0)
    cum = np.cumsum(steps)
    year_first = np.concatenate([[True], year[1:] != year[:-1]])
    base = np.maximum.accumulate(np.where(year_first, cum - steps, 0))
    return cum - base


@dataclass(frozen=True)
class DemoArchive:
    """The archive at its last pull (``frame``, as :func:`generate_me_frame`) and how it got there:
    each row's :class:`~.timing.Reporting` and kind of death (:mod:`.categories`; same row
    order) and the time of the last pull."""

    frame: pl.DataFrame
    reporting: Reporting
    final_pull: np.datetime64
    category: np.ndarray


def generate_me_frame(*, n: int = DEFAULT_N, seed: int = DEFAULT_SEED, start: date = DEFAULT_START,
                      end_month: date | None = None, scale: float = 1.0) -> pl.DataFrame:
    """Generate the synthetic archive as a Polars frame, one row per case, columns :data:`~.soda_shape.FIELDS`.

    All columns are strings except the :data:`~.soda_shape.BOOL_FIELDS` (booleans) and ``location``
    (a struct ``{type, coordinates: [lon, lat]}``); absent values are null.  ``n * scale`` rows are
    produced with deaths from ``start`` through the end of ``end_month`` (default: the month before
    the current month), ordered by case number.  The result depends only on the arguments.
    """
    return generate_me_archive(n=n, seed=seed, start=start, end_month=end_month, scale=scale).frame


def generate_me_archive(*, n: int = DEFAULT_N, seed: int = DEFAULT_SEED, start: date = DEFAULT_START,
                        end_month: date | None = None, scale: float = 1.0) -> DemoArchive:
    """The archive as :func:`generate_me_frame` gives it, with each case's reporting history."""
    total = _resolve_count(n, scale)
    first, last = month_span(start, end_month)
    rng = np.random.default_rng(seed)
    vocab = Vocab()

    deaths = draw_deaths(rng, total, start, first, last)
    cat = deaths.cat
    places = draw_places(rng, cat)
    streets = draw_incident_streets(rng, vocab, places)
    city = draw_incident_city(rng, vocab, places)
    res_city, res_zip = draw_residence(rng, vocab, places, city)
    people = draw_people(rng, cat, deaths.fy, places.place)
    causes = draw_causes(rng, vocab, cat, deaths.fy, people.age, people.infant_rows)
    final_pull = final_pull_time(last)
    reporting = draw_reporting(rng, seed, cat, deaths.death, final_pull)
    mark_pending(vocab, causes, pending_at(reporting, final_pull), reporting.pending_text)
    manner_title = rng.random(total) < 0.02
    incident, has_incident = draw_incident_times(rng, cat, causes.delayed, deaths.death)
    seq = _case_numbers(rng, deaths.year)
    streets, city = add_address_only(seed, vocab, places, streets, city)

    frame = pl.DataFrame({
        "year": deaths.year, "seq": seq, "death": deaths.death.astype("datetime64[ms]"),
        "incident": incident.astype("datetime64[ms]"), "has_incident": has_incident,
        "age": people.age, "has_age": people.has_age, "latino": people.latino,
        "opioid_flag": causes.opioid_flag, "gun": causes.gun, "cat": cat,
        "ilat": places.ilat, "ilon": places.ilon, "has_coord": places.has_coord, "has_area": places.has_area,
        "has_ward": places.has_ward, "place": places.place, "house": streets.house,
        "no_street": streets.no_street, "unknown_street": streets.unknown_street, "is_chi": places.is_chi,
        "ward_pick": rng.random(total), "objectid": np.arange(1, total + 1),
    })
    manner_ids = np.where(manner_title, vocab.ids([m.title() for m in MANNERS])[causes.manner],
                          vocab.ids(MANNERS)[causes.manner])
    gender = np.where(people.has_gender, np.where(people.male, vocab.id("Male"), vocab.id("Female")), -1)
    texts = {
        "primarycause": causes.primary,
        "primarycause_linea": causes.line_a,
        "primarycause_lineb": causes.line_b,
        "primarycause_linec": causes.line_c,
        "secondarycause": causes.secondary,
        "street_name": streets.street_id,
        "street_dir": streets.dir_id,
        "street_prefix": streets.street_prefix,
        "street_suffix": streets.street_suffix,
        "incident_city": city.inc_city,
        "incident_zip": city.inc_zip,
        "residence_city": res_city,
        "residence_zip": res_zip,
        "manner": manner_ids,
        "gender": gender,
        "race": np.where(people.has_race, vocab.ids(RACES)[people.race], -1),
    }
    frame = frame.with_columns(**{name: vocab.column(ids, name) for name, ids in texts.items()})
    return DemoArchive(frame=to_soda_frame(frame), reporting=reporting, final_pull=final_pull, category=cat)
