"""The weekly e-blast: an e-mail-ready HTML summary, its plain-text twin, and optional sending.

HTML for e-mail clients: one 600-px table, every style inline (Gmail and Outlook drop ``<style>``
blocks and ignore most CSS), system fonts, no scripts and no external resources at all.
Images: the saved ``.html`` embeds the chart as a base64 ``data:`` PNG, so it is one
self-contained file that any browser and the dashboard preview show. Gmail and Outlook do not
display ``data:`` images in received mail, so :func:`email_message` turns each of them into a
``cid:`` inline attachment (``multipart/related``), which every common client shows.

Sending is off unless ``ODW_EBLAST_SEND=true`` and an SMTP server and recipients are configured
(``ODW_SMTP_*`` as for alert e-mails, recipients ``ODW_EBLAST_TO`` or else ``ODW_SMTP_TO``).
"""

from __future__ import annotations

import base64
import html
import re
import smtplib
from dataclasses import dataclass
from datetime import timedelta
from email.message import EmailMessage
from email.utils import make_msgid
from pathlib import Path

from pipelines.defs.epidemiology.suppression import SECONDARY_FOOTNOTE, SECONDARY_MARK
from pipelines.defs.reports import figures
from pipelines.defs.reports.content import EblastContent
from pipelines.defs.reports.links import RESOURCES
from pipelines.defs.reports.pack import write_atomic
from pipelines.defs.reports.wording import format_month, format_week
from pipelines.defs.smtp import send_message
from pipelines.formatting import format_short_month
from pipelines.settings import Settings

#: Seconds to wait for the mail server.
TIMEOUT_SECONDS = 20.0
FONT = "Arial, Helvetica, sans-serif"
INK, MUTED, ACCENT, WARN, TILE = "#1a1a1a", "#444444", "#0b5a8c", "#b33c00", "#f1f5f9"
_DATA_IMG = re.compile(r'src="data:image/png;base64,([A-Za-z0-9+/=]+)"')


@dataclass(frozen=True)
class Eblast:
    """One week's e-blast: subject, HTML and plain text."""

    week_label: str
    subject: str
    html: str
    text: str


def eblast_file_stem(content: EblastContent) -> str:
    """``overdose_watch_eblast_2026-10-19`` (the Monday of the week)."""
    return f"overdose_watch_eblast_{content.week:%Y-%m-%d}"


def recipients(settings: Settings) -> tuple[str, ...]:
    """Who gets the e-blast: ``ODW_EBLAST_TO``, else the alert recipients ``ODW_SMTP_TO``."""
    return settings.eblast_to or settings.smtp_to


def sending_enabled(settings: Settings) -> bool:
    """Sending is on only when switched on and a server and recipients are configured."""
    return bool(settings.eblast_send and settings.smtp_host and recipients(settings))


def _e(text: str) -> str:
    return html.escape(text, quote=True)


def _p(text: str, *, size: int = 16, colour: str = INK, bold: bool = False, margin: str = "0 0 12px 0") -> str:
    weight = "bold" if bold else "normal"
    return (f'<p style="margin:{margin};font-family:{FONT};font-size:{size}px;line-height:1.45;'
            f'color:{colour};font-weight:{weight};">{text}</p>')


def _h2(text: str) -> str:
    return (f'<h2 style="margin:24px 0 10px 0;font-family:{FONT};font-size:20px;line-height:1.3;'
            f'color:{INK};">{_e(text)}</h2>')


def _tile(label: str, value: str, detail: str, colour: str = ACCENT) -> str:
    return (
        f'<td valign="top" style="width:50%;padding:14px;background:{TILE};border:4px solid #ffffff;">'
        f'<div style="font-family:{FONT};font-size:14px;font-weight:bold;color:{INK};">{_e(label)}</div>'
        f'<div style="font-family:{FONT};font-size:32px;font-weight:bold;color:{colour};margin:6px 0;">'
        f'{_e(value)}</div>'
        f'<div style="font-family:{FONT};font-size:14px;color:{MUTED};">{_e(detail)}</div></td>'
    )


def build_eblast(content: EblastContent, chart_png: bytes) -> Eblast:
    """The HTML and text of one week's e-blast (pure: same content and chart, same output)."""
    meta = content.meta
    week = format_week(content.week)
    region = meta.region_label
    subject = f"West Side Overdose Watch — week of {week}" + (" [synthetic demo data]" if meta.any_synthetic else "")
    provisional = "provisional: deaths awaiting toxicology are not counted yet" if content.week_provisional else "final"
    month_label = format_month(content.month)
    alerts = [
        f"{a.area}: {a.alert_type} in {a.series.lower()} ({a.severity}), {a.observed} this week"
        for a in content.alerts
    ]
    spots = (f"Hot spots of overdose deaths ({content.hot_spot_window}): {', '.join(content.hot_spots)}."
             if content.hot_spots else "")
    four_weeks = f"{content.week - timedelta(weeks=4):%-d %b} – {content.week - timedelta(days=1):%-d %b %Y}"
    threshold = meta.threshold
    privacy = (f"Counts of 1–{threshold - 1} are shown as <{threshold} to protect privacy. Recent "
               f"weeks and months are provisional and will rise.")
    if (content.trend.get_column("deaths_display") == SECONDARY_MARK).any():
        privacy += " " + SECONDARY_FOOTNOTE
    sources = f"Sources: {meta.source}, refreshed {meta.refreshed}" + (
        f"; {meta.field_source}, refreshed {meta.field_refreshed}" if meta.field_source else "") + "."

    # ---- Plain text ----
    lines = [
        f"WEST SIDE OVERDOSE WATCH — WEEKLY UPDATE, {week.upper()}",
    ]
    if meta.any_synthetic:
        lines.append("SYNTHETIC DEMO DATA — these numbers describe no real person.")
    lines += [
        "",
        "THIS WEEK",
        f"- Overdose deaths, {region}, {week}: {content.week_deaths} ({provisional})",
        f"- The 4 weeks before ({four_weeks}): {content.previous_weeks}",
        f"- Spike alerts this week: {len(alerts)}",
        *(f"  * {a}" for a in alerts),
    ]
    if spots:
        lines.append(f"- {spots}")
    if content.kpis:
        lines += ["", f"FIELD DATA, {month_label.upper()}"]
        lines += [f"- {k.label}: {k.value} ({k.detail})" for k in content.kpis]
    trend = content.trend
    lines += ["", f"OVERDOSE DEATHS PER MONTH, {region.upper()}"]
    lines += [
        f"- {format_short_month(r['month'])}: {r['deaths_display']}"
        + ((f" (provisional; {r['expected_display']})" if r.get("expected_display") else " (provisional)")
           if r["is_provisional"] else "")
        for r in trend.iter_rows(named=True)
    ]
    lines += ["", "GET HELP"]
    lines += [f"- {r.topic}: {r.label} — {r.description} {r.url}" for r in RESOURCES]
    lines += ["", privacy, sources]
    text = "\n".join(lines) + "\n"

    # ---- HTML ----
    badge = ""
    if meta.any_synthetic:
        badge = (f'<div style="display:inline-block;margin-top:10px;padding:4px 10px;background:{WARN};'
                 f'color:#ffffff;font-family:{FONT};font-size:13px;font-weight:bold;">SYNTHETIC DEMO DATA — '
                 f'these numbers describe no real person</div>')
    alert_html = (
        "<ul style=\"margin:0 0 12px 20px;padding:0;\">" + "".join(
            f'<li style="font-family:{FONT};font-size:16px;line-height:1.45;color:{INK};">{_e(a)}</li>'
            for a in alerts) + "</ul>"
        if alerts else _p("No spike alert this week.")
    )
    tiles = [
        _tile(f"Overdose deaths, {region}, {week}", content.week_deaths,
              "Provisional — toxicology pending" if content.week_provisional else "Final count",
              WARN if content.week_provisional else ACCENT),
        _tile("Spike alerts this week", f"{len(alerts)}",
              f"{content.previous_weeks} deaths in the 4 weeks before"),
    ]
    field_rows = ""
    kpis = list(content.kpis)
    for i in range(0, len(kpis), 2):
        pair = kpis[i:i + 2]
        field_rows += "<tr>" + "".join(_tile(k.label, k.value, k.detail) for k in pair) + (
            "<td></td>" if len(pair) == 1 else "") + "</tr>"
    chart = base64.b64encode(chart_png).decode("ascii")
    resources = "".join(
        f'<li style="font-family:{FONT};font-size:16px;line-height:1.45;color:{INK};margin-bottom:6px;">'
        f'<strong>{_e(r.topic)}:</strong> <a href="{_e(r.url)}" style="color:{ACCENT};">{_e(r.label)}</a> — '
        f'{_e(r.description)}</li>'
        for r in RESOURCES
    )
    body = f"""<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{_e(subject)}</title>
</head>
<body style="margin:0;padding:0;background:#e9edf1;">
<table role="presentation" width="100%" cellpadding="0" cellspacing="0" border="0" style="background:#e9edf1;">
<tr><td align="center" style="padding:16px 8px;">
<table role="presentation" width="600" cellpadding="0" cellspacing="0" border="0" style="width:600px;max-width:100%;background:#ffffff;">
<tr><td style="padding:22px 24px;background:{ACCENT};">
<div style="font-family:{FONT};font-size:24px;font-weight:bold;color:#ffffff;">West Side Overdose Watch</div>
<div style="font-family:{FONT};font-size:17px;color:#ffffff;margin-top:4px;">Weekly update · week of {_e(week)}</div>
{badge}
</td></tr>
<tr><td style="padding:8px 24px 4px 24px;">
{_h2("This week")}
<table role="presentation" width="100%" cellpadding="0" cellspacing="0" border="0"><tr>{"".join(tiles)}</tr></table>
{_h2("Spike alerts")}
{alert_html}
{_p(_e(spots)) if spots else ""}
{(_h2(f"Field data, {month_label}") + '<table role="presentation" width="100%" cellpadding="0" cellspacing="0" border="0">' + field_rows + "</table>") if field_rows else ""}
{_h2("Trend")}
<img src="data:image/png;base64,{chart}" width="552" alt="{_e(f'Bar chart of monthly overdose deaths, {region}, with provisional months marked')}" style="display:block;width:100%;max-width:552px;height:auto;border:0;">
{_p(_e(privacy), size=13, colour=MUTED, margin="8px 0 0 0")}
{_h2("Get help")}
<ul style="margin:0 0 12px 20px;padding:0;">{resources}</ul>
</td></tr>
<tr><td style="padding:14px 24px 20px 24px;border-top:1px solid #d5dbe1;">
{_p(_e(sources), size=13, colour=MUTED)}
{_p("West Side Heroin/Opioid Task Force · West Side Overdose Watch", size=13, colour=MUTED, margin="0")}
</td></tr>
</table>
</td></tr>
</table>
</body>
</html>
"""
    return Eblast(week_label=week, subject=subject, html=body, text=text)


def chart_for(content: EblastContent) -> bytes:
    """The e-blast's chart: the region's monthly deaths, sized for a 600-px e-mail column."""
    return figures.trend_chart(content.trend, content.meta, (7.6, 4.6))


def write_eblast(eblast: Eblast, content: EblastContent, folder: Path) -> dict[str, Path]:
    """Write ``.html`` and ``.txt`` atomically into ``folder``; returns ``{"html": ..., "txt": ...}``."""
    stem = eblast_file_stem(content)
    return {
        "html": write_atomic(folder / f"{stem}.html", eblast.html.encode("utf-8")),
        "txt": write_atomic(folder / f"{stem}.txt", eblast.text.encode("utf-8")),
    }


def email_message(eblast: Eblast, sender: str, to: tuple[str, ...]) -> EmailMessage:
    """A ``multipart/alternative`` message: the text, and the HTML with its images as ``cid:`` parts."""
    mail = EmailMessage()
    mail["Subject"] = eblast.subject
    mail["From"] = sender
    mail["To"] = ", ".join(to)
    mail.set_content(eblast.text)
    images: list[tuple[str, bytes]] = []

    def to_cid(match: re.Match) -> str:
        cid = make_msgid(domain="overdose-watch.local")
        images.append((cid, base64.b64decode(match.group(1))))
        return f'src="cid:{cid[1:-1]}"'

    mail.add_alternative(_DATA_IMG.sub(to_cid, eblast.html), subtype="html")
    html_part = mail.get_payload()[1]
    for cid, data in images:
        html_part.add_related(data, maintype="image", subtype="png", cid=cid, filename="chart.png")
    return mail


def send(eblast: Eblast, settings: Settings, timeout: float = TIMEOUT_SECONDS) -> tuple[str, ...]:
    """Send ``eblast`` through the configured SMTP server; returns the recipients; raises on failure."""
    to = recipients(settings)
    mail = email_message(eblast, settings.smtp_from, to)
    send_message(settings, mail, timeout)
    return to


def headline(content: EblastContent) -> dict[str, str]:
    """The e-blast's headline numbers (for run metadata and tests)."""
    numbers = {
        "week": content.week.isoformat(),
        "week_deaths": content.week_deaths,
        "previous_4_weeks_deaths": content.previous_weeks,
        "alerts": str(len(content.alerts)),
    }
    numbers.update({k.key: k.value for k in content.kpis})
    return numbers



def deliver_once(eblast: Eblast, content: EblastContent, settings: Settings, folder: Path) -> str:
    """E-mail the e-blast unless sending is off or this week's was already sent.

    A marker file under ``folder/.sent/`` records a sent week, so a pipeline that runs several times
    a week e-mails each week once. A failure is reported (``"failed: …"``), not raised: the files
    are written already, and with no marker the next run tries again.
    """
    if not sending_enabled(settings):
        return "off"
    marker = folder / ".sent" / f"{eblast_file_stem(content)}.sent"
    if marker.exists():
        return "already sent"
    try:
        to = send(eblast, settings)
    except (smtplib.SMTPException, OSError) as exc:
        return f"failed: {type(exc).__name__}: {exc}"
    write_atomic(marker, ("\n".join(to) + "\n").encode("utf-8"))
    return f"sent to {len(to)} recipient{'s' if len(to) != 1 else ''}"
