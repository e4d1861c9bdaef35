"""Dagster assets: the monthly meeting pack, the weekly e-blast and team briefs, built from the published marts.

Both read the dashboard's published database read-only (after ``app/published_db``), so the
reports show exactly what the public dashboard shows, with the same suppression. Files go under
``ODW_OUTPUT_DIR`` with dated names, written atomically.
"""

from datetime import UTC, datetime

import dagster as dg

from pipelines.defs.reports import content as report_content
from pipelines.defs.reports import eblast as eblast_module
from pipelines.defs.reports import team_brief
from pipelines.defs.reports.pack import (
    SLIDE_TITLES,
    pack_file_stem,
    pack_slides,
    render_pdf,
    render_pptx,
    write_atomic,
)
from pipelines.defs.reports.pack_inputs import is_unchanged, pack_digest, sidecar
from pipelines.defs.resources import SettingsResource
from pipelines.warehouse import query_sql_file

PUBLISHED_DB = dg.AssetKey(["app", "published_db"])


@dg.asset(
    name="meeting_pack",
    deps=[PUBLISHED_DB],
    group_name="reports",
    kinds={"python", "pdf"},
    description="Monthly meeting pack for the task force: a 16:9 PowerPoint deck and the same slides "
    "as PDF, for the last complete month of data (ODW_OUTPUT_DIR/meeting_pack/).",
)
def meeting_pack(context: dg.AssetExecutionContext, settings: SettingsResource) -> dg.MaterializeResult:
    cfg = settings.get()
    with report_content.connect(cfg.app_db) as con:
        content = report_content.build_pack_content(con)
    folder = cfg.output_dir / "meeting_pack"
    stem = pack_file_stem(content)
    pptx, pdf = folder / f"{stem}.pptx", folder / f"{stem}.pdf"
    digest = pack_digest(content)
    if not cfg.rebuild_unchanged and is_unchanged(folder, stem, digest):
        # Same numbers, same code: the files on disk are what this run would write.
        context.log.info(f"Meeting pack for {content.month:%Y-%m}: unchanged ({pptx} and {pdf} kept)")
        status, slides = "unchanged", len(SLIDE_TITLES)
    else:
        pack = pack_slides(content)
        write_atomic(pptx, render_pptx(pack))
        write_atomic(pdf, render_pdf(pack))
        # Written last: a run killed before this point builds the pack again next time.
        write_atomic(sidecar(folder, stem), digest.encode())
        context.log.info(f"Meeting pack for {content.month:%Y-%m}: {pptx} and {pdf}")
        status, slides = "built", len(pack.slides)
    return dg.MaterializeResult(
        metadata={
            "month": content.month.strftime("%Y-%m"),
            "pptx": dg.MetadataValue.path(str(pptx)),
            "pdf": dg.MetadataValue.path(str(pdf)),
            "pack": status,
            "inputs_sha256": digest,
            "slides": slides,
            "synthetic": content.meta.any_synthetic,
            **{f"headline:{key}": value for key, value in content.headline.items()},
        }
    )


@dg.asset(
    name="weekly_eblast",
    deps=[PUBLISHED_DB],
    group_name="reports",
    kinds={"python", "html"},
    description="Weekly e-blast for the latest complete Monday–Sunday week: e-mail-ready HTML (inline "
    "CSS, embedded chart) and plain text (ODW_OUTPUT_DIR/eblast/); e-mailed once per week when "
    "ODW_EBLAST_SEND=true.",
)
def weekly_eblast(context: dg.AssetExecutionContext, settings: SettingsResource) -> dg.MaterializeResult:
    cfg = settings.get()
    with report_content.connect(cfg.app_db) as con:
        content = report_content.build_eblast_content(con)
    built = eblast_module.build_eblast(content, eblast_module.chart_for(content))
    folder = cfg.output_dir / "eblast"
    paths = eblast_module.write_eblast(built, content, folder)
    status = eblast_module.deliver_once(built, content, cfg, folder)
    context.log.info(f"E-blast for the week of {built.week_label}: {paths['html']} (e-mail: {status})")
    return dg.MaterializeResult(
        metadata={
            "week": content.week.isoformat(),
            "html": dg.MetadataValue.path(str(paths["html"])),
            "txt": dg.MetadataValue.path(str(paths["txt"])),
            "email": status,
            "synthetic": content.meta.any_synthetic,
            **{f"headline:{key}": value for key, value in eblast_module.headline(content).items()},
        }
    )


@dg.asset(
    name="team_briefs",
    deps=[PUBLISHED_DB],
    group_name="reports",
    kinds={"python", "pdf"},
    description="Weekly team briefs (member content): one letter page per outreach team with its top "
    "places for the week after the newest data, a small map, strips, kits, reversals and alerts "
    "(ODW_OUTPUT_DIR/briefs/<week>/<team>.pdf and all_teams.pdf). Built on Monday with the e-blast.",
)
def team_briefs(context: dg.AssetExecutionContext, settings: SettingsResource) -> dg.MaterializeResult:
    cfg = settings.get()
    with report_content.connect(cfg.app_db) as con:
        briefs = team_brief.build_briefs(
            query_sql_file(con, "reports/brief_places.sql").pl(),
            query_sql_file(con, "reports/brief_teams.sql").pl(),
            query_sql_file(con, "reports/brief_hotspots.sql").pl(),
        )
    generated = f"made {datetime.now(UTC):%Y-%m-%d %H:%M} UTC"
    paths = team_brief.write_briefs(briefs, cfg.output_dir / team_brief.BRIEFS_FOLDER, generated)
    context.log.info(f"Team briefs: {len(briefs)} teams in {cfg.output_dir / team_brief.BRIEFS_FOLDER}")
    return dg.MaterializeResult(
        metadata={
            "rows": len(briefs),
            "week": briefs[0].week_start.isoformat() if briefs else "none",
            "pdf": dg.MetadataValue.path(str(paths[team_brief.ALL_TEAMS])) if paths else "none",
        }
    )
