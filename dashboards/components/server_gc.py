"""Keep the Streamlit server's garbage collection cheap: freeze long-lived objects after imports.

Streamlit runs a full collection (``gc.collect(2)``) after every script run
(``runner.postScriptGC``), holding the GIL while it walks every object in the process. The
dashboard process holds ~200k long-lived objects from its libraries (Streamlit, Polars, Altair,
pydeck, Dagster for the Data quality page), so each collection took ~110–230 ms, added to every
page load and every filter change, and delayed the last messages of the run to the browser.

:func:`freeze_after_imports` moves every object that exists into the permanent generation
(``gc.freeze()``) whenever a run has imported modules, so later collections walk only what the
sessions themselves created. It freezes at most once per newly imported batch of modules (a
handful of times per server process: the pages import different libraries), so the few
session objects alive at those moments are the only ones kept out of cycle collection;
reference counting still frees them.
"""

from __future__ import annotations

import gc
import sys

_modules_at_last_freeze = 0


def freeze_after_imports() -> bool:
    """``gc.freeze()`` when modules were imported since the last freeze; True if it froze."""
    global _modules_at_last_freeze
    loaded = len(sys.modules)
    if loaded == _modules_at_last_freeze:
        return False
    gc.freeze()
    _modules_at_last_freeze = loaded
    return True
