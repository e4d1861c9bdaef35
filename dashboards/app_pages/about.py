"""About the data: where the numbers come from, how fresh they are, and how they are defined."""

from __future__ import annotations

import streamlit as st

from dashboards.components import data
from pipelines.settings import load_settings

settings = load_settings()
st.title("About the data")

try:
    version = data.db_version(settings.app_db)
    freshness = data.load_freshness(version)
    publication = data.load_publication(version)
except data.AppDbUnavailable as exc:
    st.error(str(exc), icon=":material/database_off:")
    st.stop()

threshold = max(settings.suppress_below, publication.suppress_below)

if freshness.is_synthetic:
    st.warning(
        "**Synthetic demo data.** Every number in this dashboard is generated: it has the shape of "
        "the Cook County Medical Examiner case archive but describes no real person or death. "
        "Do not quote these figures.",
        icon=":material/science:",
    )

st.subheader("Source and freshness", anchor=False)
st.markdown(
    f"""
| | |
| --- | --- |
| Source | {freshness.label} |
| Cases from | {freshness.data_from:%d %b %Y} to {freshness.data_to:%d %b %Y} |
| Records in the source extract | {freshness.row_count:,} |
| Last refreshed | {data.format_refreshed(freshness.refreshed_at)} |
| Dashboard data published | {data.format_refreshed(publication.published_at)} |
| Original dataset | [{freshness.source_url}]({freshness.source_url}) |
"""
)

st.subheader("What is counted", anchor=False)
st.markdown(
    f"""
- **Overdose deaths** — deaths investigated by the Cook County Medical Examiner that the pipeline
  classifies as drug overdoses, counted by the month of death and the Chicago community area where
  the death **occurred** (not where the person lived). Deaths outside Chicago are not shown.
- **Opioid- and fentanyl-involved deaths** are the overdose deaths in which the Medical Examiner
  record names any opioid, or fentanyl, among the drugs involved; one death can count in all three.
- **{publication.region_label}** is community areas {publication.region_areas}; **Rest of
  Chicago** is the other community areas.
- **Rates** are deaths per 100,000 residents per year (2020 Census population), with exact
  Poisson 95% confidence intervals. Rates from fewer than 20 deaths are marked *unstable* (NCHS).
  Monthly rates on the trend chart are scaled to a full year so months and periods compare.
- **Small numbers**: counts from 1 to {threshold - 1} are shown as "<{threshold}", and any count
  that would let them be worked out by subtraction as "*". Zero is shown as 0.
- **Provisional months**: the last {publication.provisional_months} months of data are provisional —
  many recent deaths are still awaiting toxicology, so these counts will rise.
"""
)

st.subheader("Definitions in full", anchor=False)
st.markdown(
    """
The formulas and rules above have a single definition each in the pipeline code, which the
dashboard reuses rather than re-implements:
`pipelines/defs/epidemiology/rates.py` (rates and intervals),
`pipelines/defs/epidemiology/suppression.py` (small-number suppression),
`pipelines/defs/epidemiology/provisional.py` (provisional months) and
`pipelines/defs/medical_examiner/` (which cases count as overdose, opioid and fentanyl deaths,
and where they are placed).
"""
)
