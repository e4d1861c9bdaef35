"""Command line of the synthetic ME archive: ``python -m pipelines.demo.medical_examiner``.

``--out`` defaults to the pipeline's demo input path, ``--end-month`` to the
``ODW_DEMO_END_MONTH`` setting::

    python -m pipelines.demo.medical_examiner [--out data_raw/demo/medical_examiner/cjeq-bs86.json]
        [--n 25000] [--scale 1] [--seed 20160101] [--start 2016-01-01] [--end-month 2026-10]
        [--pulls 40]

Besides the file, the monthly pulls that led to it are written as snapshots next to it
(``snapshots/``, see :mod:`.history`); ``--pulls 0`` writes the file alone.
"""

from __future__ import annotations

import argparse
import sys
import time
from collections.abc import Sequence
from datetime import date
from pathlib import Path

from pipelines.demo.medical_examiner.generator import DEFAULT_N, DEFAULT_SEED, DEFAULT_START
from pipelines.demo.medical_examiner.history import write_me_demo_history
from pipelines.demo.months import parse_month


def main(argv: Sequence[str] | None = None) -> int:
    """Command-line entry point: write the demo archive and report count and timing.

    Without ``--out`` the file goes where the pipeline's demo mode reads it
    (``<ODW_RAW_DIR>/demo/medical_examiner/<dataset id>.json``); without ``--end-month`` the
    ``ODW_DEMO_END_MONTH`` setting applies, else the month before the current one.
    """
    parser = argparse.ArgumentParser(
        prog="python -m pipelines.demo.medical_examiner",
        description="Write a deterministic synthetic Cook County ME archive (SODA 2.1 JSON array).")
    parser.add_argument("--out", type=Path, default=None,
                        help="output JSON file (default: the pipeline's demo input path)")
    parser.add_argument("--n", type=int, default=DEFAULT_N,
                        help="base record count (default 25000)")
    parser.add_argument("--scale", type=float, default=1.0, help="multiplies --n (default 1)")
    parser.add_argument("--seed", type=int, default=DEFAULT_SEED)
    parser.add_argument("--start", type=date.fromisoformat, default=DEFAULT_START,
                        help="first death date, YYYY-MM-DD (default 2016-01-01)")
    parser.add_argument("--end-month", type=parse_month, default=None,
                        help="last month included, YYYY-MM (default: ODW_DEMO_END_MONTH, else "
                             "the month before the current one)")
    parser.add_argument("--pulls", type=int, default=None,
                        help="monthly pulls in the history written beside the file (default: "
                             "ODW_DEMO_PULLS, 40); 0: the file alone")
    args = parser.parse_args(argv)
    out, end_month, pulls = args.out, args.end_month, args.pulls
    if out is None or end_month is None or pulls is None:
        from pipelines.settings import load_settings

        settings = load_settings()
        out = out or settings.demo_dir / "medical_examiner" / f"{settings.me_dataset_id}.json"
        end_month = end_month or settings.demo_end_month
        pulls = settings.demo_pulls if pulls is None else pulls
    began = time.perf_counter()
    count = write_me_demo_history(out, pulls=pulls, n=args.n, scale=args.scale, seed=args.seed,
                                  start=args.start, end_month=end_month)
    print(f"wrote {count} records to {out} in {time.perf_counter() - began:.1f}s",
          file=sys.stderr)
    return 0
