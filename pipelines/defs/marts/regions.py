"""How the configured region is named and written."""


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
