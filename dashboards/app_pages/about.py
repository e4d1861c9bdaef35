"""About the data: where the numbers come from, how fresh they are, and how they are defined."""

from __future__ import annotations

import streamlit as st

from dashboards.components import data
from pipelines.formatting import format_day
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



origin = (
    f"[{freshness.source_url}]({freshness.source_url})"
    if freshness.source_url.startswith(("https://", "http://"))
    else freshness.source_url
)
st.subheader("Source and freshness", anchor=False)
st.markdown(
    f"""
- **Source:** {freshness.label}
- **Deaths from** {format_day(freshness.data_from)} **to** {format_day(freshness.data_to)}
- **Records in the source extract:** {freshness.row_count:,}
- **Source last refreshed:** {data.format_refreshed(freshness.refreshed_at)}
- **Dashboard data published:** {data.format_refreshed(publication.published_at)}
- **Origin:** {origin}
"""
)

st.subheader("What is counted", anchor=False)
st.markdown(
    f"""
- **Overdose deaths** — Medical Examiner cases whose cause of death is poisoning by drugs, of any
  intent (the CDC/NCHS drug-overdose definition; alcohol poisoning alone is not counted), by the
  month of death and the Chicago community area where the death **occurred** (not where the
  person lived). Deaths outside Chicago are not shown.
- **Opioid- and fentanyl-involved deaths** are the overdose deaths in which the examiner names
  any opioid, or fentanyl (analogues included), as a cause; one death can count in all three.
- **{publication.region_label}** is community areas {publication.region_areas}; **Rest of
  Chicago** is the other community areas. **Chicago** is every death that occurred in the city,
  including those the archive gives no community area for: they are shown as **Not placed in an
  area** (deaths only: no population, so no rate), so the region, the rest of Chicago and that
  row add up to Chicago. Chicago's crude and age-adjusted rates both count every death in the city.
- **Crude rates** are deaths per 100,000 residents per year (2020 Census population), with exact
  Poisson 95% confidence intervals. Rates from fewer than 20 deaths are marked *unstable* (NCHS).
  Monthly rates on the trend chart are scaled to a full year so months and periods compare.
- **Age-adjusted rates** are the rates each place would have if its residents had the age
  structure of the 2000 US standard population (eight age bands; each area's age shares from the
  American Community Survey 2016–2020, CMAP), with Fay–Feuer 95% intervals — how the Chicago
  Department of Public Health and CDC publish death rates, so places with older or younger
  residents compare fairly. Deaths of unknown age are left out of them and counted in a footnote.
  The sidebar's *Death rates* choice says which kind the cards, the map and the charts show.
- **Small numbers:** counts from 1 to {threshold - 1} are shown as "<{threshold}", and a count
  that would let them be worked out by subtraction as "\\*". Zero is shown as 0.
- **Provisional months:** the last {publication.provisional_months} months of data are
  provisional — many recent deaths are still awaiting toxicology, so these counts will rise.
"""
)

st.subheader("Definitions in full", anchor=False)
st.markdown(
    """
The project's manual (the `docs/` folder; `make docs` serves it), section *Definitions and
methods*, gives every rule with its sources, one page per method. Each rule is implemented once
in the pipeline and reused by this dashboard: `classify.py` (which deaths are overdoses, and the
drugs involved), `rates.py` (crude rates and intervals), `age_adjusted.py` (age-adjusted rates),
`suppression.py` (small numbers) and `provisional.py` (provisional months), all in
`pipelines/defs/epidemiology/`.
"""
)
