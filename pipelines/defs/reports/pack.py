"""The monthly meeting pack: one list of slides, rendered twice — PowerPoint and PDF.

:func:`pack_slides` turns :class:`~.content.PackContent` into :class:`Slide` objects (text and
chart pictures, nothing else); :func:`render_pptx` lays them out with python-pptx and
:func:`render_pdf` draws the same layout, page for page, with matplotlib (python-pptx cannot
export PDF and no office suite is installed). Both renderers use the same geometry, so the PDF is
the deck as projected. 16:9, large type (≥ 18 pt body text, 40 pt headline numbers), dark text on
white, and a "Synthetic demo data" badge on every slide when any number is synthetic.
"""

from __future__ import annotations

import os
from datetime import datetime
from pathlib import Path

from pipelines.defs.epidemiology.suppression import SECONDARY_FOOTNOTE, SECONDARY_MARK
from pipelines.defs.reports import figures
from pipelines.defs.reports.content import PackContent
from pipelines.defs.reports.pack_pdf import render_pdf
from pipelines.defs.reports.pack_pptx import render_pptx
from pipelines.defs.reports.published import OUTREACH_MEASURES
from pipelines.defs.reports.slide_layout import SIDE_IMAGE, Pack, Slide
from pipelines.defs.reports.wording import add_months, format_month, format_pct, format_week
from pipelines.formatting import format_period, format_short_month

SLIDE_TITLES = (
    "Monthly meeting pack",
    "Headline numbers",
    "Where: the West Side map",
    "Trend: overdose deaths per month",
    "Drugs involved",
    "Fentanyl and xylazine test strips",
    "Outreach activity",
    "Current alerts and hot spots",
    "Definitions and sources",
)


def pack_file_stem(content: PackContent) -> str:
    """``overdose_watch_meeting_pack_2026-10``."""
    return f"overdose_watch_meeting_pack_{content.month:%Y-%m}"


def pack_slides(content: PackContent) -> Pack:
    """The meeting pack's slides for ``content`` (pure: same content, same slides)."""
    meta = content.meta
    month = format_month(content.month)
    window = format_period(content.window_start, content.month)
    previous_window = format_period(add_months(content.window_start, -12), add_months(content.month, -12))
    threshold = meta.threshold
    provisional_from = meta.provisional_from
    slides: list[Slide] = []
    cover = (
        f"{meta.region_label} Heroin/Opioid Task Force",
        f"{month}",
        f"Medical Examiner data {format_short_month(meta.data_from)} to {meta.data_to:%-d %b %Y}, "
        f"refreshed {meta.refreshed}",
    )
    if meta.any_synthetic:
        cover += ("SYNTHETIC DEMO DATA — these numbers describe no real person.",)
    slides.append(Slide(SLIDE_TITLES[0], cover=cover))

    unknown = content.region_unknown_age
    slides.append(Slide(
        SLIDE_TITLES[1], kpis=content.kpis,
        note=f"Provisional: {format_period(provisional_from, meta.data_to.replace(day=1))} "
             f"(toxicology pending; counts will rise). Counts of 1–{threshold - 1} are shown as "
             f"<{threshold}. Rates per 100,000 residents (2020 Census) per year, 95% CI in brackets; "
             "age-adjusted to the 2000 US standard population"
             + (f" ({unknown} {meta.region_label} deaths of unknown age left out)." if unknown not in (None, "0")
                else "."),
    ))

    region = content.areas.filter(content.areas.get_column("in_region"))
    ranked = region.filter(region.get_column("rate").is_not_null()).sort("rate", descending=True)
    map_bullets = [f"{meta.region_label}: {content.headline['window_deaths']} overdose deaths, {window}."]
    if not ranked.is_empty():
        top = ranked.head(3)
        map_bullets.append("Highest rates: " + "; ".join(
            f"{r['community_area']} {r['rate']:,.0f}" for r in top.iter_rows(named=True)) + " per 100,000.")
    if content.hot_spots:
        map_bullets.append(f"Hot spots of deaths ({content.hot_spot_window}): {', '.join(content.hot_spots)}.")
    map_bullets.append(f"Grey areas: 1–{threshold - 1} deaths, shown as <{threshold}.")
    slides.append(Slide(
        SLIDE_TITLES[2],
        image=figures.area_map(content.areas, meta, SIDE_IMAGE, window),
        bullets=tuple(map_bullets),
    ))

    trend = content.trend
    final = trend.filter(~trend.get_column("is_provisional"))
    trend_bullets = []
    if not final.is_empty():
        last = final.row(-1, named=True)
        trend_bullets.append(f"Latest final month, {format_month(last['month'])}: {last['deaths_display']} deaths.")
    trend_bullets.append(
        f"{format_period(provisional_from, meta.data_to.replace(day=1))} are provisional: "
        "deaths waiting for toxicology are not counted yet."
    )
    trend_bullets.append(f"Fentanyl was involved in {content.headline['fentanyl_share']} of deaths, {window}.")
    slides.append(Slide(
        SLIDE_TITLES[3],
        image=figures.trend_chart(trend, meta, SIDE_IMAGE),
        bullets=tuple(trend_bullets),
    ))

    drug_bullets = [f"{content.drug_total_display} overdose deaths, {window}."]
    for row in content.drugs.head(3).iter_rows(named=True):
        if row["share"] is not None:
            change = ""
            if row["previous_share"] is not None:
                change = f" (year before: {format_pct(row['previous_share'])})"
            drug_bullets.append(f"{row['label']}: {format_pct(row['share'])}{change}.")
    drug_bullets.append("One death can involve several drugs, so shares add up to more than 100%.")
    slides.append(Slide(
        SLIDE_TITLES[4],
        image=figures.drug_chart(content.drugs, meta, SIDE_IMAGE, window, previous_window),
        bullets=tuple(drug_bullets),
    ))

    slides.append(_strips_slide(content))
    slides.append(_outreach_slide(content))
    slides.append(_alerts_slide(content))
    slides.append(Slide(SLIDE_TITLES[8], bullets=definitions(content), bullet_pt=18))
    return Pack(
        slides=tuple(slides),
        footer=f"West Side Overdose Watch · Meeting pack {month}"
               + (" · Synthetic demo data" if meta.any_synthetic else ""),
        badge="SYNTHETIC DEMO DATA" if meta.any_synthetic else None,
        title=f"West Side Overdose Watch — meeting pack {month}",
        created=datetime.combine(meta.data_to, datetime.min.time()),
    )


def _strips_slide(content: PackContent) -> Slide:
    strips = content.strips
    if strips is None or strips.is_empty():
        return Slide(SLIDE_TITLES[5], bullets=("No test-strip results have been published yet.",))
    month = strips.filter(strips.get_column("month") == content.month)
    bullets = []
    for strip in ("fentanyl", "xylazine"):
        rows = month.filter(month.get_column("strip_type") == strip)
        name = strip.capitalize()
        if rows.is_empty():
            bullets.append(f"{name}: no strips read in {format_short_month(content.month)}.")
        elif rows.get_column("positivity")[0] is None:
            read, positive = rows.get_column("tests_read_display")[0], rows.get_column("positives_display")[0]
            few = "" if read.startswith("<") or read == SECONDARY_MARK else f", {positive} positive"
            bullets.append(f"{name}: {read} strips read{few} "
                           f"in {format_short_month(content.month)} — too few to show.")
        else:
            r = rows.row(0, named=True)
            bullets.append(
                f"{name}, {format_short_month(content.month)}: {format_pct(r['positivity'])} positive "
                f"(95% CI {format_pct(r['positivity_lower'])}–{format_pct(r['positivity_upper'])}) "
                f"of {r['tests_read_display']} strips read."
            )
    bullets.append("A positive strip means the drug was found in the sample people were about to use.")
    return Slide(SLIDE_TITLES[5], image=figures.strips_chart(strips, content.meta, SIDE_IMAGE),
                 bullets=tuple(bullets))


def _outreach_slide(content: PackContent) -> Slide:
    outreach = content.outreach
    if outreach is None or outreach.is_empty():
        return Slide(SLIDE_TITLES[6], bullets=("No outreach logs have been published yet.",))
    month = outreach.filter(outreach.get_column("month") == content.month)
    label = format_short_month(content.month)
    bullets = [f"{label}:"] if not month.is_empty() else [f"No outreach logged in {label}."]
    if not month.is_empty():
        row = month.row(0, named=True)
        bullets.append(f"{row['contacts_display']} contacts")
        for measure, name in OUTREACH_MEASURES.items():
            bullets.append(f"{row[f'{measure}_display']} {name[0].lower() + name[1:]}")
    return Slide(SLIDE_TITLES[6], image=figures.outreach_chart(outreach, content.meta, SIDE_IMAGE),
                 bullets=tuple(bullets))


def _alerts_slide(content: PackContent) -> Slide:
    header = ("Week", "Place", "Series", "Count", "Alert", "Severity")
    rows = [
        (format_week(a.week), a.area, a.series, a.observed, a.alert_type, a.severity)
        for a in content.alerts[:7]
    ]
    bullets = []
    if len(content.alerts) > 7:
        bullets.append(f"… and {len(content.alerts) - 7} more alerts in {format_month(content.month)} "
                       "(see the dashboard).")
    if not content.alerts:
        bullets.append(f"No weekly spike alert in {format_month(content.month)}.")
    if content.hot_spots:
        bullets.append(f"Hot spots of overdose deaths ({content.hot_spot_window}): {', '.join(content.hot_spots)}.")
    bullets.append("Alerts are a screening tool: check them against what outreach teams see.")
    return Slide(SLIDE_TITLES[7], table=(header, *rows) if rows else (), bullets=tuple(bullets))


def definitions(content: PackContent) -> tuple[str, ...]:
    """The definitions-and-sources slide's lines."""
    meta = content.meta
    lines = [
        f"Overdose death: a death the Medical Examiner attributes to drug poisoning (any intent), by "
        f"community area of occurrence. {meta.region_label}: the task-force region's areas; "
        "rest of Chicago: the other areas; Chicago: every death in the city, placed in an area or not.",
        "Crude rate: deaths per 100,000 residents per year (2020 Census), exact Poisson 95% CI; "
        "unreliable below 20 deaths.",
        "Age-adjusted rate: as if the area had the ages of the 2000 US standard population (eight "
        "bands; ACS 2016–2020 shares), Fay–Feuer 95% CI: compares areas with older or younger "
        "residents fairly. Deaths of unknown age are left out of it.",
        f"Provisional: the latest {meta.provisional_months} months of data; counts rise as toxicology "
        "results come in.",
        f"Privacy: counts of 1–{meta.threshold - 1} are shown as <{meta.threshold}. " + SECONDARY_FOOTNOTE,
        "Test-strip positivity: positive / strips read (invalid ones excluded), Wilson 95% CI.",
        f"Sources: {meta.source} (refreshed {meta.refreshed})"
        + (f"; {meta.field_source} (refreshed {meta.field_refreshed})" if meta.field_source else "")
        + ". Dashboard: West Side Overdose Watch.",
    ]
    return tuple(lines)


# ---- Files --------------------------------------------------------------------------------------


def write_atomic(path: Path, data: bytes) -> Path:
    """Write ``data`` to ``path`` through a temporary file and ``os.replace`` (readers never see half a file)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    tmp.write_bytes(data)
    os.replace(tmp, path)
    return path


def write_pack(content: PackContent, folder: Path) -> dict[str, Path]:
    """Build the deck and the PDF for ``content`` into ``folder``; returns ``{"pptx": ..., "pdf": ...}``."""
    pack = pack_slides(content)
    stem = pack_file_stem(content)
    return {
        "pptx": write_atomic(folder / f"{stem}.pptx", render_pptx(pack)),
        "pdf": write_atomic(folder / f"{stem}.pdf", render_pdf(pack)),
    }
