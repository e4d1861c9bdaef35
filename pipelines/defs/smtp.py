"""Sending an e-mail through the configured SMTP server — the one way every notice and report goes out."""

from __future__ import annotations

import smtplib
import ssl
from email.message import EmailMessage

from pipelines.settings import Settings


def send_message(settings: Settings, mail: EmailMessage, timeout: float) -> None:
    """Send ``mail`` through ``settings``' SMTP server: implicit TLS on port 465, otherwise STARTTLS
    when ``smtp_starttls``; logs in when a user is set. Raises on failure."""
    context = ssl.create_default_context()
    if settings.smtp_port == 465:
        server: smtplib.SMTP = smtplib.SMTP_SSL(
            settings.smtp_host, settings.smtp_port, timeout=timeout, context=context
        )
    else:
        server = smtplib.SMTP(settings.smtp_host, settings.smtp_port, timeout=timeout)
    with server:
        if settings.smtp_port != 465 and settings.smtp_starttls:
            server.starttls(context=context)
        if settings.smtp_user:
            server.login(settings.smtp_user, settings.smtp_password or "")
        server.send_message(mail)
