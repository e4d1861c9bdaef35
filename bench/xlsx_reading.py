"""Time reading the field-data workbooks at a scale of the demo volume (part of `make bench`).

Generates the synthetic field-data files at ``--scale`` (default 100×) in a temporary folder and
reads every ``.xlsx`` among them with the pipeline's reader (``reading.read_file``: format sniffing,
sheet reading, header search, cell lists), best of ``--repeats``. The generation is not timed.
Prints one line of JSON: workbooks, data rows read, seconds.

    python bench/xlsx_reading.py --scale 100
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from datetime import date
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scale", type=float, default=100.0, help="demo volume multiple (default 100)")
    parser.add_argument("--repeats", type=int, default=3, help="timed passes; the best is reported (default 3)")
    args = parser.parse_args()

    from pipelines.defs.field_data.reading import read_file
    from pipelines.defs.field_data.schema import SPECS
    from pipelines.demo.field_data import write_field_demo

    with tempfile.TemporaryDirectory() as folder:
        raw = Path(folder)
        write_field_demo(raw, end_month=date(2026, 10, 1), scale=args.scale)
        books = [(path, SPECS[path.parent.name].header_map()) for path in sorted(raw.glob("*/*.xlsx"))]
        best, rows = float("inf"), 0
        for _ in range(args.repeats):
            started = time.perf_counter()
            rows = sum(read_file(p, keys, max_bytes=10**9, max_rows=10**7).rows for p, keys in books)
            best = min(best, time.perf_counter() - started)
    print(json.dumps({"scale": args.scale, "workbooks": len(books), "rows": rows, "read_s": round(best, 3)}))


if __name__ == "__main__":
    main()
