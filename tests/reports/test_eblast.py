"""The weekly e-blast built by the demo pipeline: self-contained HTML, its text twin, sending."""

from __future__ import annotations

import email
import re
from dataclasses import replace
from datetime import date
from email import policy
from pathlib import Path

import duckdb
import pytest

from pipelines.defs.reports import content as report_content
from pipelines.defs.reports import eblast
from pipelines.defs.reports.links import RESOURCES
from pipelines.settings import load_settings

WEEK = date(2026, 10, 19)  # the demo data end on Saturday 31 Oct 2026: last full week 19–25 Oct


@pytest.fixture(scope="module")
def files(report_dir: Path) -> tuple[str, str]:
    stem = report_dir / "eblast" / f"overdose_watch_eblast_{WEEK.isoformat()}"
    return stem.with_suffix(".html").read_text(encoding="utf-8"), stem.with_suffix(".txt").read_text(encoding="utf-8")


@pytest.fixture(scope="module")
def built(demo_app_db: Path) -> tuple[report_content.EblastContent, eblast.Eblast]:
    with duckdb.connect(str(demo_app_db), read_only=True) as con:
        content = report_content.build_eblast_content(con)
    return content, eblast.build_eblast(content, eblast.chart_for(content))


def test_html_is_self_contained_with_inline_css(files: tuple[str, str]) -> None:
    html, _ = files
    sources = re.findall(r'<img[^>]*\ssrc="([^"]+)"', html)
    assert sources and all(src.startswith("data:image/png;base64,") for src in sources)
    assert not re.search(r"<(script|link|style|iframe)\b", html, re.I)
    assert not re.search(r"url\(", html)
    # Every external reference is a plain link a reader clicks, never something loaded.
    assert set(re.findall(r'\s(?:src|href)="(https?://[^"]+)"', html)) == {r.url for r in RESOURCES}
    assert "SYNTHETIC DEMO DATA" in html


def test_html_and_text_carry_the_resources_and_the_same_numbers(files, built, demo_app_db: Path) -> None:
    html, text = files
    content, _ = built
    for resource in RESOURCES:
        assert f'href="{resource.url}"' in html and resource.url in text
    ((deaths,),) = duckdb.connect(str(demo_app_db), read_only=True).execute(
        """SELECT coalesce(sum(deaths), 0) FROM marts.overdose_deaths_weekly
           WHERE in_region AND place = 'Chicago' AND drug = 'all' AND week = ?""", [WEEK]
    ).fetchall()
    ((alerts,),) = duckdb.connect(str(demo_app_db), read_only=True).execute(
        "SELECT count(*) FROM marts.alert_badges WHERE granularity = 'week' AND period = ?", [WEEK]
    ).fetchall()
    assert content.week == WEEK and content.week_deaths == ("<10" if 1 <= deaths <= 9 else f"{deaths:,}")
    assert f"Overdose deaths, West Side, 19–25 Oct 2026: {content.week_deaths} (provisional" in text
    assert f"Spike alerts this week: {alerts}" in text and alerts == len(content.alerts) > 0
    for kpi in content.kpis:
        assert f"{kpi.label}: {kpi.value}" in text
        assert f">{kpi.value}</div>" in html
    # Monthly lines: every count is 0, at least 10, or hidden.
    for value in re.findall(r"^- \w{3} \d{4}: (\S+)", text, re.M):
        assert value in ("<10", "*", "0") or int(value.replace(",", "")) >= 10
    assert "<10" in text


def test_email_uses_cid_images_and_a_text_part(built) -> None:
    _, blast = built
    mail = eblast.email_message(blast, "watch@example.org", ("a@example.org",))
    assert mail.get_content_type() == "multipart/alternative"
    plain, related = mail.get_payload()
    assert plain.get_content_type() == "text/plain" and "GET HELP" in plain.get_content()
    assert related.get_content_type() == "multipart/related"
    html_part, image = related.get_payload()
    html = html_part.get_content()
    assert "data:image" not in html
    (cid,) = re.findall(r'src="cid:([^"]+)"', html)
    assert image.get_content_type() == "image/png" and image["Content-ID"] == f"<{cid}>"
    assert image.get_payload(decode=True).startswith(b"\x89PNG")


def test_sending_is_off_by_default(built, tmp_path: Path) -> None:
    content, blast = built
    settings = load_settings({"ODW_SMTP_HOST": "127.0.0.1", "ODW_SMTP_TO": "a@example.org"})
    assert not settings.eblast_send
    assert eblast.deliver_once(blast, content, settings, tmp_path) == "off"


def test_send_to_a_local_server_once_per_week(built, smtp_server, tmp_path: Path) -> None:
    content, blast = built
    port, received = smtp_server
    settings = load_settings({
        "ODW_SMTP_HOST": "127.0.0.1", "ODW_SMTP_PORT": str(port), "ODW_SMTP_STARTTLS": "false",
        "ODW_SMTP_FROM": "watch@example.org", "ODW_SMTP_TO": "alerts@example.org",
        "ODW_EBLAST_SEND": "true", "ODW_EBLAST_TO": "members@example.org, chair@example.org",
    })
    assert eblast.deliver_once(blast, content, settings, tmp_path) == "sent to 2 recipients"
    assert eblast.deliver_once(blast, content, settings, tmp_path) == "already sent"
    (message,) = received.items
    assert message["rcpt"] == ["members@example.org", "chair@example.org"]
    parsed = email.message_from_string(message["data"], policy=policy.default)
    assert parsed["Subject"] == blast.subject
    assert parsed.get_body(("plain",)).get_content().replace("\r\n", "\n") == blast.text
    assert "cid:" in parsed.get_body(("html",)).get_content()


def test_a_failing_server_is_reported_and_retried_next_time(built, tmp_path: Path) -> None:
    content, blast = built
    settings = replace(load_settings({}), smtp_host="127.0.0.1", smtp_port=9, smtp_starttls=False,
                       eblast_send=True, smtp_to=("a@example.org",))
    assert eblast.deliver_once(blast, content, settings, tmp_path).startswith("failed: ")
    assert not (tmp_path / ".sent").exists()
