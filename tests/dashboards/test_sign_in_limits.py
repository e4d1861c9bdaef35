"""Member sign-in that resists guessing: counts per client address and for the whole app, kept in
the server process, so fresh sessions do not start from zero."""

from __future__ import annotations

import logging
from pathlib import Path

import pytest
import streamlit as st
from streamlit.testing.v1 import AppTest

from dashboards.components import access
from dashboards.components.sign_in_limits import (
    FREE_ATTEMPTS,
    GLOBAL_MAX_FAILURES,
    GLOBAL_WINDOW_SECONDS,
    SignInLimiter,
)

APP = Path(__file__).resolve().parents[2] / "dashboards" / "app.py"
PASSWORD = "correct horse battery staple"
PASSWORD_HASH = access.hash_password(PASSWORD, iterations=1_000, salt=bytes(range(16)))


class Clock:
    def __init__(self) -> None:
        self.now = 1_000.0

    def __call__(self) -> float:
        return self.now


def test_lockouts_of_an_address_grow_and_a_success_clears_them() -> None:
    clock = Clock()
    limiter = SignInLimiter(clock=clock)
    for _ in range(FREE_ATTEMPTS - 1):
        assert limiter.failed("a").allowed
    verdict = limiter.failed("a")
    assert (verdict.allowed, verdict.wait_seconds, verdict.reason) == (False, 60.0, "address")
    assert not limiter.check("a").allowed and limiter.check("b").allowed
    clock.now += 61
    assert limiter.check("a").allowed
    assert limiter.failed("a").wait_seconds == 120.0  # the next wrong password doubles it
    clock.now += 121
    assert limiter.failed("a").wait_seconds == 240.0
    clock.now += 241
    limiter.succeeded("a")
    assert limiter.failures("a") == 0 and limiter.remaining("a") == FREE_ATTEMPTS


def test_the_global_ceiling_stops_a_spray_from_many_addresses() -> None:
    clock = Clock()
    limiter = SignInLimiter(clock=clock)
    checked = 0
    for n in range(200):  # every guess from a new address
        client = f"address 198.51.100.{n}"
        if limiter.check(client).allowed:
            checked += 1
            limiter.failed(client)
        clock.now += 0.1
    assert checked == GLOBAL_MAX_FAILURES
    verdict = limiter.check("address 203.0.113.1")
    assert verdict.reason == "global" and not verdict.allowed
    clock.now += GLOBAL_WINDOW_SECONDS
    assert limiter.check("address 203.0.113.1").allowed


def test_100_passwords_across_20_fresh_sessions_are_stopped_long_before_the_end() -> None:
    # From one address: the address is locked after FREE_ATTEMPTS, whatever the session.
    limiter = SignInLimiter(clock=Clock())
    checked = 0
    for _session in range(20):
        for _ in range(5):
            if limiter.check("address 203.0.113.9").allowed:
                checked += 1
                limiter.failed("address 203.0.113.9")
    assert checked == FREE_ATTEMPTS
    # From the server's own host (no address: each session counts for itself): the app-wide ceiling.
    limiter = SignInLimiter(clock=Clock())
    checked = 0
    for session in range(20):
        for _ in range(5):
            if limiter.check(f"session {session}").allowed:
                checked += 1
                limiter.failed(f"session {session}")
    assert checked == GLOBAL_MAX_FAILURES < 100


# --------------------------------------------------------------------------------------------
# Wired into the app: several AppTest sessions share the server process's limiter
# --------------------------------------------------------------------------------------------


@pytest.fixture
def fresh_limiter():
    access.sign_in_limiter.clear()
    yield
    access.sign_in_limiter.clear()


def _session(demo_app_db: Path, monkeypatch: pytest.MonkeyPatch, address: str | None) -> AppTest:
    monkeypatch.setenv("ODW_APP_DB", str(demo_app_db))
    monkeypatch.setattr(type(st.context), "ip_address", property(lambda _self: address))
    at = AppTest.from_file(str(APP), default_timeout=120)
    at.secrets["members"] = {"password_hash": PASSWORD_HASH}
    return at.run()


def _sign_in(at: AppTest, password: str) -> AppTest:
    at.sidebar.text_input(key="odw_member_password").input(password)
    (submit,) = [b for b in at.sidebar.button if b.label == "Sign in"]
    return submit.click().run()


def _member(at: AppTest) -> bool:
    return "odw_member" in at.session_state and at.session_state["odw_member"] is True


def test_fresh_sessions_from_one_address_stay_locked(demo_app_db, monkeypatch, fresh_limiter, caplog) -> None:
    # Streamlit's loggers do not propagate to the root logger pytest listens on.
    logger = logging.getLogger("dashboards.access")
    logger.addHandler(caplog.handler)
    monkeypatch.setattr(logger, "level", logging.INFO)
    first = _session(demo_app_db, monkeypatch, "203.0.113.7")
    for n in range(FREE_ATTEMPTS):
        first = _sign_in(first, f"guess {n}")
    assert "locked for 61 s" in first.sidebar.error[0].value
    # A new session from the same address: still locked, even with the right password.
    second = _session(demo_app_db, monkeypatch, "203.0.113.7")
    second = _sign_in(second, PASSWORD)
    assert "Too many wrong passwords" in second.sidebar.error[0].value
    assert not _member(second)
    # Another address is not affected, and its sign-in is logged — without the password.
    third = _session(demo_app_db, monkeypatch, "198.51.100.4")
    third = _sign_in(third, PASSWORD)
    assert _member(third)
    messages = [r.getMessage() for r in caplog.records if r.name == "dashboards.access"]
    assert "member signed in with the shared password from address 198.51.100.4" in messages
    assert any("locked for address 203.0.113.7" in m for m in messages)
    assert all(PASSWORD not in m and "guess" not in m for m in messages)
    logger.removeHandler(caplog.handler)


def test_the_app_wide_ceiling_holds_across_addresses(demo_app_db, monkeypatch, fresh_limiter) -> None:
    monkeypatch.setenv("ODW_SIGNIN_MAX_FAILURES_PER_MINUTE", "4")
    access.sign_in_limiter.clear()
    for n in range(4):
        at = _sign_in(_session(demo_app_db, monkeypatch, f"198.51.100.{n}"), "guess")
    assert "paused for everyone" in at.sidebar.error[0].value
    at = _sign_in(_session(demo_app_db, monkeypatch, "198.51.100.99"), PASSWORD)
    assert "paused for everyone" in at.sidebar.error[0].value
    assert not _member(at)
