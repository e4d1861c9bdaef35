"""Whether the meeting pack must be built again: a hash of everything it shows and of how it draws it.

Drawing the pack's charts and rendering the deck and the PDF is the reports' main cost, and their
output is a function of the pack's content (the published numbers, periods, refresh time and
wording read from the app database) and of the code and libraries that draw it. So the pack is
written with a small sidecar file, ``<pack>.inputs.sha256``, holding the SHA-256 of those; a run
whose content has that same hash, with both files still there, writes nothing and reports
"unchanged". ``ODW_REBUILD_UNCHANGED=true`` builds it anyway.
"""

from __future__ import annotations

import dataclasses
import hashlib
from datetime import date, datetime
from importlib import metadata
from pathlib import Path
from types import ModuleType

import polars as pl

from pipelines import formatting
from pipelines.defs.reports import figures, pack, pack_pdf, pack_pptx, slide_layout, wording

#: The modules whose code decides what the pack looks like; a change to any of them rebuilds it.
RENDERING_MODULES: tuple[ModuleType, ...] = (pack, pack_pdf, pack_pptx, figures, slide_layout, wording, formatting)
#: The libraries that draw it (their versions are part of the hash).
RENDERING_LIBRARIES = ("matplotlib", "python-pptx", "polars")
SIDECAR_SUFFIX = ".inputs.sha256"


def _feed(digest: hashlib._Hash, value: object) -> None:
    """Add ``value`` to ``digest`` in a canonical, type-tagged form (refuses types it cannot hash)."""
    if isinstance(value, pl.DataFrame):
        # The frames are small (a year of months, 77 areas): their rows as Python values, exactly.
        digest.update(f"frame{value.schema!r}".encode())
        digest.update(repr(value.rows()).encode())
    elif dataclasses.is_dataclass(value) and not isinstance(value, type):
        digest.update(f"<{type(value).__qualname__}>".encode())
        for item in dataclasses.fields(value):
            digest.update(f"{item.name}=".encode())
            _feed(digest, getattr(value, item.name))
    elif isinstance(value, dict):
        digest.update(b"{")
        for key in sorted(value, key=repr):
            _feed(digest, key)
            _feed(digest, value[key])
        digest.update(b"}")
    elif isinstance(value, (list, tuple)):
        digest.update(f"[{len(value)}".encode())
        for item in value:
            _feed(digest, item)
        digest.update(b"]")
    elif value is None or isinstance(value, (str, int, float, bool, date, datetime)):
        digest.update(f"{type(value).__name__}:{value!r};".encode())
    else:
        raise TypeError(f"cannot hash a {type(value).__name__} in the pack's content")


def content_digest(content: object) -> str:
    """SHA-256 (hex) of the pack's content alone (dataclasses, frames, plain values)."""
    digest = hashlib.sha256()
    _feed(digest, content)
    return digest.hexdigest()


def renderer_digest() -> str:
    """SHA-256 (hex) of the rendering modules' source and the drawing libraries' versions."""
    digest = hashlib.sha256()
    for module in RENDERING_MODULES:
        digest.update(module.__name__.encode())
        digest.update(Path(module.__file__).read_bytes())
    for library in RENDERING_LIBRARIES:
        try:
            digest.update(f"{library}={metadata.version(library)};".encode())
        except metadata.PackageNotFoundError:
            digest.update(f"{library}=?;".encode())
    return digest.hexdigest()


def pack_digest(content: object) -> str:
    """The hash the pack is built from: its content and its renderer together."""
    return hashlib.sha256(f"{content_digest(content)}:{renderer_digest()}".encode()).hexdigest()


def sidecar(folder: Path, stem: str) -> Path:
    """The file beside the pack that holds the hash it was built from."""
    return folder / f"{stem}{SIDECAR_SUFFIX}"


def is_unchanged(folder: Path, stem: str, digest: str) -> bool:
    """True when both pack files exist and were built from inputs with hash ``digest``."""
    stored = sidecar(folder, stem)
    files = [folder / f"{stem}.pptx", folder / f"{stem}.pdf"]
    return stored.is_file() and all(f.is_file() for f in files) and stored.read_text().strip() == digest
