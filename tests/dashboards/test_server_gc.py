"""dashboards/components/server_gc.py: long-lived objects leave the collected generations once
modules are imported, and only then; garbage is collected first, not frozen."""

from __future__ import annotations

import gc
import sys
import types
import weakref

import pytest

from dashboards.components import server_gc


class _Probe:
    """A collectable object that can be weakly referenced."""


@pytest.fixture
def unfrozen(monkeypatch):
    gc.unfreeze()
    monkeypatch.setattr(server_gc, "_modules_at_last_freeze", 0)
    yield
    gc.unfreeze()


def _in_generation_2(obj: object) -> bool:
    return any(o is obj for o in gc.get_objects(generation=2))


def test_long_lived_objects_leave_the_full_collection(unfrozen) -> None:
    long_lived = [_Probe() for _ in range(100)]
    gc.collect()
    assert _in_generation_2(long_lived)  # walked by every gc.collect(2)

    assert server_gc.freeze_after_imports() is True
    assert not _in_generation_2(long_lived)  # frozen: no longer walked
    frozen = gc.get_freeze_count()
    assert frozen >= 100

    assert server_gc.freeze_after_imports() is False  # nothing imported since
    assert gc.get_freeze_count() == frozen


def test_freezes_again_after_new_imports(unfrozen, monkeypatch) -> None:
    server_gc.freeze_after_imports()
    frozen = gc.get_freeze_count()
    monkeypatch.setitem(sys.modules, "odw_probe_module", types.ModuleType("odw_probe_module"))
    newer = [_Probe() for _ in range(100)]  # noqa: F841 - alive while freezing
    assert server_gc.freeze_after_imports() is True
    assert gc.get_freeze_count() >= frozen + 100


def test_garbage_is_collected_not_frozen(unfrozen) -> None:
    """A finished page's namespace is a cycle (its functions refer to it): freezing it would keep
    it, and everything it held, for the life of the server."""
    namespace: dict = {}
    exec("def f():\n    return 1\ndata = list(range(1000))\n", namespace)  # like a page run
    probe = _Probe()
    namespace["probe"] = probe
    gone = weakref.ref(probe)
    del namespace, probe
    assert gone() is not None  # only the cycle collector can free it

    server_gc.freeze_after_imports()
    assert gone() is None
