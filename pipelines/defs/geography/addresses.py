"""Street addresses of the Medical Examiner archive, made fit for a geocoder — or refused.

The archive's ``incident_street`` is typed by hand: ``J.R. Hotel, 3001 W. Jackson Boulevard #217``,
``(CHINATOWN HOTEL) 214 WEST 22ND PLACE, ROOM 105``, ``3942 N. Hamilton/basement``, ``97TH AND
STATE``, ``UNKNOWN``. :func:`normalise_street` reduces a text to ``<house number> <street>`` in
upper case, or returns None when it names no single street address. Only what it returns ever
leaves the machine (see :mod:`pipelines.defs.geography.geocoder`).

The rules, in order:

1. Upper case; ``1/2`` (a half house number) is dropped.
2. Parenthesised parts are dropped: ``(CHINATOWN HOTEL)``, ``(CTA Blue Line Platform)``, ``(Apt 1)``
   (an unclosed ``(`` drops the rest).
3. The text is cut into parts at ``,``, ``/``, ``;`` and a dash with a space beside it
   (``- 3RD FLR.``). The address is the first part holding a house number followed by a word;
   it starts at that number, so a hotel, shop, station or building name before it is dropped
   (``St. Clair Hotel 162 E. Ontario`` → ``162 E ONTARIO``), and parts after it are dropped
   (``660 N. State St./ Dana Hotel & Spa``, ``1515 W. Garfield/Basement Apt.``).
4. After the first word of the street, everything from a unit or location word on is dropped:
   ``#``, ``APT``, ``APARTMENT``, ``UNIT``, ``ROOM``, ``RM``, ``SUITE``, ``STE``, ``FL``, ``FLR``,
   ``FLOOR``, ``3RD FLR``/``3FL`` (a floor), ``BASEMENT``, ``BSMT``, ``LOT``, ``REAR``, ``GARAGE``,
   ``PORCH``, ``HALLWAY``, ``LOBBY``, ``STAIRWELL``, ``ALLEY``, ``CTA``, and ``AND``/``AT``/``&``
   (a cross street added to an address).
5. A house-number range keeps its first number (``3210-12 W`` → ``3210 W``); a letter after the
   number (``135A N``, ``2938 A NORTH``) and leading zeros are dropped; ``107 TH`` becomes
   ``107TH`` (not ``RD``/``ST``, which are also Road and Street); periods and any character but
   letters, digits, spaces, ``'`` and ``-`` are removed; spaces are collapsed; a bare number left
   at the end after a street name is a unit (``723 W GRAND 305`` → ``723 W GRAND``), unless only
   a direction precedes it (``1419 W 90``).

Not an address (None): no house number followed by a street (``UNKNOWN``, ``UNK ADDRESS``,
``CURRENTLY UNKNOWN, PENDING RECORDS RECEIPT``, ``somewhere in chicago``, ``Red Line``, a CTA
platform or an intersection without a number such as ``97TH AND STATE``); a house number of 0 or
followed by another number; a street of directions only; and a **block** (``3200 Block Touhy Ave.``, ``3200 BLK``): a block
names a stretch of both sides of a street, and streets are often the lines between community
areas (and between Chicago and its suburbs — Touhy Avenue is one), so the side, and with it the
area, is unknown. Geocoding the block's first number would invent a precision the record lacks.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

#: What every address sent is completed with: the candidates are deaths in Chicago (or of
#: unknown place, assumed Chicago), and the geocoder needs a city and state or a ZIP.
CITY = "CHICAGO"
STATE = "IL"

_DIRECTIONS = frozenset({"N", "S", "E", "W", "NORTH", "SOUTH", "EAST", "WEST"})
_BLOCK_WORDS = frozenset({"BLOCK", "BLK"})
_HALF = re.compile(r"(?<!\d)1/2(?!\d)")
_PARENTHESES = re.compile(r"\([^)]*\)?")
_PART_SEPARATOR = re.compile(r"[,/;]|\s+-+\s*|\s*-+\s+")
# A house number (optionally with a letter, 135A, or a range, 3210-12) followed by a word that is
# not a number itself ("Motel 6 540 N Milwaukee" starts at 540), not inside a word.
_HOUSE = re.compile(r"(?<![\w'-])(\d{1,6})[A-Z]?(?:-\d{1,6})?\s+((?!\d+(?:\s|$))[^\s#]+)")
_UNIT = re.compile(
    r"#|\s(?:&|AND|AT)\s"
    r"|\b(?:APT|APTS|APARTMENT|UNIT|ROOM|RM|SUITE|STE|FL|FLR|FLOOR|BASEMENT|BSMT|LOT|REAR|GARAGE"
    r"|PORCH|HALLWAY|LOBBY|STAIRWELL|ALLEY|CTA|HOTEL|MOTEL)\b"
    r"|\b(?:\d+(?:ST|ND|RD|TH)?|FIRST|SECOND|THIRD|FOURTH|FIFTH|GROUND|TOP)\.?\s*(?:FL|FLR|FLOOR|REAR|FRONT)\b"
    r"|\bGARDEN\s+(?:APT|UNIT|LEVEL)\b"
)
# "107 TH STREET": an ordinal split from its number (TH and ND only: RD and ST are also Road and Street).
_SPLIT_ORDINAL = re.compile(r"\b(\d+) (TH|ND)\b")
_NOT_KEPT = re.compile(r"[^A-Z0-9 '\-]")


@dataclass(frozen=True, order=True)
class Address:
    """What a geocoder is asked about: a normalised street, city, state and ZIP (``""`` if none).

    It is also the key of every answer kept (see :mod:`pipelines.defs.geography.geocode_cache`).
    """

    street: str
    city: str
    state: str
    zip: str


def _street_part(text: str) -> tuple[str, int] | None:
    """The text from the first house number on, and where the street's first word ends (its first
    word that is not a direction, so that ``123 W GARAGE...`` cannot be cut to ``123 W``)."""
    for part in _PART_SEPARATOR.split(text):
        match = _HOUSE.search(part)
        if match:
            street = part[match.start(1) :]
            end = match.end(2) - match.start(1)
            if match.group(2).strip(".") in _DIRECTIONS:
                following = re.match(r"\s*\S+", street[end:])
                end += following.end() if following else 0
            return street, end
    return None


def normalise_street(text: str | None) -> str | None:
    """``incident_street`` as ``<house number> <street>`` in upper case, or None if it is no address.

    See the module docstring for the rules; e.g. ``J.R. Hotel, 3001 W. Jackson Boulevard #217`` →
    ``3001 W JACKSON BOULEVARD``; ``97TH AND STATE`` → None.
    """
    if not text or not text.strip():
        return None
    upper = _PARENTHESES.sub(",", _HALF.sub(" ", text.upper()))
    found = _street_part(upper)
    if found is None:
        return None
    street, first_word_end = found
    cut = _UNIT.search(street, first_word_end)
    if cut:
        street = street[: cut.start()]
    street = re.sub(r"^(\d+)[A-Z]?(?:-\d+)?", r"\1", street.strip())
    street = _SPLIT_ORDINAL.sub(r"\1\2", _NOT_KEPT.sub(" ", street.replace(".", " ")))
    tokens = [t.strip("'-") for t in street.split() if t.strip("'-")]
    while len(tokens) > 2 and len(tokens[1]) == 1 and tokens[1] not in _DIRECTIONS:
        del tokens[1]  # "2938 A NORTH KOLMAR": a letter after the house number is part of it
    while len(tokens) >= 3 and re.fullmatch(r"\d+[A-Z]?", tokens[-1]) and any(
        t not in _DIRECTIONS for t in tokens[1:-1]
    ):
        tokens = tokens[:-1]
    # As _HOUSE requires: a house number, then a word that is not a number itself.
    if len(tokens) < 2 or not tokens[0].isdigit() or int(tokens[0]) == 0 or tokens[1].isdigit():
        return None
    tokens[0] = str(int(tokens[0]))  # "0123 W MADISON" is house number 123
    rest = tokens[1:]
    if _BLOCK_WORDS & set(rest) or all(t in _DIRECTIONS or t.isdigit() for t in rest):
        return None
    return " ".join(tokens)


def geocode_address(street: str | None, zip_code: str | None) -> Address | None:
    """The :class:`Address` sent for a Chicago case with this ``incident_street`` and ZIP, or None.

    The city is always :data:`CITY` (see :data:`CITY`); the ZIP is the archive's five digits, or
    ``""`` when it has none.
    """
    normalised = normalise_street(street)
    if normalised is None:
        return None
    return Address(normalised, CITY, STATE, zip_code or "")
