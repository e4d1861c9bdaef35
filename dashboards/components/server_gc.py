"""Keep the Streamlit server's garbage collection cheap: freeze long-lived objects after imports.

Streamlit runs a full collection (``gc.collect(2)``) after every script run
(``runner.postScriptGC``), holding the GIL while it walks every object in the process. The
dashboard process holds ~200k long-lived objects from its libraries (Streamlit, Polars, Altair,
pydeck, Dagster for the Data quality page), so each collection took ~110–230 ms, added to every
page load and every filter change, and delayed the last messages of the run to the browser.

:func:`freeze_after_imports` collects what is garbage, then moves every object still alive into
the permanent generation (``gc.freeze()``), whenever a run has imported modules, so later
collections walk only what the sessions themselves create. That happens a handful of times per
server process (the pages import different libraries). Frozen objects are never collected as
cycles, so what the running script still holds at that moment (the entry script's namespace: a
few small objects) stays in memory when it ends; pages' namespaces have ended by then and are
collected first.
"""

from __future__ import annotations

import gc
import sys

_modules_at_last_freeze = 0


def freeze_after_imports() -> bool:
    """Collect, then ``gc.freeze()``, when modules were imported since the last freeze; True if it
    froze."""
    global _modules_at_last_freeze
    loaded = len(sys.modules)
    if loaded == _modules_at_last_freeze:
        return False
    gc.collect()
    gc.freeze()
    _modules_at_last_freeze = loaded
    return True
