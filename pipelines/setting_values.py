"""How the text of one setting becomes its value: parsers that validate and say what they accept.

Each :class:`Parser` turns the text of an environment variable into a value, raising
``ValueError`` with the variable's name and the bad text when it cannot, and carries a short
description of what it accepts, which the configuration reference prints beside the variable.
``pipelines/settings.py`` declares which parser each setting uses.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from pathlib import Path

#: The repository root: relative paths in the environment are resolved against it.
PROJECT_ROOT = Path(__file__).resolve().parent.parent


@dataclass(frozen=True)
class Parser:
    """A conversion from a setting's text (never empty) to its value, with plain words for the reference."""

    accepts: str
    convert: Callable[[str, str], object]

    def __call__(self, name: str, text: str) -> object:
        return self.convert(name, text)


def parse_area_list(spec: str) -> tuple[int, ...]:
    """Parse a community-area list such as ``"23-31"`` or ``"23,24,28-31"`` into sorted numbers.

    Raises ``ValueError`` naming the bad part when a number is outside 1–77.
    """
    numbers: set[int] = set()
    for part in (p.strip() for p in spec.split(",")):
        if not part:
            continue
        match = re.fullmatch(r"(\d+)\s*(?:-\s*(\d+))?", part)
        if not match:
            raise ValueError(f"bad community-area list part {part!r} (expected e.g. '23-31' or '23,25')")
        low = int(match.group(1))
        high = int(match.group(2) or low)
        if not (1 <= low <= high <= 77):
            raise ValueError(f"community areas must be 1-77, got {part!r}")
        numbers.update(range(low, high + 1))
    if not numbers:
        raise ValueError("the region names no community area")
    return tuple(sorted(numbers))


def parse_municipalities(spec: str) -> tuple[str, ...]:
    """Parse ``"Cicero, oak park"`` into title-cased municipality names, as staging spells them."""
    names = {" ".join(part.split()).title() for part in spec.split(",") if part.strip()}
    return tuple(sorted(names))


def _items(text: str) -> tuple[str, ...]:
    """Comma-separated items, stripped, empty ones left out."""
    return tuple(item.strip() for item in text.split(",") if item.strip())


def _path(name: str, text: str) -> Path:
    path = Path(text.strip()).expanduser()
    return path if path.is_absolute() else PROJECT_ROOT / path


def _flag(name: str, text: str) -> bool:
    value = text.strip().lower()
    if value in {"1", "true", "yes", "on"}:
        return True
    if value in {"0", "false", "no", "off"}:
        return False
    raise ValueError(f"{name} must be true or false, got {text!r}")


def _month(name: str, text: str) -> date:
    try:
        return date.fromisoformat(text.strip() + "-01")
    except ValueError:
        raise ValueError(f"{name} must be a month written YYYY-MM, e.g. 2026-10, got {text!r}") from None


def _memory_size(name: str, text: str) -> str:
    """A DuckDB memory size such as ``1GB``, ``768MB`` or ``1.5GiB`` (at least 100 MB)."""
    size = text.strip().replace(" ", "")
    match = re.fullmatch(r"(\d+(?:\.\d+)?)(KB|MB|GB|KiB|MiB|GiB)", size, flags=re.IGNORECASE)
    if not match:
        raise ValueError(f"{name} must be a size such as 1GB or 768MB, got {text!r}")
    factor = {"kb": 1e3, "mb": 1e6, "gb": 1e9, "kib": 2**10, "mib": 2**20, "gib": 2**30}[match.group(2).lower()]
    if float(match.group(1)) * factor < 100e6:
        raise ValueError(f"{name} must be at least 100MB, got {text!r}")
    return size


def _column_map(name: str, text: str) -> tuple[tuple[str, str], ...]:
    """``"Site code=hotspot_id, Kits=naloxone_kits_distributed"`` as ``(header, field)`` pairs."""
    pairs = []
    for item in _items(text):
        header, sep, target = item.partition("=")
        if not sep or not header.strip() or not target.strip():
            raise ValueError(f"{name} item {item!r} must look like 'Header=field'")
        pairs.append((header.strip(), target.strip()))
    return tuple(pairs)


TEXT = Parser("text", lambda name, text: text.strip())
#: Secrets are taken exactly as given (a password may begin or end with a space).
SECRET = Parser("text", lambda name, text: text)
PATH = Parser("a path; a relative one starts at the project folder", _path)
FLAG = Parser("`true` or `false`", _flag)
ITEMS = Parser("a comma-separated list", lambda name, text: _items(text))
AREAS = Parser("community areas 1–77 and ranges, e.g. `23-31` or `23,25-27`", lambda name, text: parse_area_list(text))
MUNICIPALITIES = Parser("comma-separated municipality names", lambda name, text: parse_municipalities(text))
MONTH = Parser("a month, `YYYY-MM`", _month)
MEMORY_SIZE = Parser("a size such as `700MB` or `1.5GiB`, at least 100 MB", _memory_size)
COLUMN_MAP = Parser("comma-separated `Header=field` pairs", _column_map)


def whole(low: int, high: int | None = None, why: str = "") -> Parser:
    """A whole number from ``low`` to ``high`` (no upper bound when ``None``); ``why`` explains a bound."""
    note = f" ({why})" if why else ""
    if high is not None:
        rule = f"a whole number from {low} to {high}"
    elif low == 1:
        rule = "a positive whole number"
    else:
        rule = f"a whole number, {low} or more"

    def convert(name: str, text: str) -> int:
        try:
            number = int(text.strip())
        except ValueError:
            number = None
        if number is None or number < low or (high is not None and number > high):
            raise ValueError(f"{name} must be {rule}{note}, got {text!r}")
        return number

    return Parser(rule + note, convert)


def above_zero(high: float) -> Parser:
    """A number above 0 and at most ``high`` (a share, a rate, a number of seconds)."""
    rule = f"above 0 and at most {high:g}"

    def convert(name: str, text: str) -> float:
        try:
            number = float(text.strip())
        except ValueError:
            number = float("nan")
        if not 0.0 < number <= high:
            raise ValueError(f"{name} must be above 0 and at most {high}, got {text!r}")
        return number

    return Parser(f"a number {rule}", convert)


def choice(*allowed: str) -> Parser:
    """One of ``allowed``, in any letter case."""

    def convert(name: str, text: str) -> str:
        value = text.strip().lower()
        if value not in allowed:
            raise ValueError(f"{name} must be one of {', '.join(allowed)}; got {value!r}")
        return value

    return Parser(" or ".join(f"`{a}`" for a in allowed), convert)


def http_url(*, strip_slash: bool = False) -> Parser:
    """An ``http://`` or ``https://`` URL (without a trailing slash when ``strip_slash``)."""

    def convert(name: str, text: str) -> str:
        url = text.strip()
        if not re.match(r"https?://[^\s/]+", url):
            raise ValueError(f"{name} must be an http:// or https:// URL, got {url!r}")
        return url.rstrip("/") if strip_slash else url

    return Parser("an `http://` or `https://` URL", convert)
