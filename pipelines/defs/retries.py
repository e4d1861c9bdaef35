"""Retries for unattended runs: step retries with backoff for network pulls, run retries for jobs.

Two layers, each for what it can cure:

* **Step retries** (:func:`pull_retry_policy`, :func:`retry_pull`): the Socrata client already
  retries each request a few times within seconds (``ODW_SOCRATA_MAX_RETRIES``). When it gives up
  on a *transient* failure (portal down, 5xx, throttling), the Medical Examiner step asks Dagster to
  run it again after a pause that grows exponentially with ± jitter — minutes, not seconds, which is
  what a portal outage needs. A permanent failure (HTTP 400/403/404: wrong dataset id, refused
  token) is not retried: it would fail the same way. The policy is built from settings at run time
  (``ODW_PULL_STEP_RETRIES``, ``ODW_PULL_STEP_RETRY_DELAY_SECONDS``) and raised as
  ``dg.RetryRequested``, so it retries only the failures worth retrying and the tests can turn it off.
  Community-area boundaries need no step retry: a portal failure already falls back to the bundled
  copy (``ODW_BOUNDARIES_SOURCE=portal``).
* **Run retries** (:data:`RUN_RETRY_TAGS`): the scheduled jobs carry ``dagster/max_retries`` and
  ``dagster/retry_strategy``; the daemon re-launches a failed run from the failed step when
  ``run_retries`` is enabled in ``dagster.yaml`` (``deploy/dagster.yaml``). That covers what a step
  retry cannot: a run process killed, the warehouse file briefly held by a manual run.
"""

from typing import NoReturn

import dagster as dg

from pipelines.settings import Settings

#: Tags that make the daemon retry a failed scheduled run (needs ``run_retries.enabled`` in
#: dagster.yaml). FROM_FAILURE re-runs only the failed step and what depends on it: every asset
#: writes the warehouse, so the steps that succeeded need not run again.
RUN_RETRY_TAGS = {"dagster/max_retries": "2", "dagster/retry_strategy": "FROM_FAILURE"}


def pull_retry_policy(settings: Settings) -> dg.RetryPolicy:
    """The retry policy of network-bound steps: exponential backoff with ± jitter, from settings."""
    return dg.RetryPolicy(
        max_retries=settings.pull_step_retries,
        delay=settings.pull_step_retry_delay_seconds,
        backoff=dg.Backoff.EXPONENTIAL,
        jitter=dg.Jitter.PLUS_MINUS,
    )


def retry_pull(retry_number: int, settings: Settings, error: Exception) -> NoReturn:
    """Ask Dagster to run the step again after the policy's pause, or re-raise ``error``.

    ``retry_number`` is the step's ``context.retry_number`` (0 on the first attempt). The pause
    before retry *n* (1-based) is ``(2**n - 1) × delay ± delay``: with the default 60 s, about
    1, 3 and 7 minutes.
    """
    policy = pull_retry_policy(settings)
    if retry_number >= policy.max_retries:
        raise error
    wait = max(0.0, float(policy.calculate_delay(retry_number + 1)))
    raise dg.RetryRequested(max_retries=policy.max_retries, seconds_to_wait=wait) from error
