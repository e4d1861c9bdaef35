"""Writing the synthetic archive: a JSON array file, or SODA-style dicts.

Records are written column-wise by Polars, so the same arguments give byte-identical files.
"""

from __future__ import annotations

import os
from datetime import date
from pathlib import Path

import polars as pl

from pipelines.demo.medical_examiner.generator import (
    DEFAULT_N,
    DEFAULT_SEED,
    DEFAULT_START,
    generate_me_frame,
)
from pipelines.demo.medical_examiner.soda_shape import BOOL_FIELDS, FIELDS

_CHUNK_ROWS = 100_000


def object_strings(frame: pl.DataFrame, prefix: str = "") -> pl.Series:
    """One compact JSON object per row (``prefix`` + ``{...}``), null fields omitted.

    Keys follow :data:`FIELDS`.  String values are written without escaping: every text the
    generator emits comes from the checked vocabulary (see :class:`~.sampling.Vocab`) or from number and date
    formatting, none of which contains a quote, backslash or control character.
    """
    parts: list[pl.Expr] = []
    for name in FIELDS:
        col = pl.col(name)
        key = f'"{name}":'
        if name in BOOL_FIELDS:
            part = pl.when(col).then(pl.lit(key + "true")).when(col.not_()).then(
                pl.lit(key + "false"))
        elif name == "location":
            part = pl.when(pl.col("latitude").is_not_null()).then(pl.concat_str([
                pl.lit(key + '{"type":"Point","coordinates":['), pl.col("longitude"), pl.lit(","),
                pl.col("latitude"), pl.lit("]}")]))
        else:
            part = pl.concat_str([pl.lit(key + '"'), col, pl.lit('"')])
        parts.append(part.alias(name))
    # Build the key:value parts in one (parallel) select, then join them per row.
    pieces = frame.select(parts)
    row = pl.concat_str([pl.lit(prefix + "{"),
                         pl.concat_str(pl.all(), separator=",", ignore_nulls=True), pl.lit("}")])
    return pieces.select(row.alias("json")).to_series()


def _write_json_array(frame: pl.DataFrame, handle) -> None:
    """Write ``frame`` to a binary handle as a JSON array: ``[{..}``, ``,{..}`` per line, ``]``."""
    handle.write(b"[")
    for offset in range(0, frame.height, _CHUNK_ROWS):
        lines = object_strings(frame.slice(offset, _CHUNK_ROWS), prefix=",")
        if offset == 0:
            handle.write(lines[0][1:].encode("utf-8") + b"\n")
            lines = lines.slice(1)
        lines.to_frame().write_csv(handle, include_header=False, quote_style="never",
                                   line_terminator="\n")
    handle.write(b"]\n")


def frame_to_records(frame: pl.DataFrame) -> list[dict]:
    """SODA-style dicts from a :func:`generate_me_frame` frame (null fields dropped).

    The dicts equal what parsing the file written by :func:`write_me_demo` gives.
    """
    columns = [frame.get_column(name).to_list() for name in FIELDS]
    return [{k: v for k, v in zip(FIELDS, row) if v is not None} for row in zip(*columns)]


def generate_me_records(*, n: int = DEFAULT_N, seed: int = DEFAULT_SEED,
                        start: date = DEFAULT_START, end_month: date | None = None,
                        scale: float = 1.0) -> list[dict]:
    """Generate the synthetic archive as SODA 2.1 JSON objects (dicts; absent = null).

    Arguments as for :func:`generate_me_frame`; the dicts are exactly what parsing the file
    written by :func:`write_me_demo` gives.
    """
    return frame_to_records(generate_me_frame(n=n, seed=seed, start=start, end_month=end_month,
                                              scale=scale))


def write_me_demo(path: Path, **kwargs) -> int:
    """Write the synthetic archive to ``path`` as a UTF-8 JSON array; return the record count.

    Keyword arguments go to :func:`generate_me_frame`; equal arguments give byte-identical files.
    (:func:`~.history.write_me_demo_history` also writes the pulls that led to it.)
    """
    return write_frame(Path(path), generate_me_frame(**kwargs))


def write_frame(path: Path, frame: pl.DataFrame) -> int:
    """Write a :func:`generate_me_frame` frame to ``path`` as a JSON array; return its row count.

    The file is written to a temporary file in the same folder and moved into place with
    ``os.replace``.
    """
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    try:
        with open(tmp, "wb") as handle:
            _write_json_array(frame, handle)
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    return frame.height
