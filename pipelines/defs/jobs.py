"""The job `make pipeline` launches (`dg launch --job overdose_watch_job`): every asset and check.

The unattended jobs (daily pull, reports, freshness) are beside their schedules in ``schedules.py``.
"""

import dagster as dg

#: In-process, because the steps share one DuckDB file and a process per step would only add
#: start-up time (and the run's loggers, ``pipelines/run_log/``, live in that one process).
overdose_watch_job = dg.define_asset_job(
    "overdose_watch_job",
    selection=dg.AssetSelection.all(),
    executor_def=dg.in_process_executor,
    description="Ingest every source, rebuild staging and marts, publish the dashboard database.",
)
