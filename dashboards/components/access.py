"""Public and member modes of the dashboard.

Public (the default) shows suppressed aggregates only. Member mode adds hot-spot-level detail for
task-force members (hex Gi*/Moran classes, alert detail); even members never see death locations
as points — none are published.

Two ways in, both configured in Streamlit secrets (``.streamlit/secrets.toml``, git-ignored; see
``.streamlit/secrets.toml.example``):

* a shared member password, stored only as a hash::

      [members]
      password_hash = "pbkdf2_sha256$200000$<salt hex>$<digest hex>"   # preferred
      # or: password_sha256 = "<sha256 hex of the password>"

  Generate the hash with ``python -m dashboards.components.access``. The password is typed into
  a sidebar form, compared in constant time and never logged or kept. Wrong passwords are counted
  per client address and for the whole app in the server process (``sign_in_limits.py``): after
  :data:`MAX_ATTEMPTS` wrong tries the address is locked out for a growing time, whatever session
  it uses, and no more than ``GLOBAL_MAX_FAILURES`` a minute are checked for everyone. Sign-ins
  and lock-outs are logged (address, never the password).

* an OpenID Connect sign-in (``st.login``) when an ``[auth]`` section is configured. Any user the
  provider signs in is a member unless ``[members] allowed_emails`` or ``allowed_domains``
  narrows it down.

Pages ask :func:`is_member`; ``app.py`` draws :func:`render_sidebar` (badge, sign-in, sign-out).
"""

from __future__ import annotations

import hashlib
import hmac
import secrets as token_source
from collections.abc import Mapping
from dataclasses import dataclass

import streamlit as st
from streamlit.logger import get_logger
from streamlit.runtime.scriptrunner import get_script_run_ctx

from pipelines.settings import load_settings
from dashboards.components.sign_in_limits import FIRST_LOCKOUT_SECONDS, FREE_ATTEMPTS, SignInLimiter, address_lockout

#: Sign-ins and lock-outs, in the server's log (Streamlit's handler and level): never a password.
log = get_logger("dashboards.access")

#: Wrong passwords allowed from one address (any number of sessions) before it is locked out.
MAX_ATTEMPTS = FREE_ATTEMPTS
#: First lock-out; it doubles with every further wrong password.
LOCKOUT_SECONDS = FIRST_LOCKOUT_SECONDS
#: PBKDF2 iterations for newly generated hashes (verification reads the count from the hash).
PBKDF2_ITERATIONS = 200_000

#: The Streamlit secrets member access uses, for the configuration reference: ``(section, key,
#: meaning, is a secret)``. A test checks that :func:`config_from_secrets` reads no other key.
SECRETS_REFERENCE: tuple[tuple[str, str, str, bool], ...] = (
    ("members", "password_hash", "PBKDF2 hash of the shared member password (never the password itself); "
     "make one with `python -m dashboards.components.access`.", True),
    ("members", "password_sha256", "Alternative to `password_hash`: the SHA-256 of the password (weaker: "
     "unsalted).", True),
    ("members", "allowed_emails", "With single sign-on: only these e-mail addresses are members (a list).", False),
    ("members", "allowed_domains", "With single sign-on: only addresses at these domains are members (a list). "
     "Without either list, everyone the identity provider signs in is a member.", False),
    ("auth", "redirect_uri", "Single sign-on (OpenID Connect, `st.login`): the dashboard's "
     "`…/oauth2callback` address.", False),
    ("auth", "cookie_secret", "Single sign-on: a long random string that signs the login cookie.", True),
    ("auth", "client_id", "Single sign-on: the client id registered with the identity provider (or put "
     "`client_id`, `client_secret` and `server_metadata_url` in a named `[auth.<provider>]` section).", False),
    ("auth", "client_secret", "Single sign-on: the client secret from the identity provider.", True),
    ("auth", "server_metadata_url", "Single sign-on: the provider's `/.well-known/openid-configuration` "
     "address.", False),
)

_MEMBER_KEY = "odw_member"


@dataclass(frozen=True)
class AccessConfig:
    """What the secrets allow: a password hash and/or OIDC, and who counts as a member."""

    password_hash: str | None = None
    password_sha256: str | None = None
    oidc: bool = False
    oidc_provider: str | None = None
    allowed_emails: tuple[str, ...] = ()
    allowed_domains: tuple[str, ...] = ()

    @property
    def password_enabled(self) -> bool:
        return bool(self.password_hash or self.password_sha256)

    @property
    def available(self) -> bool:
        """Whether member mode can be entered at all on this deployment."""
        return self.password_enabled or self.oidc


def hash_password(password: str, *, iterations: int = PBKDF2_ITERATIONS, salt: bytes | None = None) -> str:
    """A PBKDF2-SHA256 hash string for ``[members] password_hash``."""
    salt = salt if salt is not None else token_source.token_bytes(16)
    digest = hashlib.pbkdf2_hmac("sha256", password.encode("utf-8"), salt, iterations)
    return f"pbkdf2_sha256${iterations}${salt.hex()}${digest.hex()}"


def verify_password(password: str, config: AccessConfig) -> bool:
    """Whether ``password`` matches the configured hash (constant-time comparison).

    A malformed hash in the secrets never matches: a configuration mistake must fail closed.
    """
    candidate = password.encode("utf-8")
    if config.password_hash:
        try:
            scheme, iterations, salt_hex, digest_hex = config.password_hash.split("$")
            if scheme != "pbkdf2_sha256":
                return False
            digest = hashlib.pbkdf2_hmac("sha256", candidate, bytes.fromhex(salt_hex), int(iterations))
            return hmac.compare_digest(digest.hex(), digest_hex.lower())
        except ValueError:
            return False
    if config.password_sha256:
        digest = hashlib.sha256(candidate).hexdigest()
        return hmac.compare_digest(digest, config.password_sha256.strip().lower())
    return False


def lockout_seconds(failures: int) -> float:
    """How long an address is locked after ``failures`` wrong passwords (0 = not locked)."""
    return address_lockout(failures)


def email_allowed(email: str | None, config: AccessConfig) -> bool:
    """Whether an OIDC user's e-mail passes ``allowed_emails`` / ``allowed_domains`` (if set)."""
    if not config.allowed_emails and not config.allowed_domains:
        return True
    if not email:
        return False
    email = email.strip().lower()
    domain = email.rpartition("@")[2]
    return email in config.allowed_emails or domain in config.allowed_domains


def config_from_secrets(secrets: Mapping) -> AccessConfig:
    """Read :class:`AccessConfig` from a secrets mapping (pure: pass ``st.secrets`` or a dict)."""
    members = dict(secrets.get("members", {}) or {})
    auth = dict(secrets.get("auth", {}) or {})
    # st.login needs the shared settings plus at least one provider (flat or a named subsection).
    providers = [name for name, value in auth.items() if isinstance(value, Mapping)]
    oidc = bool(auth.get("redirect_uri") and auth.get("cookie_secret")) and (
        bool(auth.get("client_id")) or bool(providers)
    )
    return AccessConfig(
        password_hash=(members.get("password_hash") or None),
        password_sha256=(members.get("password_sha256") or None),
        oidc=oidc,
        oidc_provider=(providers[0] if oidc and providers and not auth.get("client_id") else None),
        allowed_emails=tuple(str(e).strip().lower() for e in members.get("allowed_emails", ())),
        allowed_domains=tuple(str(d).strip().lower().lstrip("@") for d in members.get("allowed_domains", ())),
    )


# --------------------------------------------------------------------------------------------
# Streamlit glue
# --------------------------------------------------------------------------------------------


def load_config() -> AccessConfig:
    """The deployment's access configuration; no secrets file means public only."""
    try:
        return config_from_secrets(st.secrets)
    except (FileNotFoundError, st.errors.StreamlitSecretNotFoundError):
        return AccessConfig()


def _oidc_user_is_member(config: AccessConfig) -> bool:
    if not config.oidc:
        return False
    # ``st.user`` raises AttributeError for unknown fields (and outside a real server).
    if not getattr(st.user, "is_logged_in", False):
        return False
    return email_allowed(getattr(st.user, "email", None), config)


def is_member() -> bool:
    """Whether this session is in member mode (signed in by password or OIDC)."""
    config = load_config()
    if not config.available:
        return False
    if config.password_enabled and st.session_state.get(_MEMBER_KEY) is True:
        return True
    return _oidc_user_is_member(config)


def mode_label() -> str:
    """``"Member"`` or ``"Public"``, for captions and downloads."""
    return "Member" if is_member() else "Public"


@st.cache_resource(show_spinner=False)
def sign_in_limiter() -> SignInLimiter:
    """The server process's one wrong-password counter, shared by every session."""
    return SignInLimiter(ceiling=load_settings().signin_max_failures_per_minute)


def client_key() -> str:
    """Who a sign-in attempt comes from: the client's address, or this session where Streamlit
    gives none (a browser on the server itself)."""
    address = st.context.ip_address
    if isinstance(address, str) and address:
        return f"address {address}"
    ctx = get_script_run_ctx()
    return f"session {ctx.session_id if ctx else 'unknown'}"


def _locked_message(wait: float, reason: str) -> str:
    if reason == "global":
        return (f"Too many wrong passwords on this dashboard in the last minute: member sign-in is paused "
                f"for everyone. Try again in {int(wait) + 1} s.")
    return f"Too many wrong passwords. Member sign-in is locked for {int(wait) + 1} s."


def _try_password(config: AccessConfig, password: str) -> str | None:
    """Check a submitted password; return an error message or ``None`` when signed in."""
    limiter, client = sign_in_limiter(), client_key()
    verdict = limiter.check(client)
    if not verdict.allowed:
        log.warning("member sign-in refused unchecked from %s: locked (%s) for %.0f s", client, verdict.reason,
                    verdict.wait_seconds)
        return _locked_message(verdict.wait_seconds, verdict.reason)
    if verify_password(password, config):
        limiter.succeeded(client)
        st.session_state[_MEMBER_KEY] = True
        log.info("member signed in with the shared password from %s", client)
        return None
    verdict = limiter.failed(client)
    if not verdict.allowed:
        log.warning("member sign-in locked for %s (%s) for %.0f s after a wrong password", client, verdict.reason,
                    verdict.wait_seconds)
        return _locked_message(verdict.wait_seconds, verdict.reason)
    log.info("wrong member password from %s", client)
    return f"Wrong password ({limiter.remaining(client)} tries left before a lock-out)."


def signed_in_email() -> str | None:
    """The signed-in member's e-mail (single sign-on), or ``None`` for the shared password."""
    if st.session_state.get(_MEMBER_KEY) is True:
        return None
    email = getattr(st.user, "email", None) if getattr(st.user, "is_logged_in", False) else None
    return str(email) if email else None


def _sign_out() -> None:
    st.session_state[_MEMBER_KEY] = False


def render_sidebar() -> bool:
    """Draw the mode badge and sign-in/sign-out controls in the sidebar; return :func:`is_member`."""
    config = load_config()
    member = is_member()
    with st.sidebar:
        if member:
            st.badge("Member mode", icon=":material/lock_open:", color="orange")
            st.caption("Hot-spot-level detail is shown. Don't project or forward it outside the task force.")
            if st.session_state.get(_MEMBER_KEY) is True:
                st.button("Sign out", key="odw_member_sign_out", on_click=_sign_out, icon=":material/logout:")
            else:
                st.button("Sign out", key="odw_member_sign_out", on_click=st.logout, icon=":material/logout:")
            return True
        st.badge("Public view", icon=":material/public:", color="blue")
        with st.expander("Task-force member sign-in"):
            if not config.available:
                st.caption(
                    "Member mode is not set up on this deployment: no member password or "
                    "single sign-on is configured in its Streamlit secrets. Everyone sees the "
                    "public, suppressed view."
                )
                return False
            if config.oidc:
                st.button(
                    "Sign in with your organisation",
                    key="odw_member_oidc",
                    on_click=st.login,
                    args=(config.oidc_provider,) if config.oidc_provider else (),
                    icon=":material/login:",
                )
            if config.password_enabled:
                with st.form("odw_member_form", clear_on_submit=True, border=False):
                    password = st.text_input("Member password", type="password", key="odw_member_password")
                    submitted = st.form_submit_button("Sign in")
                if submitted:
                    error = _try_password(config, password or "")
                    if error:
                        st.error(error)
                    else:
                        st.rerun()
            st.caption("Member mode adds hot-spot-level detail. It never shows where a person died.")
    return False


if __name__ == "__main__":  # pragma: no cover - a helper for administrators
    import getpass

    first = getpass.getpass("Member password: ")
    if first != getpass.getpass("Again: "):
        raise SystemExit("The passwords differ.")
    if len(first) < 12:
        raise SystemExit("Use at least 12 characters.")
    print("[members]")
    print(f'password_hash = "{hash_password(first)}"')
