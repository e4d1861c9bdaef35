"""MkDocs hook: ``<!-- checks-reference -->`` in a page becomes the table of every asset check.

Registered in ``mkdocs.yml`` (``hooks:``). The table comes from the code location's definitions
at every build (``pipelines/checks_reference.py``), so the docs list the checks the code runs.
"""

from __future__ import annotations

from pipelines.checks_reference import expand_marker


def on_page_markdown(markdown: str, *, page: object = None, config: object = None, files: object = None) -> str:
    """The page's Markdown with the marker replaced by the table (pages without it unchanged)."""
    return expand_marker(markdown)
