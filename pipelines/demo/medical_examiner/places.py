"""Where the synthetic deaths happen and where the decedents lived: community areas and suburbs.

A Chicago case is placed in one of the 77 community areas, drawn with weight population x rate
multiplier (overdoses heaviest on the West Side, a secondary South Side burden), at a point
uniform inside the area's polygon (libpysal ``Chicago77``, EPSG:3435 re-projected to EPSG:4326,
rejection sampling at 1e-6 degree resolution). A suburban case is placed in one of 28 Cook County
municipalities weighted by population x local multiplier, jittered around the town centroid and
kept outside the city limits. ``place`` numbers both: 0..76 are community areas 1..77, 77 and
above the towns of :data:`TOWNS`.
"""

from __future__ import annotations

import importlib.util
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import numpy as np
import polars as pl

from pipelines.demo.medical_examiner.categories import HOM, N_CAT, OD
from pipelines.demo.medical_examiner.sampling import (
    UNSAFE_JSON,
    Vocab,
    case_variants,
    choice,
    flat_table,
    pick_in_group,
)

#: Number of community areas; ``place`` values from here on are towns.
N_AREAS = 77

#: Share of each category's cases that happen inside Chicago.
_P_CHICAGO = np.array([0.62, 0.80, 0.50, 0.50, 0.50, 0.65, 0.60, 0.55, 0.58])

#: 2020 census population of community areas 1..77.
CA_POPULATION = (
    55628, 77122, 57182, 40494, 35114, 103050, 70492, 105481, 11525, 38303, 26216, 19596, 17559,
    48396, 63020, 51940, 43147, 14401, 78116, 24062, 36257, 71665, 54165, 87781, 96557, 17433,
    19992, 67881, 34794, 71399, 33751, 42298, 28795, 13890, 20291, 6799, 2567, 24589, 19116,
    12707, 29456, 24425, 53971, 31710, 9458, 27300, 2527, 13088, 38816, 6820, 14105, 21724,
    26104, 7262, 10027, 35439, 14196, 45053, 15923, 33702, 43628, 18394, 39540, 24473, 33662,
    55931, 29647, 24369, 31471, 41098, 44878, 20027, 25065, 18628, 21186, 13418, 56296,
)

#: Overdose rate multipliers (default 0.6): West Side highest, secondary South Side burden.
_CA_OD_MULT = {
    25: 6.0, 26: 12.0, 27: 10.0, 23: 5.0, 29: 9.0, 28: 2.5, 24: 1.3, 30: 1.2, 31: 1.6,
    68: 4.0, 67: 3.5, 40: 3.5, 37: 4.0, 69: 3.0, 71: 2.5, 49: 3.0, 53: 2.5, 43: 2.5, 44: 2.0,
    54: 3.0, 46: 2.0, 42: 2.0, 61: 1.8, 38: 2.0, 36: 1.5, 50: 1.8, 47: 1.5, 73: 1.5, 3: 1.8,
    1: 1.3, 8: 1.0, 32: 1.0, 22: 1.0, 19: 0.9, 20: 0.9, 58: 0.8, 66: 1.2, 63: 0.8, 65: 0.7,
    33: 0.9, 35: 1.2, 77: 1.1, 14: 0.8,
}
_CA_OD_DEFAULT = 0.6

#: Homicide rate multipliers (default 0.4).
_CA_HOM_MULT = {
    25: 4.0, 26: 8.0, 27: 7.0, 23: 4.0, 29: 7.0, 28: 1.5, 24: 0.8, 30: 1.5, 31: 1.2, 68: 8.0,
    67: 7.0, 40: 6.0, 37: 7.0, 69: 5.0, 71: 5.0, 49: 5.0, 53: 5.0, 43: 4.0, 44: 4.0, 54: 6.0,
    46: 4.0, 42: 4.0, 61: 3.5, 38: 3.0, 36: 2.5, 50: 3.5, 47: 3.0, 73: 3.0, 66: 3.0, 63: 2.0,
    58: 1.5, 65: 1.5, 20: 1.5, 19: 1.2, 22: 0.8, 8: 0.5, 3: 0.7, 1: 0.8, 35: 1.5, 48: 2.5,
    45: 2.5, 51: 2.0, 75: 2.0, 52: 1.0, 70: 1.0, 56: 0.5,
}
_CA_HOM_DEFAULT = 0.4

#: Residence/incident ZIP codes per community area.
CA_ZIPS = {
    1: ("60626", "60645"), 2: ("60645", "60659"), 3: ("60640", "60613"), 4: ("60625", "60640"),
    5: ("60618", "60613"), 6: ("60657", "60613"), 7: ("60614",), 8: ("60610", "60611", "60654"),
    9: ("60631",), 10: ("60631", "60656"), 11: ("60630",), 12: ("60646", "60630"),
    13: ("60625", "60659"), 14: ("60625",), 15: ("60641", "60634"), 16: ("60618", "60641"),
    17: ("60634",), 18: ("60634", "60707"), 19: ("60639", "60641"), 20: ("60639", "60647"),
    21: ("60618",), 22: ("60647",), 23: ("60651", "60647", "60622"),
    24: ("60622", "60642", "60612"), 25: ("60644", "60651", "60639"), 26: ("60624",),
    27: ("60612", "60624"), 28: ("60607", "60612", "60608"), 29: ("60623", "60624"),
    30: ("60623",), 31: ("60608",), 32: ("60601", "60602", "60603", "60604", "60605", "60606"),
    33: ("60605", "60616"), 34: ("60616",), 35: ("60616",), 36: ("60653",), 37: ("60609",),
    38: ("60653", "60615"), 39: ("60615", "60653"), 40: ("60637", "60621"),
    41: ("60615", "60637"), 42: ("60637",), 43: ("60649",), 44: ("60619",),
    45: ("60619", "60617"), 46: ("60617",), 47: ("60619",), 48: ("60617",), 49: ("60628",),
    50: ("60628",), 51: ("60617", "60633"), 52: ("60617",), 53: ("60628", "60643"),
    54: ("60627",), 55: ("60633",), 56: ("60638",), 57: ("60632",), 58: ("60632",),
    59: ("60609",), 60: ("60608", "60609"), 61: ("60609",), 62: ("60629",),
    63: ("60629", "60632"), 64: ("60638",), 65: ("60652", "60629"), 66: ("60629",),
    67: ("60636",), 68: ("60621",), 69: ("60619", "60637"), 70: ("60652",), 71: ("60620",),
    72: ("60643",), 73: ("60620", "60643"), 74: ("60655",), 75: ("60643",),
    76: ("60666", "60656"), 77: ("60660", "60640"),
}

#: City wards overlapping each community area (approximate, for the ``chi_ward`` field).
_CA_WARDS = {
    1: (49,), 2: (50, 40), 3: (46, 48), 4: (47, 40), 5: (47, 32), 6: (44, 43, 46), 7: (43, 2, 32),
    8: (42, 2, 27), 9: (41,), 10: (41, 45), 11: (45,), 12: (45, 39), 13: (39, 40), 14: (33, 39),
    15: (38, 45), 16: (35, 33, 30), 17: (38, 36), 18: (36, 29), 19: (30, 31, 36), 20: (31, 30),
    21: (35, 33), 22: (35, 26, 1), 23: (26, 27, 37), 24: (1, 26, 27), 25: (29, 37, 28),
    26: (28, 24, 37), 27: (28, 27, 24), 28: (27, 28, 25, 11), 29: (24, 22), 30: (22, 12, 24),
    31: (25, 12), 32: (42, 4, 2), 33: (3, 4, 25), 34: (11, 25), 35: (3, 4), 36: (4,),
    37: (3, 20), 38: (3, 4, 20), 39: (4, 5), 40: (20, 3), 41: (5, 4), 42: (20, 5), 43: (5, 7, 8),
    44: (6, 8, 21), 45: (8,), 46: (10, 7), 47: (9,), 48: (7, 8), 49: (9, 34), 50: (9,), 51: (10,),
    52: (10,), 53: (34, 21, 9), 54: (9,), 55: (10,), 56: (23, 13), 57: (14, 23), 58: (12, 14),
    59: (11, 12), 60: (11,), 61: (20, 15, 16), 62: (13, 14), 63: (14, 16, 15), 64: (23, 13),
    65: (13, 18), 66: (15, 16, 18), 67: (16, 15, 17), 68: (20, 16, 6), 69: (6, 20, 5),
    70: (18, 13), 71: (17, 21, 6), 72: (19,), 73: (21, 34), 74: (19,), 75: (19, 34), 76: (41,),
    77: (48, 40),
}

#: Cook County Board district covering most of each community area.
CA_DISTRICT = (
    13, 13, 10, 10, 12, 10, 10, 10, 9, 9, 9, 9, 12, 12, 9, 12, 9, 9, 8, 8, 12, 8, 8, 8, 1, 1, 2, 2,
    2, 7, 7, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 4, 4, 4, 4, 4, 4, 5, 5, 4, 4, 5, 5, 4, 11, 11, 7,
    11, 11, 11, 11, 7, 11, 11, 11, 3, 3, 4, 11, 4, 11, 5, 11, 5, 9, 13,
)

#: Demographic profile per community area: B black-majority, L latino-majority, M mixed, W white.
CA_PROFILE = (
    "M", "M", "M", "W", "W", "W", "W", "M", "W", "W", "W", "W", "W", "M", "W", "M", "W", "L", "L",
    "L", "M", "M", "M", "M", "B", "B", "B", "M", "B", "L", "L", "M", "M", "M", "B", "B", "B", "B",
    "M", "B", "M", "B", "B", "B", "B", "M", "B", "B", "B", "B", "M", "L", "B", "B", "L", "L", "L",
    "L", "L", "M", "L", "L", "L", "L", "L", "M", "B", "B", "B", "M", "B", "M", "B", "W", "M", "W",
    "M",
)


@dataclass(frozen=True)
class Town:
    name: str
    lat: float
    lon: float
    zips: tuple[str, ...]
    pop_k: float
    od_mult: float
    hom_mult: float
    district: int
    profile: str


TOWNS: tuple[Town, ...] = (
    Town("Cicero", 41.8456, -87.7539, ("60804",), 85, 1.6, 1.5, 16, "L"),
    Town("Oak Park", 41.8850, -87.7845, ("60302", "60304", "60301"), 52, 0.9, 0.4, 1, "M"),
    Town("Berwyn", 41.8506, -87.7937, ("60402",), 57, 1.1, 0.7, 16, "L"),
    Town("Maywood", 41.8792, -87.8431, ("60153",), 23, 3.0, 4.0, 1, "B"),
    Town("Forest Park", 41.8795, -87.8134, ("60130",), 14, 2.0, 1.0, 1, "M"),
    Town("Broadview", 41.8639, -87.8534, ("60155",), 8, 2.2, 2.0, 1, "B"),
    Town("Bellwood", 41.8814, -87.8831, ("60104",), 19, 2.5, 2.5, 1, "B"),
    Town("Melrose Park", 41.9006, -87.8567, ("60160",), 25, 1.3, 1.0, 16, "L"),
    Town("Franklin Park", 41.9353, -87.8656, ("60131",), 18, 1.0, 0.6, 16, "L"),
    Town("Summit", 41.7881, -87.8101, ("60501",), 11, 1.3, 1.2, 16, "L"),
    Town("Evanston", 42.0451, -87.6877, ("60201", "60202"), 78, 0.6, 0.5, 13, "M"),
    Town("Skokie", 42.0324, -87.7416, ("60076", "60077"), 67, 0.5, 0.2, 13, "W"),
    Town("Des Plaines", 42.0334, -87.8834, ("60016", "60018"), 60, 0.7, 0.2, 9, "W"),
    Town("Schaumburg", 42.0334, -88.0834, ("60193", "60194", "60173"), 78, 0.5, 0.2, 15, "W"),
    Town("Palatine", 42.1103, -88.0342, ("60067", "60074"), 67, 0.5, 0.2, 14, "W"),
    Town("Arlington Heights", 42.0884, -87.9806, ("60004", "60005"), 77, 0.45, 0.1, 14, "W"),
    Town("Elk Grove Village", 42.0039, -87.9703, ("60007",), 32, 0.5, 0.1, 15, "W"),
    Town("Orland Park", 41.6303, -87.8539, ("60462", "60467"), 58, 0.5, 0.2, 17, "W"),
    Town("Tinley Park", 41.5731, -87.7845, ("60477", "60487"), 55, 0.55, 0.2, 17, "W"),
    Town("Oak Lawn", 41.7190, -87.7479, ("60453",), 58, 0.7, 0.4, 6, "W"),
    Town("Bridgeview", 41.7500, -87.8042, ("60455",), 17, 0.9, 0.6, 11, "L"),
    Town("Blue Island", 41.6570, -87.6800, ("60406",), 23, 1.5, 1.5, 5, "M"),
    Town("Harvey", 41.6100, -87.6467, ("60426",), 20, 3.0, 4.0, 5, "B"),
    Town("Dolton", 41.6389, -87.6070, ("60419",), 21, 1.6, 2.0, 5, "B"),
    Town("Markham", 41.5934, -87.6945, ("60428",), 12, 1.6, 2.5, 5, "B"),
    Town("Calumet City", 41.6156, -87.5295, ("60409",), 36, 1.8, 1.8, 4, "B"),
    Town("Chicago Heights", 41.5061, -87.6356, ("60411",), 27, 1.8, 2.5, 6, "M"),
    Town("Park Forest", 41.4914, -87.6745, ("60466",), 21, 1.2, 1.2, 6, "B"),
)

#: Residences outside the places above (city, ZIP).
_OUTSIDE_RESIDENCES: tuple[tuple[str, str], ...] = (
    ("Gary", "46404"), ("Hammond", "46320"), ("Milwaukee", "53204"), ("Aurora", "60505"),
    ("Joliet", "60432"), ("Elgin", "60120"), ("Naperville", "60540"), ("Waukegan", "60085"),
)


@dataclass(frozen=True)
class Areas:
    """The community-area polygons (prepared), their names, bounding boxes and fill ratios, and
    the city outline."""

    geoms: tuple
    names: tuple[str, ...]
    bounds: np.ndarray
    fill: np.ndarray
    city: object


def chicago77_path() -> Path:
    """Path of libpysal's bundled ``Chicago77.shp`` (found without importing slow ``libpysal``)."""
    spec = importlib.util.find_spec("libpysal")
    for root in (spec.submodule_search_locations or []) if spec else []:
        candidate = Path(root) / "examples" / "chicago" / "Chicago77.shp"
        if candidate.is_file():
            return candidate
    import libpysal

    return Path(libpysal.examples.get_path("Chicago77.shp"))


@lru_cache(maxsize=1)
def community_areas() -> Areas:
    """The 77 community areas (index 0 = area 1) in EPSG:4326 and the city outline, prepared."""
    import geopandas as gpd
    import shapely

    frame = gpd.read_file(chicago77_path())
    frame = frame.set_crs(3435, allow_override=True).to_crs(4326)
    frame["area_number"] = frame["AREA_NUMBE"].astype(int)
    frame = frame.sort_values("area_number").reset_index(drop=True)
    if frame["area_number"].tolist() != list(range(1, 78)):
        raise RuntimeError("Chicago77.shp does not hold community areas 1..77")
    geoms = tuple(frame.geometry)
    for geom in geoms:
        shapely.prepare(geom)
    bounds = np.array([g.bounds for g in geoms])
    box_area = (bounds[:, 2] - bounds[:, 0]) * (bounds[:, 3] - bounds[:, 1])
    fill = np.array([g.area for g in geoms]) / box_area
    city = shapely.union_all(np.array(geoms, dtype=object))
    shapely.prepare(city)
    names = tuple(str(s).strip().upper() for s in frame["COMMUNITY"])
    if any(UNSAFE_JSON.search(name) for name in names):
        raise RuntimeError("unexpected characters in Chicago77 community-area names")
    return Areas(geoms=geoms, names=names, bounds=bounds, fill=fill, city=city)


def community_area_names() -> dict[int, str]:
    """Area number -> upper-case name as the archive spells it (e.g. 76 -> ``"OHARE"``)."""
    return {i + 1: name for i, name in enumerate(community_areas().names)}


def _sample_in_polygon(rng: np.random.Generator, areas: Areas, index: int, k: int
                       ) -> tuple[np.ndarray, np.ndarray]:
    """``k`` points uniform inside area ``index`` as integer micro-degrees (lon, lat)."""
    import shapely

    minx, miny, maxx, maxy = areas.bounds[index]
    geom = areas.geoms[index]
    lons: list[np.ndarray] = []
    lats: list[np.ndarray] = []
    need = k
    while need > 0:
        m = int(need / max(areas.fill[index], 0.05) * 1.3) + 16
        ilon = np.rint(rng.uniform(minx, maxx, m) * 1e6).astype(np.int64)
        ilat = np.rint(rng.uniform(miny, maxy, m) * 1e6).astype(np.int64)
        ok = shapely.contains_xy(geom, ilon / 1e6, ilat / 1e6)
        ilon, ilat = ilon[ok][:need], ilat[ok][:need]
        lons.append(ilon)
        lats.append(ilat)
        need -= len(ilon)
    return np.concatenate(lons), np.concatenate(lats)


def ward_table() -> tuple[pl.Series, pl.Series, pl.Series]:
    """The wards of each community area flattened: (offsets, counts, ``"20.0"``-style values)."""
    offsets, counts, values = flat_table([tuple(map(str, _CA_WARDS[a])) for a in range(1, 78)])
    return (pl.Series(offsets.tolist(), dtype=pl.Int64), pl.Series(counts.tolist(), dtype=pl.Int64),
            pl.Series([f"{v}.0" for v in values], dtype=pl.String))


@dataclass(frozen=True)
class Places:
    """Where each case happened (see the module docstring for ``place``)."""

    is_chi: np.ndarray
    place: np.ndarray
    ilon: np.ndarray  # integer micro-degrees
    ilat: np.ndarray
    has_coord: np.ndarray  # the archive gives coordinates
    has_area: np.ndarray  # ... and a community-area name
    has_ward: np.ndarray  # ... and a ward


def draw_places(rng: np.random.Generator, cat: np.ndarray) -> Places:
    """The place and point of each case of category ``cat``, and which location fields it keeps."""
    import shapely

    total = len(cat)
    areas = community_areas()
    n_ca = N_AREAS
    pop = np.array(CA_POPULATION, dtype=float)
    od_mult = np.array([_CA_OD_MULT.get(a, _CA_OD_DEFAULT) for a in range(1, 78)])
    hom_mult = np.array([_CA_HOM_MULT.get(a, _CA_HOM_DEFAULT) for a in range(1, 78)])
    town_pop = _town_population()
    ca_w = {OD: pop * od_mult, HOM: pop * hom_mult}
    town_w = {OD: town_pop * np.array([t.od_mult for t in TOWNS]),
              HOM: town_pop * np.array([t.hom_mult for t in TOWNS])}
    other_ca_w = pop * (1 + 0.25 * hom_mult)
    is_chi = rng.random(total) < _P_CHICAGO[cat]
    place = np.zeros(total, dtype=np.int64)
    for c in range(N_CAT):
        chi_rows = np.flatnonzero(is_chi & (cat == c))
        sub_rows = np.flatnonzero(~is_chi & (cat == c))
        place[chi_rows] = choice(rng, ca_w.get(c, other_ca_w), len(chi_rows))
        place[sub_rows] = n_ca + choice(rng, town_w.get(c, town_pop), len(sub_rows))

    ilon = np.zeros(total, dtype=np.int64)
    ilat = np.zeros(total, dtype=np.int64)
    for a in range(n_ca):
        rows = np.flatnonzero(place == a)
        if len(rows):
            ilon[rows], ilat[rows] = _sample_in_polygon(rng, areas, a, len(rows))
    town_lat = np.array([t.lat for t in TOWNS])
    town_lon = np.array([t.lon for t in TOWNS])
    todo = np.flatnonzero(~is_chi)
    for _attempt in range(60):
        if not len(todo):
            break
        t = place[todo] - n_ca
        ilat[todo] = np.rint((town_lat[t] + rng.normal(0, 0.009, len(todo))) * 1e6)
        ilon[todo] = np.rint((town_lon[t] + rng.normal(0, 0.011, len(todo))) * 1e6)
        todo = todo[shapely.contains_xy(areas.city, ilon[todo] / 1e6, ilat[todo] / 1e6)]
    if len(todo):  # pathological fallback: the town centroid itself lies outside the city
        t = place[todo] - n_ca
        ilat[todo] = np.rint(town_lat[t] * 1e6)
        ilon[todo] = np.rint(town_lon[t] * 1e6)
    has_coord = rng.random(total) >= 0.08
    chi_geo = is_chi & has_coord
    has_area = chi_geo & (rng.random(total) >= 0.10)
    has_ward = chi_geo & (rng.random(total) >= 0.03)
    return Places(is_chi=is_chi, place=place, ilon=ilon, ilat=ilat, has_coord=has_coord,
                  has_area=has_area, has_ward=has_ward)


def _town_population() -> np.ndarray:
    return np.array([t.pop_k * 1000 for t in TOWNS])


def _place_names() -> list[str]:
    """The city name of each ``place``: Chicago for the areas, the town's name for the towns."""
    return ["Chicago"] * N_AREAS + [t.name for t in TOWNS]


@dataclass(frozen=True)
class ZipTable:
    """The ZIP codes of each ``place``, flattened (see :func:`~.sampling.flat_table`), as vocabulary ids."""

    offsets: np.ndarray
    counts: np.ndarray
    ids: np.ndarray

    def pick(self, rng: np.random.Generator, place: np.ndarray) -> np.ndarray:
        """One of its place's ZIP codes for each row, uniformly."""
        return self.ids[pick_in_group(rng, self.offsets, self.counts, place)]


@dataclass(frozen=True)
class IncidentCity:
    """The archive's ``incident_city`` and ``incident_zip`` (vocabulary ids, -1 absent)."""

    inc_city: np.ndarray
    inc_zip: np.ndarray
    city_title: np.ndarray  # the city is written in title case ("Chicago"), not upper case
    zips: ZipTable


def draw_incident_city(rng: np.random.Generator, vocab: Vocab, places: Places) -> IncidentCity:
    """City and ZIP of each incident; ungeocoded cases often lose them or read ``UNKNOWN``."""
    total = len(places.place)
    place, has_coord = places.place, places.has_coord
    place_names = _place_names()
    u = rng.random(total)
    city_unknown = ~has_coord & (u < 0.15)
    city_absent = ~has_coord & (u >= 0.15) & (u < 0.22)
    city_title = rng.random(total) < np.where(places.is_chi, 0.12, 0.15)
    inc_city = np.where(city_title, vocab.ids(place_names)[place],
                        vocab.ids([c.upper() for c in place_names])[place])
    inc_city = np.where(city_unknown, vocab.id("UNKNOWN"), np.where(city_absent, -1, inc_city))
    zip_offsets, zip_counts, zip_values = flat_table(
        [CA_ZIPS[a] for a in range(1, 78)] + [t.zips for t in TOWNS])
    zips = ZipTable(zip_offsets, zip_counts, vocab.ids(zip_values))
    inc_zip = zips.pick(rng, place)
    inc_zip = np.where(city_unknown | city_absent | (~has_coord & (rng.random(total) < 0.5))
                       | (rng.random(total) < 0.02), -1, inc_zip)
    return IncidentCity(inc_city=inc_city, inc_zip=inc_zip, city_title=city_title, zips=zips)


def draw_residence(rng: np.random.Generator, vocab: Vocab, places: Places, city: IncidentCity
                   ) -> tuple[np.ndarray, np.ndarray]:
    """``residence_city`` (mixed case) and ``residence_zip`` of each decedent, as vocabulary ids.

    Most lived where they died; others elsewhere in Chicago, in a suburb, outside Cook County, or
    unknown.
    """
    total = len(places.place)
    is_chi, place, inc_zip, zips = places.is_chi, places.place, city.inc_zip, city.zips
    pop = np.array(CA_POPULATION, dtype=float)
    res_kind = np.where(is_chi, choice(rng, (0.78, 0.07, 0.08, 0.04, 0.03), total),
                        choice(rng, (0.68, 0.14, 0.12, 0.03, 0.03), total))
    res_place = place.copy()
    res_place = np.where(res_kind == 1, choice(rng, pop, total), res_place)
    res_place = np.where(res_kind == 2, N_AREAS + choice(rng, _town_population(), total), res_place)
    same_zip = (res_kind == 0) & (rng.random(total) < 0.65) & (inc_zip >= 0)
    res_zip = np.where(same_zip, inc_zip, zips.pick(rng, res_place))
    outside = rng.integers(0, len(_OUTSIDE_RESIDENCES), total)
    outside_city = vocab.ids([c for c, _ in _OUTSIDE_RESIDENCES])
    outside_zip = vocab.ids([z for _, z in _OUTSIDE_RESIDENCES])
    res_city = np.where(res_kind == 3, outside_city[outside], vocab.ids(_place_names())[res_place])
    res_zip = np.where(res_kind == 3, outside_zip[outside], res_zip)
    res_unknown = (res_kind == 4) & (rng.random(total) < 0.4)
    res_city = np.where(res_kind == 4, -1, res_city)
    res_zip = np.where((res_kind == 4) | (rng.random(total) < 0.04), -1, res_zip)
    res_case = choice(rng, (0.55, 0.40, 0.05), total)  # title, upper, lower
    res_city = case_variants(vocab, res_city, res_case)
    res_city = np.where(res_unknown, vocab.id("UNKNOWN"), res_city)
    return res_city, res_zip
