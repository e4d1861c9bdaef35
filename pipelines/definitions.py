"""The Dagster code location of West Side Overdose Watch, assembled here and imported by nothing.

Assets, checks, jobs and sensors are found in ``pipelines/defs/`` by ``dg.load_from_defs_folder``;
what can only be built when the location loads is added below.
"""

import functools
from pathlib import Path

import dagster as dg

from pipelines.defs.marts.quality import catalogue_of
from pipelines.defs.resources import build_resources
from pipelines.defs.schedules import build_schedules
from pipelines.run_log.loggers import RUN_LOGGERS
from pipelines.settings import load_settings


@functools.cache
def _found() -> tuple[dg.Definitions, object]:
    """What ``pipelines/defs/`` defines, and its check catalogue, built once per process: Dagster
    calls ``defs()`` several times for one run (to find, load and execute the job), and walking the
    folder was most of each call. Neither depends on a setting."""
    found = dg.load_from_defs_folder(path_within_project=Path(__file__).parent)
    return found, catalogue_of(found)


@dg.definitions
def defs() -> dg.Definitions:
    """The code location that ``dg``, ``workspace.yaml`` and the tests load."""
    settings = load_settings()
    found, catalogue = _found()
    return dg.Definitions.merge(
        found,
        dg.Definitions(
            # Built when the location loads: their default on/off state is a setting.
            schedules=build_schedules(settings),
            resources={
                # Built when the location loads: the warehouse path is a setting.
                **build_resources(settings),
                # Every check found above, for app/published_db (which cannot import this file).
                "check_catalogue": catalogue,
            },
            # Location-wide, so every job offers them to its run config (deploy/run_config/).
            loggers=RUN_LOGGERS,
        ),
    )
