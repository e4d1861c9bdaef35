"""How the configured region is named, written and bound into the SQL."""

from pipelines.settings import Settings


def region_spec(areas: tuple[int, ...]) -> str:
    """Compact text form of a region's area list, e.g. ``(23, ..., 31) -> "23-31"``."""
    parts, start = [], None
    for i, n in enumerate(areas):
        if start is None:
            start = n
        if i + 1 == len(areas) or areas[i + 1] != n + 1:
            parts.append(str(start) if start == n else f"{start}-{n}")
            start = None
    return ",".join(parts)


def region_label(areas: tuple[int, ...]) -> str:
    """'West Side' for the default areas 23–31, else a neutral label naming the areas."""
    spec = region_spec(areas)
    return "West Side" if spec == "23-31" else f"Region (areas {spec})"


def region_params(settings: Settings) -> dict[str, object]:
    """The SQL parameters that describe the region and the provisional window.

    ``run_sql_file``/``query_sql_file`` bind only the ones a statement uses, so every mart gets
    the same dictionary.
    """
    return {
        "region_areas": list(settings.region_areas),
        "region_municipalities": list(settings.region_municipalities),
        "region_label": region_label(settings.region_areas),
        "provisional_months": settings.provisional_months,
    }
