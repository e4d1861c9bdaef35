"""Meeting pack & e-blast: preview the weekly e-blast and download the latest reports.

The files come from the pipeline (``ODW_OUTPUT_DIR/meeting_pack/`` and ``/eblast/``). A pack for
another month is built on request from the published database, read-only, in memory: nothing is
written to the output folder or the warehouse from here.
"""

from __future__ import annotations

from datetime import date
from pathlib import Path

import streamlit as st

from dashboards.components import data
from pipelines.defs.reports import content as report_content
from pipelines.defs.reports.content import ReportDataUnavailable, add_months, format_month
from pipelines.defs.reports.outputs import latest_reports
from pipelines.defs.reports.pack import pack_file_stem, pack_slides, render_pdf, render_pptx
from pipelines.settings import load_settings

PAGE_TITLE = "Meeting pack & e-blast"
PPTX_MIME = "application/vnd.openxmlformats-officedocument.presentationml.presentation"
#: Months offered for an on-demand pack.
BUILD_MONTHS = 24


def _download(label: str, path, mime: str, key: str) -> None:
    st.download_button(label, data=path.read_bytes(), file_name=path.name, mime=mime,
                       icon=":material/download:", on_click="ignore", key=key)


@st.cache_data(show_spinner=False, max_entries=4)
def _complete_months(version: data.DbVersion) -> list[date]:
    """The complete months of data a pack can be built for, newest first."""
    with report_content.connect(Path(version.path)) as con:
        meta = report_content.read_meta(con)
    latest = report_content.last_complete_month(meta.data_to)
    first = max(meta.data_from.replace(day=1), add_months(latest, -(BUILD_MONTHS - 1)))
    months, month = [], latest
    while month >= first:
        months.append(month)
        month = add_months(month, -1)
    return months


@st.cache_data(show_spinner=False, max_entries=4)
def build_pack(version: data.DbVersion, month: date) -> tuple[str, bytes, bytes]:
    """File stem, .pptx and .pdf bytes of the pack for ``month``, from the published database."""
    with report_content.connect(Path(version.path)) as con:
        content = report_content.build_pack_content(con, month)
    pack = pack_slides(content)
    return pack_file_stem(content), render_pptx(pack), render_pdf(pack)


settings = load_settings()
st.title(PAGE_TITLE, anchor=False)
st.caption(
    "The monthly meeting pack (PowerPoint and PDF) and the weekly e-blast, built by the pipeline "
    f"from the same published numbers as this dashboard. Counts of 1–{settings.suppress_below - 1} "
    f"are shown as <{settings.suppress_below}."
)
try:
    version = data.db_version(settings.app_db)
    freshness = data.load_freshness(version)
except data.AppDbUnavailable as exc:
    st.error(str(exc), icon=":material/database_off:")
    st.stop()
if freshness.is_synthetic:
    st.warning("**Synthetic demo data.** The reports below describe no real person.", icon=":material/science:")

latest = latest_reports(settings.output_dir)

st.subheader("Monthly meeting pack", anchor=False)
if latest.pack_pptx:
    st.markdown(f"Latest pack: **{latest.pack_pptx.stem.removeprefix('overdose_watch_meeting_pack_')}**")
    columns = st.columns(2)
    with columns[0]:
        _download("Download the deck (.pptx)", latest.pack_pptx, PPTX_MIME, "pack-pptx")
    if latest.pack_pdf:
        with columns[1]:
            _download("Download the PDF", latest.pack_pdf, "application/pdf", "pack-pdf")
else:
    st.info(f"No meeting pack in `{settings.output_dir}` yet: run `make pipeline`, or build one below.",
            icon=":material/slideshow:")

with st.form("build-pack"):
    months = _complete_months(version)
    month = st.selectbox("Build a pack for another month", months, format_func=format_month)
    submitted = st.form_submit_button("Build now", icon=":material/build:")
if submitted and month is not None:
    with st.spinner(f"Building the pack for {format_month(month)}…"):
        try:
            st.session_state["built_pack"] = build_pack(version, month)
        except ReportDataUnavailable as exc:
            st.error(str(exc))
if "built_pack" in st.session_state:
    stem, pptx, pdf = st.session_state["built_pack"]
    st.success(f"Built `{stem}`.", icon=":material/check_circle:")
    columns = st.columns(2)
    with columns[0]:
        st.download_button("Download the built deck (.pptx)", data=pptx, file_name=f"{stem}.pptx",
                           mime=PPTX_MIME, icon=":material/download:", on_click="ignore", key="built-pptx")
    with columns[1]:
        st.download_button("Download the built PDF", data=pdf, file_name=f"{stem}.pdf", mime="application/pdf",
                           icon=":material/download:", on_click="ignore", key="built-pdf")

st.subheader("Weekly e-blast", anchor=False)
if latest.eblast_html:
    st.markdown(f"Latest e-blast: week starting **{latest.eblast_html.stem.removeprefix('overdose_watch_eblast_')}**. "
                "Sending by e-mail: " + ("**on**" if settings.eblast_send else "off (`ODW_EBLAST_SEND`)") + ".")
    columns = st.columns(2)
    with columns[0]:
        _download("Download the e-blast (.html)", latest.eblast_html, "text/html", "eblast-html")
    if latest.eblast_txt:
        with columns[1]:
            _download("Download the plain text (.txt)", latest.eblast_txt, "text/plain", "eblast-txt")
    # The HTML is the pipeline's own output (every value escaped), shown as the e-mail looks.
    st.iframe(latest.eblast_html.read_text(encoding="utf-8"), height=900)
else:
    st.info(f"No e-blast in `{settings.output_dir}` yet: run `make pipeline`.", icon=":material/mail:")
