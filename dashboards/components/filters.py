"""Shared dashboard filters — period, areas, drug, demographics — held in the URL query string.

One :class:`Filters` value describes the view. It lives in ``st.session_state`` (so it survives a
page switch) and is mirrored into ``st.query_params`` (so a copied link reproduces the view):

    ?from=2025-11&to=2026-10&areas=23,25&drug=fentanyl&sex=Male&age=25-34&race=NH+Black&rate=adjusted

Parameters left at their default are not written, so the plain URL is the default view. Parsing
is pure (:func:`parse_query_params`) and forgiving: a value that is not valid for the data being
shown (a month outside the data, an unknown drug) is dropped with a note, never an exception.

Pages call :func:`render_sidebar` with the filters they use; the others are kept but not shown.
The Map page sets the areas with :func:`set_areas` when an area is clicked.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import date

import streamlit as st

#: Drug filter: key (the ``drug`` value of ``marts.overdose_deaths_monthly``) -> label.
#: ``all`` means every overdose death, whatever the drug.
DRUG_LABELS: dict[str, str] = {
    "all": "All overdose deaths",
    "any_opioid": "Any opioid",
    "fentanyl": "Fentanyl (incl. analogues)",
    "heroin": "Heroin",
    "rx_opioid": "Prescription opioid",
    "nitazene": "Nitazene",
    "xylazine": "Xylazine",
    "cocaine": "Cocaine",
    "methamphetamine": "Methamphetamine",
    "opioid_stimulant": "Opioid + stimulant",
    "benzodiazepine": "Benzodiazepine",
    "ethanol": "Alcohol (with another drug)",
}

#: Demographic filters: key -> (query parameter, column of ``marts.overdose_deaths_monthly``, label).
DEMOGRAPHICS: dict[str, tuple[str, str, str]] = {
    "sex": ("sex", "sex", "Sex"),
    "age_group": ("age", "age_group", "Age group"),
    "race_ethnicity": ("race", "race_ethnicity", "Race/ethnicity"),
}

#: Which death rate the pages show: key (the ``rate`` query parameter) -> label. Crude: deaths per
#: population; age-adjusted: standardised to the 2000 US standard population (see
#: docs/methods/age-adjusted-rates.md). Tables show both; charts, the map and KPI cards show the chosen one.
RATE_KINDS: dict[str, str] = {"crude": "Crude", "adjusted": "Age-adjusted"}
CRUDE = "crude"

ALL = "all"
_STATE_KEY = "odw_filters"
_WIDGET_PREFIX = "odw_filter_"
_PAGE_KEY = "odw_last_filter_page"  # outside _WIDGET_PREFIX: survives _forget_widgets


@dataclass(frozen=True)
class Filters:
    """The dashboard's shared view: a month range, area selection, drug and demographic filters,
    and the kind of death rate shown.

    ``areas`` empty means "the configured region" (West Side by default); otherwise it is the
    sorted community-area numbers chosen. Demographic values are ``"all"`` or one category;
    ``rate`` is a key of :data:`RATE_KINDS`.
    """

    start: date
    end: date
    areas: tuple[int, ...] = ()
    drug: str = ALL
    sex: str = ALL
    age_group: str = ALL
    race_ethnicity: str = ALL
    rate: str = CRUDE

    def demographic(self, key: str) -> str:
        """The chosen value of demographic ``key`` (``"all"`` when not filtered)."""
        return getattr(self, key)

    @property
    def has_demographic_filter(self) -> bool:
        return any(self.demographic(key) != ALL for key in DEMOGRAPHICS)


@dataclass(frozen=True)
class FilterOptions:
    """What the data allows: months (ascending), area numbers, demographic categories."""

    months: tuple[date, ...]
    area_numbers: tuple[int, ...] = tuple(range(1, 78))
    demographic_values: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    drugs: tuple[str, ...] = tuple(DRUG_LABELS)


@dataclass(frozen=True)
class ParsedFilters:
    """Result of parsing a query string: the filters plus a note per ignored parameter."""

    filters: Filters
    ignored: tuple[str, ...] = ()


def default_filters(options: FilterOptions, period_months: int = 12) -> Filters:
    """The default view: the last ``period_months`` months of data, region, all deaths."""
    if not options.months:
        raise ValueError("no months to choose from")
    end = options.months[-1]
    start = options.months[max(0, len(options.months) - period_months)]
    return Filters(start=start, end=end)


def _first(value: str | Sequence[str] | None) -> str | None:
    if value is None:
        return None
    if isinstance(value, str):
        return value
    return value[-1] if value else None


def _parse_month(text: str) -> date | None:
    try:
        return date.fromisoformat(f"{text.strip()[:7]}-01")
    except ValueError:
        return None


def parse_areas(text: str, allowed: Iterable[int]) -> tuple[tuple[int, ...], list[str]]:
    """Area numbers from ``"23,25, 26"``: unique, sorted, only ``allowed`` ones; plus bad items."""
    allowed_set = set(allowed)
    chosen: set[int] = set()
    bad: list[str] = []
    for item in text.split(","):
        item = item.strip()
        if not item:
            continue
        if item.isdigit() and int(item) in allowed_set:
            chosen.add(int(item))
        else:
            bad.append(item)
    return tuple(sorted(chosen)), bad


def parse_query_params(
    params: Mapping[str, str | Sequence[str]], options: FilterOptions, defaults: Filters | None = None
) -> ParsedFilters:
    """Filters from URL query parameters; invalid or out-of-range values fall back to defaults.

    Months snap to the data: ``from`` before the first month becomes the first month, ``to``
    after the last becomes the last; a reversed range is swapped.
    """
    base = defaults or default_filters(options)
    ignored: list[str] = []
    values: dict[str, object] = {}
    months = options.months
    for name, attr in (("from", "start"), ("to", "end")):
        raw = _first(params.get(name))
        if raw is None:
            continue
        month = _parse_month(raw)
        if month is None:
            ignored.append(f"{name}={raw!r} is not a month (use YYYY-MM)")
            continue
        values[attr] = min(max(month, months[0]), months[-1])
    start = values.get("start", base.start)
    end = values.get("end", base.end)
    if start > end:  # type: ignore[operator]
        start, end = end, start
    values["start"], values["end"] = start, end

    raw_areas = _first(params.get("areas"))
    if raw_areas is not None:
        areas, bad = parse_areas(raw_areas, options.area_numbers)
        values["areas"] = areas
        if bad:
            ignored.append(f"areas: {', '.join(repr(b) for b in bad)} not a community-area number")

    raw_drug = _first(params.get("drug"))
    if raw_drug is not None:
        if raw_drug in options.drugs:
            values["drug"] = raw_drug
        else:
            ignored.append(f"drug={raw_drug!r} is not one of {', '.join(options.drugs)}")

    for key, (param, _column, label) in DEMOGRAPHICS.items():
        raw = _first(params.get(param))
        if raw is None:
            continue
        allowed = options.demographic_values.get(key, ())
        if raw == ALL or raw in allowed:
            values[key] = raw
        else:
            ignored.append(f"{param}={raw!r}: no such {label.lower()} in the data")

    raw_rate = _first(params.get("rate"))
    if raw_rate is not None:
        if raw_rate in RATE_KINDS:
            values["rate"] = raw_rate
        else:
            ignored.append(f"rate={raw_rate!r} is not one of {', '.join(RATE_KINDS)}")
    return ParsedFilters(replace(base, **values), tuple(ignored))  # type: ignore[arg-type]


def to_query_params(filters: Filters, defaults: Filters) -> dict[str, str]:
    """The query parameters that differ from ``defaults`` (so the default view has a bare URL)."""
    params: dict[str, str] = {}
    if filters.start != defaults.start:
        params["from"] = f"{filters.start:%Y-%m}"
    if filters.end != defaults.end:
        params["to"] = f"{filters.end:%Y-%m}"
    if filters.areas:
        params["areas"] = ",".join(str(a) for a in filters.areas)
    if filters.drug != defaults.drug:
        params["drug"] = filters.drug
    for key, (param, _column, _label) in DEMOGRAPHICS.items():
        if filters.demographic(key) != ALL:
            params[param] = filters.demographic(key)
    if filters.rate != defaults.rate:
        params["rate"] = filters.rate
    return params


def area_scope_label(filters: Filters, area_names: Mapping[int, str], region_label: str) -> str:
    """Short words for the area selection: the region's name, one area's name, or "N areas"."""
    if not filters.areas:
        return region_label
    if len(filters.areas) == 1:
        return area_names.get(filters.areas[0], f"Area {filters.areas[0]}")
    if len(filters.areas) <= 3:
        return ", ".join(area_names.get(a, f"Area {a}") for a in filters.areas)
    return f"{len(filters.areas)} community areas"


def describe(filters: Filters, area_names: Mapping[int, str], region_label: str) -> str:
    """One line naming every active filter, for chart subtitles and captions."""
    parts = [area_scope_label(filters, area_names, region_label), DRUG_LABELS.get(filters.drug, filters.drug)]
    for key, (_param, _column, label) in DEMOGRAPHICS.items():
        if filters.demographic(key) != ALL:
            parts.append(f"{label}: {filters.demographic(key)}")
    return " · ".join(parts)


# --------------------------------------------------------------------------------------------
# Streamlit glue: session state <-> widgets <-> URL
# --------------------------------------------------------------------------------------------


def current(options: FilterOptions) -> Filters:
    """The session's filters, first read from the URL; re-validated against ``options``.

    A new publication can remove months a session had chosen: anything no longer valid falls
    back to the default, like a hand-edited URL would.
    """
    stored: Filters | None = st.session_state.get(_STATE_KEY)
    defaults = default_filters(options)
    if stored is None:
        parsed = parse_query_params(st.query_params.to_dict(), options, defaults)
        if parsed.ignored:
            st.session_state["odw_filter_notes"] = parsed.ignored
        stored = parsed.filters
    else:
        stored = parse_query_params(to_query_params(stored, defaults), options, defaults).filters
    st.session_state[_STATE_KEY] = stored
    return stored


def store(filters: Filters, options: FilterOptions) -> None:
    """Make ``filters`` the session's view and write it to the URL."""
    st.session_state[_STATE_KEY] = filters
    params = to_query_params(filters, default_filters(options))
    if st.query_params.to_dict() != params:
        st.query_params.from_dict(params)


def _forget_widgets() -> None:
    """Drop the widgets' own state so they show the shared view on their next render."""
    for key in [k for k in st.session_state if str(k).startswith(_WIDGET_PREFIX)]:
        del st.session_state[key]


def set_view(filters: Filters, options: FilterOptions) -> None:
    """Change the view from outside the filter widgets (a map click, a reset button).

    Call before :func:`render_sidebar` runs in this script run (or from a widget callback):
    Streamlit forbids changing a widget's state after it has been drawn.
    """
    store(filters, options)
    _forget_widgets()


def set_areas(areas: Iterable[int], options: FilterOptions) -> None:
    """Select ``areas`` (e.g. after a map click) for every page."""
    set_view(replace(current(options), areas=tuple(sorted(set(areas)))), options)


def _page_changed() -> bool:
    """Whether this run draws a different page than the last run that drew the filters.

    Widget ids include the page, so a filter widget's state left by another page does not carry
    over: the new page's widget would start from its default (the first month only) although the
    old value is still in ``st.session_state``. Seeding afresh on a page change avoids that.
    """
    from streamlit.runtime.scriptrunner import get_script_run_ctx

    ctx = get_script_run_ctx()
    page = getattr(ctx, "page_script_hash", None) if ctx else None
    changed = st.session_state.get(_PAGE_KEY) != page
    st.session_state[_PAGE_KEY] = page
    return changed


def _widget(name: str) -> str:
    return _WIDGET_PREFIX + name


def _seed(name: str, value: object, valid) -> None:
    """Give a widget its value from the shared state unless it already holds a valid one.

    Streamlit drops a widget's state when a page that does not draw it runs, so after a page
    switch the widget starts again from the shared view.
    """
    key = _widget(name)
    if key not in st.session_state or not valid(st.session_state[key]):
        st.session_state[key] = value


def render_sidebar(
    options: FilterOptions,
    *,
    area_names: Mapping[int, str],
    region_label: str,
    show: Iterable[str] = ("period", "areas", "drug", "demographics"),
    format_month=lambda m: f"{m:%b %Y}",
) -> Filters:
    """Draw the filters named in ``show`` in the sidebar and return the (updated) view.

    ``show`` items: ``period``, ``areas``, ``drug``, ``demographics``, ``rate``. Filters not shown
    keep their value for the pages that do show them.
    """
    filters = current(options)
    if _page_changed():
        _forget_widgets()
    shown = set(show)
    values: dict[str, object] = {}
    with st.sidebar:
        st.markdown("**Filters**")
        if "period" in shown:
            _seed(
                "period",
                (filters.start, filters.end),
                # A range slider hands back a list or a tuple depending on where the value came from.
                lambda v: isinstance(v, (tuple, list)) and len(v) == 2 and all(m in options.months for m in v),
            )
            start, end = st.select_slider(  # type: ignore[misc]
                "Period",
                options=list(options.months),
                format_func=format_month,
                key=_widget("period"),
                help="Months of death. The last months are provisional (toxicology pending).",
            )
            values["start"], values["end"] = start, end
        if "areas" in shown:
            _seed("areas", list(filters.areas), lambda v: all(a in options.area_numbers for a in v))
            chosen = st.multiselect(
                "Community areas",
                options=list(options.area_numbers),
                format_func=lambda n: f"{n} {area_names.get(n, '')}".strip(),
                key=_widget("areas"),
                help=f"Empty = the whole {region_label}. Clicking an area on the map selects it.",
            )
            if not chosen:
                st.caption(f"None chosen: all of {region_label}.")
            values["areas"] = tuple(sorted(chosen))
        if "drug" in shown:
            _seed("drug", filters.drug, lambda v: v in options.drugs)
            values["drug"] = st.selectbox(
                "Drug involved",
                options=list(options.drugs),
                format_func=lambda k: DRUG_LABELS.get(k, k),
                key=_widget("drug"),
            )
        if "demographics" in shown:
            for key, (_param, _column, label) in DEMOGRAPHICS.items():
                choices = [ALL, *options.demographic_values.get(key, ())]
                _seed(key, filters.demographic(key), lambda v, c=choices: v in c)
                values[key] = st.selectbox(
                    label,
                    options=choices,
                    format_func=lambda v: "All" if v == ALL else v,
                    key=_widget(key),
                )
        if "rate" in shown:
            _seed("rate", filters.rate, lambda v: v in RATE_KINDS)
            values["rate"] = st.segmented_control(
                "Death rates",
                options=list(RATE_KINDS),
                format_func=RATE_KINDS.get,
                required=True,
                key=_widget("rate"),
                help="Crude: deaths per 100,000 residents. Age-adjusted: as if every place had the "
                "age structure of the 2000 US standard population, so places with older or younger "
                "residents compare fairly (how the Chicago Department of Public Health and CDC "
                "publish death rates). Tables show both.",
            ) or CRUDE
        notes = st.session_state.pop("odw_filter_notes", None)
        if notes:
            st.caption("Ignored in the link: " + "; ".join(notes))
        st.button(
            "Reset filters",
            key="odw_reset_filters",
            icon=":material/restart_alt:",
            on_click=lambda: set_view(default_filters(options), options),
        )
    updated = replace(filters, **values)  # type: ignore[arg-type]
    store(updated, options)
    return updated
