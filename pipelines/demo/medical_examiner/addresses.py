"""The incident street address of each synthetic death, on Chicago's street grid.

A Chicago case's street is the grid street nearest its point (800 house numbers a mile from
State St east/west and Madison St north/south), a suburban case's one of a list of suburban
streets; a quarter are written in title case. Cases without coordinates mostly have no street
or ``UNKNOWN``, except the *address-only* Chicago deaths (:func:`add_address_only`), which keep
their address — now and then with a unit, ``#217``, ``- 2ND FLR.``, or a hotel or shop name —
the city and a ZIP of their area. :func:`grid_point` inverts the grid: where an address lies.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, replace

import numpy as np

from pipelines.demo.medical_examiner.places import IncidentCity, Places
from pipelines.demo.medical_examiner.sampling import Vocab

# Chicago street grid: 800 address numbers per mile from State St (E/W) and Madison St (N/S).
_GRID_LAT0, _GRID_LON0 = 41.8819, -87.6278
_GRID_DEG_LAT, _GRID_DEG_LON = 0.01449 / 800, 0.01943 / 800
_EW_STREETS: tuple[tuple[int, str], ...] = (  # signed grid number (N > 0), street name
    (-13400, "134TH ST"), (-13000, "130TH ST"), (-12700, "127TH ST"), (-11900, "119TH ST"),
    (-11500, "115TH ST"), (-11100, "111TH ST"), (-10300, "103RD ST"), (-9500, "95TH ST"),
    (-8700, "87TH ST"), (-8300, "83RD ST"), (-7900, "79TH ST"), (-7500, "75TH ST"),
    (-7100, "71ST ST"), (-6700, "67TH ST"), (-6300, "63RD ST"), (-5900, "59TH ST"),
    (-5500, "GARFIELD BLVD"), (-5100, "51ST ST"), (-4700, "47TH ST"), (-4300, "43RD ST"),
    (-3900, "PERSHING RD"), (-3500, "35TH ST"), (-3100, "31ST ST"), (-2600, "26TH ST"),
    (-2200, "CERMAK RD"), (-1600, "16TH ST"), (-1200, "ROOSEVELT RD"), (-600, "HARRISON ST"),
    (-300, "JACKSON BLVD"), (0, "MADISON ST"), (100, "WASHINGTON BLVD"), (200, "LAKE ST"),
    (500, "GRAND AVE"), (800, "CHICAGO AVE"), (1200, "DIVISION ST"), (1600, "NORTH AVE"),
    (2000, "ARMITAGE AVE"), (2400, "FULLERTON AVE"), (2800, "DIVERSEY AVE"), (3200, "BELMONT AVE"),
    (3600, "ADDISON ST"), (4000, "IRVING PARK RD"), (4400, "MONTROSE AVE"), (4800, "LAWRENCE AVE"),
    (5200, "FOSTER AVE"), (5600, "BRYN MAWR AVE"), (6000, "PETERSON AVE"), (6400, "DEVON AVE"),
    (7200, "TOUHY AVE"), (7600, "HOWARD ST"),
)
_NS_STREETS: tuple[tuple[int, str], ...] = (  # signed grid number (E > 0), street name
    (-8400, "CUMBERLAND AVE"), (-7600, "OLEANDER AVE"), (-7200, "HARLEM AVE"),
    (-6800, "OAK PARK AVE"), (-6400, "NARRAGANSETT AVE"), (-6000, "AUSTIN BLVD"),
    (-5600, "CENTRAL AVE"), (-5200, "LARAMIE AVE"), (-4800, "CICERO AVE"), (-4400, "KOSTNER AVE"),
    (-4000, "PULASKI RD"), (-3800, "CRAWFORD AVE"), (-3600, "CENTRAL PARK AVE"),
    (-3400, "HOMAN AVE"), (-3200, "KEDZIE AVE"), (-2800, "CALIFORNIA AVE"), (-2400, "WESTERN AVE"),
    (-2000, "DAMEN AVE"), (-1600, "ASHLAND AVE"), (-1200, "RACINE AVE"), (-800, "HALSTED ST"),
    (-400, "CANAL ST"), (0, "STATE ST"), (400, "KING DR"), (800, "COTTAGE GROVE AVE"),
    (1600, "STONY ISLAND AVE"), (2000, "JEFFERY BLVD"), (2400, "YATES BLVD"),
    (3000, "COMMERCIAL AVE"), (3600, "EWING AVE"),
)
_SUBURB_STREETS: tuple[str, ...] = (
    "MAIN ST", "OAK ST", "MADISON ST", "ROOSEVELT RD", "WASHINGTON BLVD", "1ST AVE", "5TH AVE",
    "HARLEM AVE", "CERMAK RD", "OGDEN AVE", "LAKE ST", "CENTRAL AVE", "RIDGE AVE", "DEMPSTER ST",
    "GOLF RD", "ALGONQUIN RD", "159TH ST", "SIBLEY BLVD", "LINCOLN HWY", "17TH AVE", "25TH AVE",
    "MANNHEIM RD", "GRAND AVE", "NORTH AVE", "DES PLAINES AVE", "HALSTED ST", "WOLF RD",
)
#: Share of Chicago cases without coordinates that keep a street address and ZIP (address-only).
_P_ADDRESS_ONLY = 0.65
#: Hand-typed noise around address-only streets, as the archive has it (names invented).
_ADDRESS_PREFIXES: tuple[str, ...] = (
    "SUNRISE MOTEL, ", "(LAKESIDE HOTEL) ", "Corner Food Mart, ", "ST. JAMES HOTEL ", "Green Line, ",
    "RIVERVIEW INN/",
)
_ADDRESS_SUFFIXES: tuple[str, ...] = (
    " #2", " #217", " APT 3F", ", UNIT# 3A", " - 2ND FLR.", "/basement", " Rm 901", ", ROOM# 220",
    " (REAR)", " BSMT",
)


def _title_text(text: str) -> str:
    """Title-case a name ("W MADISON ST" -> "W Madison St") keeping ordinals ("17th Ave")."""
    return re.sub(r"(\d)(St|Nd|Rd|Th)\b", lambda m: m.group(1) + m.group(2).lower(), text.title())


def grid_point(street: str) -> tuple[float, float] | None:
    """Where the demo's street grid puts a Chicago address as the generator writes it, without
    unit or name (``"3001 W JACKSON BLVD"``, any case): ``(latitude, longitude)``, or None.

    The inverse of how addresses are drawn: 800 house numbers a mile from State St (east/west)
    and Madison St (north/south), on the named grid street. Used as the demo's truth about where
    its synthetic addresses lie (e.g. by the tests' stand-in geocoder).
    """
    match = re.fullmatch(r"(\d+) ([NSEW]) (.+)", " ".join(street.upper().split()))
    if not match:
        return None
    house, direction, name = int(match.group(1)), match.group(2), match.group(3)
    east_west = dict((n, g) for g, n in _EW_STREETS)
    north_south = dict((n, g) for g, n in _NS_STREETS)
    if direction in "EW" and name in east_west:
        north, east = east_west[name], house if direction == "E" else -house
    elif direction in "NS" and name in north_south:
        north, east = (house if direction == "N" else -house), north_south[name]
    else:
        return None
    return _GRID_LAT0 + north * _GRID_DEG_LAT, _GRID_LON0 + east * _GRID_DEG_LON


def _nearest(sorted_values: np.ndarray, x: np.ndarray) -> np.ndarray:
    """Index of the nearest value of an ascending array for each ``x``."""
    i = np.clip(np.searchsorted(sorted_values, x), 1, len(sorted_values) - 1)
    left, right = sorted_values[i - 1], sorted_values[i]
    return np.where(x - left <= right - x, i - 1, i)


@dataclass(frozen=True)
class Streets:
    """The parts of each ``incident_street`` (vocabulary ids, -1 absent) and what stands instead."""

    street_id: np.ndarray
    dir_id: np.ndarray
    house: np.ndarray
    no_street: np.ndarray  # no incident_street at all
    unknown_street: np.ndarray  # "UNKNOWN"
    directions: np.ndarray  # the ids of "N", "S", "E", "W"
    street_prefix: np.ndarray | None = None  # hand-typed noise before / after (address-only cases)
    street_suffix: np.ndarray | None = None


def draw_incident_streets(rng: np.random.Generator, vocab: Vocab, places: Places) -> Streets:
    """The street address of each case at its drawn point (see the module docstring)."""
    total = len(places.place)
    ilat, ilon, is_chi, has_coord = places.ilat, places.ilon, places.is_chi, places.has_coord
    ew_nums = np.array([s[0] for s in _EW_STREETS], dtype=float)
    ns_nums = np.array([s[0] for s in _NS_STREETS], dtype=float)
    north = (ilat / 1e6 - _GRID_LAT0) / _GRID_DEG_LAT
    east = (ilon / 1e6 - _GRID_LON0) / _GRID_DEG_LON
    along_ew = rng.random(total) < 0.5
    grid_names = [s[1] for s in _EW_STREETS] + [s[1] for s in _NS_STREETS]
    street_index = np.where(along_ew, _nearest(ew_nums, north),
                            len(_EW_STREETS) + _nearest(ns_nums, east))
    house = np.maximum(1, np.rint(np.abs(np.where(along_ew, east, north)))).astype(np.int64)
    directions = vocab.ids(["N", "S", "E", "W"])
    chi_dir = np.where(along_ew, np.where(east >= 0, directions[2], directions[3]),
                       np.where(north >= 0, directions[0], directions[1]))
    street_index = np.where(is_chi, street_index,
                            len(grid_names) + rng.integers(0, len(_SUBURB_STREETS), total))
    all_streets = grid_names + list(_SUBURB_STREETS)
    house = np.where(is_chi, house, rng.integers(100, 2500, total))
    title_street = rng.random(total) < 0.25
    titled = vocab.ids([_title_text(t) for t in all_streets])
    street_id = np.where(title_street, titled[street_index], vocab.ids(all_streets)[street_index])
    dir_id = np.where(is_chi, chi_dir, -1)
    u = rng.random(total)
    no_street = ~has_coord & (u < 0.70)
    unknown_street = ~has_coord & (u >= 0.70) & (u < 0.80)

    return Streets(street_id=street_id, dir_id=dir_id, house=house, no_street=no_street,
                   unknown_street=unknown_street, directions=directions)


def add_address_only(seed: int, vocab: Vocab, places: Places, streets: Streets, city: IncidentCity
                     ) -> tuple[Streets, IncidentCity]:
    """Give most ungeocoded Chicago deaths back their address, city and a ZIP of their area.

    Drawn from a stream of their own (``[seed, 1]``), so every other field of every record is
    what it was before address-only cases were added.
    """
    total = len(places.place)
    is_chi, has_coord, place = places.is_chi, places.has_coord, places.place
    dir_id, directions = streets.dir_id, streets.directions
    extra = np.random.default_rng([seed, 1])
    address_only = is_chi & ~has_coord & (extra.random(total) < _P_ADDRESS_ONLY)
    no_street = streets.no_street & ~address_only
    unknown_street = streets.unknown_street & ~address_only
    inc_city = np.where(address_only, np.where(city.city_title, vocab.id("Chicago"), vocab.id("CHICAGO")),
                        city.inc_city)
    inc_zip = np.where(address_only, city.zips.pick(extra, place), city.inc_zip)
    prefix_pick = extra.integers(0, len(_ADDRESS_PREFIXES), total)
    suffix_pick = extra.integers(0, len(_ADDRESS_SUFFIXES), total)
    street_prefix = np.where(address_only & (extra.random(total) < 0.08),
                             vocab.ids(_ADDRESS_PREFIXES)[prefix_pick], -1)
    street_suffix = np.where(address_only & (extra.random(total) < 0.25),
                             vocab.ids(_ADDRESS_SUFFIXES)[suffix_pick], -1)
    dotted = address_only & (extra.random(total) < 0.15)  # "3001 W. JACKSON BLVD"
    dotted_dirs = vocab.ids(["N.", "S.", "E.", "W."])
    dir_id = np.where(dotted, dotted_dirs[np.argmax(dir_id[:, None] == directions[None, :], axis=1)], dir_id)
    streets = replace(streets, no_street=no_street, unknown_street=unknown_street, dir_id=dir_id,
                      street_prefix=street_prefix, street_suffix=street_suffix)
    return streets, replace(city, inc_city=inc_city, inc_zip=inc_zip)
