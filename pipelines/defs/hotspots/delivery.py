"""Delivering new spike alerts by webhook and e-mail — both off unless configured.

* Webhook: ``ODW_ALERT_WEBHOOK_URL`` (http or https). One JSON POST per sensor tick with a ``text``
  field (what Slack- and Teams-style incoming webhooks display) and an ``alerts`` list.
* E-mail: ``ODW_SMTP_HOST`` and ``ODW_SMTP_TO`` (comma-separated) turn it on; ``ODW_SMTP_PORT``
  (587; 465 means implicit TLS), ``ODW_SMTP_USER`` with ``SMTP_PASSWORD``, ``ODW_SMTP_FROM`` and
  ``ODW_SMTP_STARTTLS`` (default on) configure it.

Messages carry only what the public alert badges hold: place, period, type, severity, methods and
the suppressed observed count ("<10") — never expected values or case details — because e-mail and
chat channels are not access-controlled like the warehouse.
"""

from __future__ import annotations

import smtplib
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from email.message import EmailMessage
from typing import Any

import requests

from pipelines.defs.smtp import send_message
from pipelines.settings import Settings

#: Seconds to wait for a webhook or mail server before counting the delivery as failed.
TIMEOUT_SECONDS = 10.0
SERIES_NAMES = {"overdose_deaths": "overdose deaths", "positive_test_strips": "positive test strips"}
METHOD_NAMES = {
    "ears_c1": "EARS C1",
    "ears_c2": "EARS C2",
    "ears_c3": "EARS C3",
    "farrington_glm": "seasonal regression",
}


@dataclass(frozen=True)
class Delivery:
    """Outcome of one channel: ``status`` is ``sent``, ``failed`` or ``off``."""

    channel: str
    status: str
    detail: str = ""


def describe(badge: dict[str, Any]) -> str:
    """One line in plain words, e.g. "Austin — initial spike (high): overdose deaths, week of 2026-04-13: 12 (EARS C2)"."""
    period = badge["period"].isoformat() if isinstance(badge["period"], date) else str(badge["period"])
    when = f"week of {period}" if badge["granularity"] == "week" else period
    methods = ", ".join(METHOD_NAMES.get(m.strip(), m.strip()) for m in str(badge["methods"]).split(","))
    series = SERIES_NAMES.get(badge["series"], badge["series"])
    return (
        f"{badge['area']} — {badge['alert_type']} ({badge['severity']}): {series}, {when}: "
        f"{badge['observed_display']} ({methods})"
    )


def message(badges: Sequence[dict[str, Any]]) -> tuple[str, str]:
    """Subject and plain-text body for a batch of new alerts."""
    count = len(badges)
    subject = f"West Side Overdose Watch: {count} new spike alert{'s' if count != 1 else ''}"
    lines = [describe(b) for b in badges]
    body = "\n".join(
        [
            f"{count} new spike alert{'s' if count != 1 else ''} from West Side Overdose Watch:",
            "",
            *(f"- {line}" for line in lines),
            "",
            (
                'Small counts are shown as "<10" (below the publication threshold). Recent weeks are '
                "provisional: deaths awaiting toxicology are not counted yet."
            ),
        ]
    )
    return subject, body


def payload(badges: Sequence[dict[str, Any]]) -> dict[str, Any]:
    """The webhook's JSON body: ``text`` (the message) and ``alerts`` (the badges, dates as ISO text)."""
    _, body = message(badges)
    alerts = [{k: (v.isoformat() if isinstance(v, date) else v) for k, v in b.items()} for b in badges]
    return {"text": body, "source": "West Side Overdose Watch", "alerts": alerts}


def post_webhook(url: str, body: dict[str, Any], timeout: float = TIMEOUT_SECONDS) -> None:
    """POST ``body`` as JSON to ``url``; raises on a network error or a non-2xx answer."""
    response = requests.post(url, json=body, timeout=timeout)
    response.raise_for_status()


def send_email(settings: Settings, subject: str, body: str, timeout: float = TIMEOUT_SECONDS) -> None:
    """Send a plain-text e-mail through the configured SMTP server; raises on failure."""
    mail = EmailMessage()
    mail["Subject"] = subject
    mail["From"] = settings.smtp_from
    mail["To"] = ", ".join(settings.smtp_to)
    mail.set_content(body)
    send_message(settings, mail, timeout)


def email_enabled(settings: Settings) -> bool:
    """E-mail is on when both a server and at least one recipient are configured."""
    return bool(settings.smtp_host and settings.smtp_to)


def deliver(badges: Sequence[dict[str, Any]], settings: Settings) -> list[Delivery]:
    """Send ``badges`` over every configured channel; a failing channel is reported, not raised."""
    if not badges:
        return []
    results = []
    if settings.alert_webhook_url:
        try:
            post_webhook(settings.alert_webhook_url, payload(badges))
            results.append(Delivery("webhook", "sent"))
        except requests.RequestException as exc:
            # The URL may carry a secret token: report the error type and status only.
            status = getattr(getattr(exc, "response", None), "status_code", None)
            results.append(
                Delivery("webhook", "failed", f"{type(exc).__name__}{f' (HTTP {status})' if status else ''}")
            )
    else:
        results.append(Delivery("webhook", "off"))
    if email_enabled(settings):
        subject, body = message(badges)
        try:
            send_email(settings, subject, body)
            results.append(Delivery("email", "sent"))
        except (smtplib.SMTPException, OSError) as exc:
            results.append(Delivery("email", "failed", f"{type(exc).__name__}: {exc}"))
    else:
        results.append(Delivery("email", "off"))
    return results
