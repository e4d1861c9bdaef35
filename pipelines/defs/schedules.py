"""Jobs and schedules that run the pipeline unattended, in Chicago time.

| schedule | when (America/Chicago) | job | what it runs |
|---|---|---|---|
| ``me_daily_pull`` | every day 06:00 | ``me_daily_job`` | incremental ME pull and everything downstream of it (marts, hot spots, alerts, publication), reports excepted |
| ``weekly_eblast`` | Monday 08:00 | ``weekly_eblast_job`` | the ``reports`` group's weekly e-blast and team briefs |
| ``monthly_meeting_pack`` | the 5th, 07:00 | ``monthly_pack_job`` | the ``reports`` group's meeting pack |
| ``source_freshness_hourly`` | every hour at :15 | ``source_freshness_job`` | the ``loaded_recently`` freshness checks only |

Selections are by asset relations, not lists, so new assets downstream of the Medical Examiner
data join the daily job by themselves. The daily pull runs at 06:00 so the dashboard is current
before the working day; the e-blast on Monday and the pack on the 5th run after it, on its data.

Default status: **stopped** — ``make dagster`` (``dg dev``) on a laptop must not start pulling,
e-mailing or building packs on its own. ``ODW_SCHEDULES_RUNNING=true`` (a server's environment)
makes them start switched on. Either way Dagster stores the on/off state once someone toggles a schedule in the UI
or with ``dagster schedule start``, and that stored state wins over the default from then on.
"""

from datetime import datetime, timedelta

import dagster as dg

from pipelines.defs.freshness import CHICAGO, LAST_LOAD_CHECKS
from pipelines.defs.retries import RUN_RETRY_TAGS
from pipelines.settings import Settings

TIMEZONE = "America/Chicago"
ME_RECORDS = dg.AssetKey(["raw", "me_records"])
REPORTS_GROUP = "reports"

DAILY_CRON = "0 6 * * *"
WEEKLY_EBLAST_CRON = "0 8 * * 1"
MONTHLY_PACK_CRON = "0 7 5 * *"
FRESHNESS_CRON = "15 * * * *"

#: The daily refresh: the ME pull and all that depends on it, except the reports (they have their
#: own days; a daily e-blast would be spam).
ME_DAILY_SELECTION = dg.AssetSelection.assets(ME_RECORDS).downstream() - dg.AssetSelection.groups(REPORTS_GROUP)
#: The report assets, by group and name (robust to the key prefix the reports package chooses).
WEEKLY_EBLAST_SELECTION = dg.AssetSelection.groups(REPORTS_GROUP) & (
    dg.AssetSelection.key_substring("weekly_eblast") | dg.AssetSelection.key_substring("team_briefs")
)
MONTHLY_PACK_SELECTION = dg.AssetSelection.groups(REPORTS_GROUP) & dg.AssetSelection.key_substring("meeting_pack")

me_daily_job = dg.define_asset_job(
    "me_daily_job",
    selection=ME_DAILY_SELECTION,
    executor_def=dg.in_process_executor,
    tags=RUN_RETRY_TAGS,
    description="Incremental Medical Examiner pull, then every asset downstream of it (marts, hot "
    "spots, alerts) and the dashboard publication. Reports have their own jobs.",
)
weekly_eblast_job = dg.define_asset_job(
    "weekly_eblast_job",
    selection=WEEKLY_EBLAST_SELECTION,
    executor_def=dg.in_process_executor,
    tags=RUN_RETRY_TAGS,
    description="The weekly e-blast and the team briefs, from the warehouse the daily job keeps current.",
)
monthly_pack_job = dg.define_asset_job(
    "monthly_pack_job",
    selection=MONTHLY_PACK_SELECTION,
    executor_def=dg.in_process_executor,
    tags=RUN_RETRY_TAGS,
    description="The monthly meeting pack, from the warehouse the daily job keeps current.",
)
source_freshness_job = dg.define_asset_job(
    "source_freshness_job",
    selection=dg.AssetSelection.checks(*LAST_LOAD_CHECKS),
    executor_def=dg.in_process_executor,
    description="When was each source last loaded? (Dagster history only; never opens the warehouse.)",
)

SCHEDULED_JOBS = [me_daily_job, weekly_eblast_job, monthly_pack_job, source_freshness_job]


def local_time(context: dg.ScheduleEvaluationContext) -> datetime:
    """The tick's scheduled time in Chicago (now, when evaluated by hand without one)."""
    when = context.scheduled_execution_time or datetime.now(CHICAGO)
    return when.astimezone(CHICAGO)


def _request(job_name: str, when: datetime, period: str) -> dg.RunRequest:
    """One run per tick: the run key makes a tick evaluated twice launch one run."""
    return dg.RunRequest(
        run_key=f"{job_name}:{when.strftime('%Y-%m-%dT%H:%M')}",
        tags={"odw/scheduled_for": when.isoformat(timespec="minutes"), "odw/period": period},
    )


def daily_period(when: datetime) -> str:
    """The day the daily pull refreshes: its own date."""
    return when.date().isoformat()


def weekly_period(when: datetime) -> str:
    """The e-blast covers the full week (Monday–Sunday) before the Monday it goes out."""
    monday = when.date() - timedelta(days=when.weekday() + 7)
    return f"{monday.isoformat()}/{(monday + timedelta(days=6)).isoformat()}"


def monthly_period(when: datetime) -> str:
    """The pack on the 5th covers the previous calendar month (``YYYY-MM``)."""
    last_month_end = when.date().replace(day=1) - timedelta(days=1)
    return last_month_end.strftime("%Y-%m")


def build_schedules(settings: Settings) -> list[dg.ScheduleDefinition]:
    """The four schedules, switched on by default only when ``ODW_SCHEDULES_RUNNING`` is true."""
    status = dg.DefaultScheduleStatus.RUNNING if settings.schedules_running else dg.DefaultScheduleStatus.STOPPED

    @dg.schedule(
        name="me_daily_pull",
        cron_schedule=DAILY_CRON,
        job=me_daily_job,
        execution_timezone=TIMEZONE,
        default_status=status,
        description="06:00 Chicago every day: incremental ME pull, marts, alerts, dashboard.",
    )
    def me_daily_pull(context: dg.ScheduleEvaluationContext) -> dg.RunRequest:
        when = local_time(context)
        return _request(me_daily_job.name, when, daily_period(when))

    @dg.schedule(
        name="weekly_eblast",
        cron_schedule=WEEKLY_EBLAST_CRON,
        job=weekly_eblast_job,
        execution_timezone=TIMEZONE,
        default_status=status,
        description="Monday 08:00 Chicago: the weekly e-blast about the previous week.",
    )
    def weekly_eblast(context: dg.ScheduleEvaluationContext) -> dg.RunRequest:
        when = local_time(context)
        return _request(weekly_eblast_job.name, when, weekly_period(when))

    @dg.schedule(
        name="monthly_meeting_pack",
        cron_schedule=MONTHLY_PACK_CRON,
        job=monthly_pack_job,
        execution_timezone=TIMEZONE,
        default_status=status,
        description="The 5th at 07:00 Chicago: the meeting pack about the previous month.",
    )
    def monthly_meeting_pack(context: dg.ScheduleEvaluationContext) -> dg.RunRequest:
        when = local_time(context)
        return _request(monthly_pack_job.name, when, monthly_period(when))

    @dg.schedule(
        name="source_freshness_hourly",
        cron_schedule=FRESHNESS_CRON,
        job=source_freshness_job,
        execution_timezone=TIMEZONE,
        default_status=status,
        description="Hourly: has each source been loaded recently enough? (fails visibly if not)",
    )
    def source_freshness_hourly(context: dg.ScheduleEvaluationContext) -> dg.RunRequest:
        when = local_time(context)
        return _request(source_freshness_job.name, when, when.isoformat(timespec="minutes"))

    return [me_daily_pull, weekly_eblast, monthly_meeting_pack, source_freshness_hourly]
