"""MkDocs hook: ``<!-- settings-reference -->`` in a page becomes the generated configuration reference.

Register it in ``mkdocs.yml`` with ``hooks: [docs/hooks/settings_reference.py]``. The tables come
from the settings declarations (``pipelines/settings.py``) at every build, so the published
reference is always the code's.
"""

from __future__ import annotations

from pipelines.settings_reference import expand_marker


def on_page_markdown(markdown: str, *, page: object = None, config: object = None, files: object = None) -> str:
    """The page's Markdown with the marker replaced by the reference (pages without it unchanged)."""
    return expand_marker(markdown, heading_level=2)
