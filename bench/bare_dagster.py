"""The floor of the pipeline's figures: a bare Dagster job with one no-op asset.

Launched by ``make bench`` exactly as the real jobs are (``dg launch --job …`` as a subprocess,
with the same in-process executor and a ``DAGSTER_HOME`` of its own), so what it takes is what
Dagster itself costs on this machine at that moment: loading a code location and an instance,
starting and ending a run. Every pipeline time is also printed as a ratio to it and as the time
above it (``bench/floors.py``). Nothing of the project is imported here.
"""

import dagster as dg


@dg.asset(description="Does nothing: the floor's one step.")
def no_op() -> None:
    """Nothing to compute."""


bare_dagster_job = dg.define_asset_job(
    "bare_dagster_job", selection=[no_op], executor_def=dg.in_process_executor
)

defs = dg.Definitions(assets=[no_op], jobs=[bare_dagster_job])
