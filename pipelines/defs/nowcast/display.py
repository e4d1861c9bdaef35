"""How a nowcast is written for the public: one wording for the dashboard, the pack and the e-blast.

Suppression applies to every number: the reported count, the expected count and each bound is a
count, shown as "<10" from 1 to one less than the threshold. Only the expected count and its
range are shown beside the reported count, never their difference (which, with a visible expected
count, would give a hidden reported count back), and never the completeness the model learnt.
"""

from __future__ import annotations

import math

from pipelines.defs.epidemiology.suppression import display_count

#: What the ranges are, for captions and footnotes.
RANGE_NOTE = (
    "Expected: the count once toxicology closes, nowcast from how past months filled in; the "
    "90% range holds the final count 9 times in 10 in the backtest's terms."
)


def _count(value: float | None) -> int | None:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return None
    return int(round(value))


def expected_text(expected: float | None, lower_90: float | None, upper_90: float | None, threshold: int) -> str:
    """``"expected ≈ 38, 90% range 33–45"`` (suppressed numbers as ``"<10"``)."""
    exp, low, high = (_count(v) for v in (expected, lower_90, upper_90))
    if exp is None:
        return "no expected count"
    text = f"expected ≈ {display_count(exp, threshold)}"
    if low is not None and high is not None:
        text += f", 90% range {display_count(low, threshold)}–{display_count(high, threshold)}"
    return text


def month_sentence(month_label: str, reported: float | None, expected: float | None, lower_90: float | None,
                   upper_90: float | None, threshold: int) -> str:
    """``"Oct 2026: 31 so far; expected ≈ 38, 90% range 33–45"``."""
    so_far = display_count(_count(reported) or 0, threshold)
    return f"{month_label}: {so_far} so far; {expected_text(expected, lower_90, upper_90, threshold)}"


def public_value(value: float | None, threshold: int) -> float | None:
    """A nowcast number for a chart: None when it is missing or would be suppressed (1 to threshold − 1)."""
    count = _count(value)
    if count is None or 1 <= count < threshold:
        return None
    return float(count)


def not_shown_text(reason: str | None) -> str:
    """Why the expected counts are not shown, as a sentence."""
    return f"Expected counts for the provisional months are not shown yet: the nowcast {reason}." if reason else ""
