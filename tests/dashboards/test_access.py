"""Public and member modes: password hashing, lock-out, OIDC allow-lists and the sidebar sign-in."""

from __future__ import annotations

import hashlib
from pathlib import Path

import duckdb
import pytest
from streamlit.testing.v1 import AppTest

from dashboards.components import access
from dashboards.components.access import AccessConfig

APP = Path(__file__).resolve().parents[2] / "dashboards" / "app.py"
TIMEOUT = 120
PASSWORD = "correct horse battery staple"
# Few iterations keep the test fast; the count is part of the hash string, as in production.
PASSWORD_HASH = access.hash_password(PASSWORD, iterations=1_000, salt=bytes(range(16)))


def test_pbkdf2_hash_verifies_only_the_right_password() -> None:
    config = AccessConfig(password_hash=PASSWORD_HASH)
    assert access.verify_password(PASSWORD, config)
    assert not access.verify_password(PASSWORD + " ", config)
    assert not access.verify_password("", config)
    # The hash matches an independent PBKDF2 computation.
    _scheme, iterations, salt, digest = PASSWORD_HASH.split("$")
    expected = hashlib.pbkdf2_hmac("sha256", PASSWORD.encode(), bytes(range(16)), 1_000).hex()
    assert (iterations, salt, digest) == ("1000", bytes(range(16)).hex(), expected)


def test_sha256_hash_and_malformed_hashes() -> None:
    sha = hashlib.sha256(PASSWORD.encode()).hexdigest()
    assert access.verify_password(PASSWORD, AccessConfig(password_sha256=sha.upper()))
    assert not access.verify_password("nope", AccessConfig(password_sha256=sha))
    for broken in ("pbkdf2_sha256$x$00$00", "md5$1$00$00", "plain-password", PASSWORD):
        assert not access.verify_password(PASSWORD, AccessConfig(password_hash=broken))
    assert not access.verify_password(PASSWORD, AccessConfig())


def test_lockout_grows_after_max_attempts() -> None:
    assert [access.lockout_seconds(n) for n in range(access.MAX_ATTEMPTS)] == [0.0] * access.MAX_ATTEMPTS
    first = access.lockout_seconds(access.MAX_ATTEMPTS)
    assert first == access.LOCKOUT_SECONDS
    assert access.lockout_seconds(access.MAX_ATTEMPTS + 2) == 4 * first


def test_config_from_secrets() -> None:
    assert not access.config_from_secrets({}).available
    config = access.config_from_secrets(
        {"members": {"password_hash": PASSWORD_HASH, "allowed_domains": ["@Example.org"]}}
    )
    assert config.password_enabled and not config.oidc and config.allowed_domains == ("example.org",)
    # OIDC needs the shared settings plus a provider, flat or in a named subsection.
    shared = {"redirect_uri": "http://localhost:8501/oauth2callback", "cookie_secret": "s"}
    assert not access.config_from_secrets({"auth": shared}).oidc
    flat = access.config_from_secrets({"auth": {**shared, "client_id": "id"}})
    assert flat.oidc and flat.oidc_provider is None and flat.available
    named = access.config_from_secrets({"auth": {**shared, "google": {"client_id": "id"}}})
    assert named.oidc and named.oidc_provider == "google"


def test_email_allow_list() -> None:
    assert access.email_allowed("anyone@anywhere.net", AccessConfig(oidc=True))
    config = AccessConfig(oidc=True, allowed_emails=("chair@task.org",), allowed_domains=("health.gov",))
    assert access.email_allowed("Chair@Task.org", config)
    assert access.email_allowed("nurse@health.gov", config)
    assert not access.email_allowed("nurse@health.gov.evil.net", config)
    assert not access.email_allowed(None, config)


# --------------------------------------------------------------------------------------------
# The whole app under AppTest
# --------------------------------------------------------------------------------------------


def _app(demo_app_db: Path, monkeypatch: pytest.MonkeyPatch, secrets: dict | None) -> AppTest:
    monkeypatch.setenv("ODW_APP_DB", str(demo_app_db))
    access.sign_in_limiter.clear()  # wrong passwords of an earlier test (same test session) forgotten
    at = AppTest.from_file(str(APP), default_timeout=TIMEOUT)
    for key, value in (secrets or {}).items():
        at.secrets[key] = value
    return at.run()


def _badges(at: AppTest) -> list[str]:
    return [m.value for m in at.sidebar.markdown]


def _sign_in(at: AppTest, password: str) -> AppTest:
    at.sidebar.text_input(key="odw_member_password").input(password)
    (submit,) = [b for b in at.sidebar.button if b.label == "Sign in"]
    return submit.click().run()


def test_without_secrets_member_mode_is_unavailable_and_explained(
    demo_app_db: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    at = _app(demo_app_db, monkeypatch, None)
    assert not at.exception
    assert any("Public view" in text for text in _badges(at))
    assert not at.sidebar.text_input, "no password field when no password is configured"
    assert any("Member mode is not set up" in c.value for c in at.sidebar.caption)


def test_wrong_password_stays_public_and_locks_out(demo_app_db: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    at = _app(demo_app_db, monkeypatch, {"members": {"password_hash": PASSWORD_HASH}})
    at = _sign_in(at, "guess")
    assert not at.exception
    assert any("Public view" in text for text in _badges(at))
    assert "Wrong password" in at.sidebar.error[0].value
    for _ in range(access.MAX_ATTEMPTS - 1):
        at = _sign_in(at, "guess again")
    assert "locked" in at.sidebar.error[0].value
    # Locked: even the right password is refused until the lock-out ends.
    at = _sign_in(at, PASSWORD)
    assert "Too many wrong passwords" in at.sidebar.error[0].value
    assert any("Public view" in text for text in _badges(at))
    # The password is never echoed into the page.
    assert all(PASSWORD not in m.value and "guess" not in m.value for m in at.markdown)


def test_right_password_unlocks_member_mode_and_sign_out_returns_to_public(
    demo_app_db: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    at = _app(demo_app_db, monkeypatch, {"members": {"password_hash": PASSWORD_HASH}})
    member_detail = "Hot-spot detail (members)"
    assert member_detail not in [h.value for h in at.subheader], "public mode shows no hot-spot detail"
    at = _sign_in(at, PASSWORD)
    assert not at.exception
    assert any("Member mode" in text for text in _badges(at))
    assert at.session_state["odw_member"] is True
    # The Overview adds the hot-spot table, matching the latest Gi* hot-spot areas of the region.
    assert member_detail in [h.value for h in at.subheader]
    with duckdb.connect(str(demo_app_db), read_only=True) as con:
        expected = {
            row[0]
            for row in con.execute(
                """SELECT community_area FROM marts.area_hotspots
                   WHERE is_latest_window AND measure = 'deaths' AND in_region AND gi_class = 'hot spot'"""
            ).fetchall()
        }
    (table,) = [d.value for d in at.dataframe if "Gi* class" in d.value.columns]
    assert expected <= set(table["Community area"])
    (sign_out,) = [b for b in at.sidebar.button if b.label == "Sign out"]
    at = sign_out.click().run()
    assert any("Public view" in text for text in _badges(at))
    assert not [b for b in at.sidebar.button if b.label == "Sign out"]
    assert member_detail not in [h.value for h in at.subheader]
