"""The hot-spot and alert settings: defaults, environment, validation, secrets kept out of repr."""

from __future__ import annotations

import pytest

from pipelines.settings import load_settings


def test_defaults():
    s = load_settings({})
    assert s.h3_resolution == 8
    assert s.hotspot_permutations == 999 and s.hotspot_fdr == 0.05
    assert s.hotspot_window_months == 3 and s.emerging_steps == 12
    assert s.alert_min_sigma == 1.0 and s.alert_min_count == 3
    # Delivery is off unless configured.
    assert s.alert_webhook_url is None and s.smtp_host is None and s.smtp_to == ()
    assert s.smtp_port == 587 and s.smtp_starttls


def test_environment():
    s = load_settings(
        {
            "ODW_H3_RESOLUTION": "9",
            "ODW_HOTSPOT_PERMUTATIONS": "9999",
            "ODW_HOTSPOT_FDR": "0.1",
            "ODW_HOTSPOT_WINDOW_MONTHS": "6",
            "ODW_EMERGING_STEPS": "10",
            "ODW_ALERT_MIN_SIGMA": "0.5",
            "ODW_ALERT_MIN_COUNT": "2",
            "ODW_ALERT_WEBHOOK_URL": "https://hooks.example.org/services/T000/SECRET-TOKEN",
            "ODW_SMTP_HOST": "smtp.example.org",
            "ODW_SMTP_PORT": "465",
            "ODW_SMTP_USER": "watch",
            "SMTP_PASSWORD": "hunter2-secret",
            "ODW_SMTP_FROM": "watch@example.org",
            "ODW_SMTP_TO": "a@example.org, b@example.org,",
            "ODW_SMTP_STARTTLS": "no",
        }
    )
    assert (s.h3_resolution, s.hotspot_permutations, s.hotspot_fdr) == (9, 9999, 0.1)
    assert (s.hotspot_window_months, s.emerging_steps, s.alert_min_sigma, s.alert_min_count) == (
        6,
        10,
        0.5,
        2,
    )
    assert s.smtp_to == ("a@example.org", "b@example.org") and s.smtp_port == 465 and not s.smtp_starttls
    assert "SECRET-TOKEN" not in repr(s) and "hunter2-secret" not in repr(s)


@pytest.mark.parametrize(
    ("env", "message"),
    [
        ({"ODW_H3_RESOLUTION": "12"}, "ODW_H3_RESOLUTION"),
        ({"ODW_HOTSPOT_PERMUTATIONS": "99"}, "999"),
        ({"ODW_HOTSPOT_FDR": "0"}, "ODW_HOTSPOT_FDR"),
        ({"ODW_EMERGING_STEPS": "2"}, "ODW_EMERGING_STEPS"),
        ({"ODW_ALERT_MIN_COUNT": "0"}, "ODW_ALERT_MIN_COUNT"),
        ({"ODW_ALERT_WEBHOOK_URL": "ftp://example.org/x"}, "http"),
        ({"ODW_SMTP_PORT": "70000"}, "ODW_SMTP_PORT"),
    ],
)
def test_bad_values_fail_with_a_clear_message(env, message):
    with pytest.raises(ValueError, match=message):
        load_settings(env)
