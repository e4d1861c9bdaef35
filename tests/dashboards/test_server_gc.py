"""dashboards/components/server_gc.py: long-lived objects leave the collected generations once
modules are imported, and only then."""

from __future__ import annotations

import gc
import sys
import types

import pytest

from dashboards.components import server_gc


@pytest.fixture
def unfrozen():
    gc.unfreeze()
    yield
    gc.unfreeze()


def test_freezes_after_a_run_that_imported_modules_and_not_otherwise(unfrozen, monkeypatch) -> None:
    monkeypatch.setattr(server_gc, "_modules_at_last_freeze", 0)
    long_lived = [object() for _ in range(1_000)]  # noqa: F841 - alive while we freeze
    assert server_gc.freeze_after_imports() is True
    frozen = gc.get_freeze_count()
    assert frozen >= 1_000

    assert server_gc.freeze_after_imports() is False  # nothing imported since
    assert gc.get_freeze_count() == frozen

    monkeypatch.setitem(sys.modules, "odw_probe_module", types.ModuleType("odw_probe_module"))
    session_garbage = [[] for _ in range(500)]  # noqa: F841
    assert server_gc.freeze_after_imports() is True
    assert gc.get_freeze_count() >= frozen + 500


def test_a_full_collection_then_skips_the_frozen_objects(unfrozen, monkeypatch) -> None:
    monkeypatch.setattr(server_gc, "_modules_at_last_freeze", 0)
    server_gc.freeze_after_imports()
    cycle: list = []
    cycle.append(cycle)
    del cycle  # garbage created after the freeze is still collected
    assert gc.collect(2) >= 1
