"""Submit field data (members only): a team lead uploads a sheet, sees what will load, submits it.

The upload is checked in memory by the pipeline's own code (reading, PII guard, totals rows,
validation beside the folder's files — ``pipelines/defs/field_data/submission.py``) and nothing
is written until **Submit**; a refused file is never written at all. Submitting saves the file
atomically under ``ODW_RAW_DIR/<source>/`` with the submitter, time and checksum in its name; the
file sensor then loads it, or — with ``ODW_DAGSTER_URL`` set — the member starts the field-data
job from here and follows the run.
"""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime

import streamlit as st
from streamlit.logger import get_logger

from dashboards.components import access, data, submission_view
from dashboards.components.table_display import show_table
from dashboards.components.dagster_runs import RunError, launch_field_data_job, run_state
from pipelines.defs.field_data.schema import SPECS
from pipelines.defs.field_data.submission import preview_upload, save_submission, submitter_slug
from pipelines.defs.field_data.templates import TEMPLATE_DIR
from pipelines.settings import load_settings

log = get_logger("dashboards.submit_field_data")
_PREVIEW_KEY = "odw_submit_preview"
_SAVED_KEY = "odw_submit_saved"
_RUN_KEY = "odw_submit_run"

settings = load_settings()
st.title("Submit field data")
if not access.is_member():
    st.warning("Submitting field data is for signed-in task-force members.", icon=":material/lock:")
    st.stop()

st.caption(
    "Upload a test-strip, outreach or hot-spot sheet (CSV or XLSX, as saved by Excel or Google "
    "Sheets). It is checked here, by the same rules as the pipeline, before anything is saved; "
    "a sheet with personal data (names, birth dates, phone numbers, notes) is refused and never stored."
)
source = st.segmented_control(
    "Source", list(submission_view.SOURCE_LABELS), format_func=submission_view.SOURCE_LABELS.get,
    default="test_strips", key="odw_submit_source", required=True,
)
spec = SPECS[source]
with st.expander(f"Template for {submission_view.SOURCE_LABELS[source].lower()}"):
    st.caption(f"Columns: {', '.join(c.name for c in spec.columns)}. Extra columns are ignored unless they "
               "look personal, which refuses the file.")
    for extension in ("xlsx", "csv"):
        template = TEMPLATE_DIR / f"{source}.{extension}"
        if template.exists():
            st.download_button(f"{source}.{extension}", template.read_bytes(), file_name=template.name,
                               key=f"odw_template_{source}_{extension}", icon=":material/download:")

upload = st.file_uploader(
    "Your sheet", key=f"odw_submit_file_{source}",
    max_upload_size=submission_view.upload_limit_mb(settings),
    help=f"CSV or XLSX, at most {settings.upload_max_bytes / 1_000_000:.1f} MB.",
)
if upload is None:
    st.session_state.pop(_PREVIEW_KEY, None)
    st.stop()

raw = upload.getvalue()
digest = hashlib.sha256(raw).hexdigest()
email = access.signed_in_email()
cache_key = (source, upload.name, digest)
cached = st.session_state.get(_PREVIEW_KEY)
if cached is None or cached[0] != cache_key:
    try:
        version = data.db_version(settings.app_db)
        areas = submission_view.area_index(version)
    except data.AppDbUnavailable as exc:
        st.error(f"The sheet cannot be checked yet: {exc}", icon=":material/database_off:")
        st.stop()
    with st.spinner("Checking the sheet …"):
        preview = preview_upload(settings, spec, raw, upload.name, email, areas=areas, now=datetime.now(UTC))
    st.session_state[_PREVIEW_KEY] = (cache_key, preview)
    st.session_state.pop(_SAVED_KEY, None)
else:
    preview = cached[1]

outcome = preview.outcome
if not preview.accepted:
    st.error(f"**Refused — nothing was saved.** {outcome.refusal}", icon=":material/block:")
    st.caption("Fix the sheet and upload it again. Refusals name columns and rows, never their values.")
    st.stop()

loads, quarantined = outcome.rows_loaded, outcome.rows_quarantined
left, middle, right = st.columns(3)
left.metric("Data rows", f"{outcome.rows_in:,}")
middle.metric("Will load", f"{loads:,}")
right.metric("Will be quarantined", f"{quarantined:,}")
for line in submission_view.summary(preview):
    st.markdown(line)
if quarantined:
    st.subheader("Rows that will not load", anchor=False)
    show_table(submission_view.quarantine_table(preview))
if loads:
    with st.expander(f"Rows that will load ({loads:,})", expanded=not quarantined):
        show_table(submission_view.loaded_table(preview))

saved = st.session_state.get(_SAVED_KEY)
if saved is None:
    st.caption(f"It will be saved as `{preview.name}` (sent by {submitter_slug(email)}).")
    if st.button("Submit", type="primary", icon=":material/upload:", key="odw_submit_button"):
        path = save_submission(settings, preview, raw)
        log.info("field-data file submitted: %s/%s (%d rows: %d load, %d quarantined)", source, path.name,
                 outcome.rows_in, loads, quarantined)
        st.session_state[_SAVED_KEY] = path.name
        st.session_state.pop(_RUN_KEY, None)
        st.rerun()
    st.stop()

st.success(f"Saved as `{saved}` in the {submission_view.SOURCE_LABELS[source].lower()} folder.",
           icon=":material/check_circle:")
st.markdown(submission_view.arrival_text(settings))
if not settings.dagster_url:
    st.stop()

if _RUN_KEY not in st.session_state and st.button("Load it now", icon=":material/play_arrow:", key="odw_submit_run"):
    try:
        st.session_state[_RUN_KEY] = launch_field_data_job(settings.dagster_url, submitted_file=f"{source}/{saved}")
        log.info("field-data job started from the dashboard: run %s", st.session_state[_RUN_KEY].run_id)
    except RunError as exc:
        st.error(str(exc), icon=":material/error:")


@st.fragment(run_every=3)
def _run_status() -> None:
    state = st.session_state.get(_RUN_KEY)
    if state is None:
        return
    if not state.finished:
        try:
            state = st.session_state[_RUN_KEY] = run_state(settings.dagster_url, state.run_id)
        except RunError as exc:
            st.warning(str(exc), icon=":material/error:")
            return
    icon = {"SUCCESS": ":material/check_circle:", "FAILURE": ":material/error:"}.get(state.status, ":material/sync:")
    st.markdown(f"{icon} Field-data run [{state.run_id[:8]}]({state.link}): **{state.text}**.")


_run_status()
