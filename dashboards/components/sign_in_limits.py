"""Limits on member-password guessing that a new browser session does not reset.

Wrong passwords are counted in the server process (one :class:`SignInLimiter`, kept by
``st.cache_resource``) per client address — ``st.context.ip_address``, or the session where there
is none (a browser on the server itself) — and for the whole app:

* per address, :data:`FREE_ATTEMPTS` wrong passwords, then a lock-out of :data:`FIRST_LOCKOUT_SECONDS`
  that doubles with every further wrong password (up to :data:`MAX_LOCKOUT_SECONDS`); a correct
  password clears the address's count, a quiet :data:`FORGET_AFTER_SECONDS` forgets it;
* for everyone, at most ``ceiling`` (``ODW_SIGNIN_MAX_FAILURES_PER_MINUTE``, default
  :data:`GLOBAL_MAX_FAILURES`) wrong passwords in :data:`GLOBAL_WINDOW_SECONDS`:
  beyond that, password sign-in is paused for all until the window has room again, so guessing
  from many addresses (or many fresh sessions) is bounded too.

While an address or the app is locked, a password is not even checked. The limiter's state is
lost when the server restarts — which an attacker cannot trigger — and is shared by every session
of the process, under a lock. Behind a reverse proxy, Streamlit sees the proxy's address unless the
proxy passes the client's (see the reliability-and-security page of the docs).
"""

from __future__ import annotations

import threading
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass

#: Wrong passwords from one address before it is locked out.
FREE_ATTEMPTS = 5
#: The first lock-out of an address; it doubles with every further wrong password.
FIRST_LOCKOUT_SECONDS = 60.0
#: The longest lock-out of an address.
MAX_LOCKOUT_SECONDS = 24 * 3600.0
#: An address with no wrong password for this long starts again from zero.
FORGET_AFTER_SECONDS = 24 * 3600.0
#: At most this many wrong passwords for the whole app (the default of the setting) …
GLOBAL_MAX_FAILURES = 30
#: … within this many seconds.
GLOBAL_WINDOW_SECONDS = 60.0


@dataclass(frozen=True)
class Verdict:
    """Whether a sign-in attempt may be checked now; if not, why and for how long."""

    allowed: bool
    wait_seconds: float = 0.0
    reason: str = ""
    """``"address"`` (this client is locked out) or ``"global"`` (sign-in paused for everyone)."""


def address_lockout(failures: int) -> float:
    """Seconds an address is locked after ``failures`` wrong passwords (0: not locked)."""
    if failures < FREE_ATTEMPTS:
        return 0.0
    return min(MAX_LOCKOUT_SECONDS, FIRST_LOCKOUT_SECONDS * 2 ** (failures - FREE_ATTEMPTS))


@dataclass
class _Address:
    failures: int = 0
    locked_until: float = 0.0
    last_failure: float = 0.0


class SignInLimiter:
    """The wrong-password counts of one server process (thread-safe): ``ceiling`` wrong passwords
    per :data:`GLOBAL_WINDOW_SECONDS` for the whole app. ``clock`` is for tests."""

    def __init__(self, ceiling: int = GLOBAL_MAX_FAILURES, clock: Callable[[], float] = time.monotonic) -> None:
        self.ceiling = ceiling
        self._clock = clock
        self._lock = threading.Lock()
        self._addresses: dict[str, _Address] = {}
        self._recent: deque[float] = deque()

    def _prune(self, now: float) -> None:
        while self._recent and self._recent[0] <= now - GLOBAL_WINDOW_SECONDS:
            self._recent.popleft()
        stale = [k for k, a in self._addresses.items() if a.locked_until <= now and a.last_failure <= now - FORGET_AFTER_SECONDS]
        for key in stale:
            del self._addresses[key]

    def check(self, client: str) -> Verdict:
        """May ``client`` try a password now?"""
        with self._lock:
            now = self._clock()
            self._prune(now)
            entry = self._addresses.get(client)
            if entry is not None and entry.locked_until > now:
                return Verdict(False, entry.locked_until - now, "address")
            if len(self._recent) >= self.ceiling:
                return Verdict(False, self._recent[0] + GLOBAL_WINDOW_SECONDS - now, "global")
            return Verdict(True)

    def failed(self, client: str) -> Verdict:
        """Record a wrong password from ``client``; return the lock-out it now has, if any."""
        with self._lock:
            now = self._clock()
            self._prune(now)
            self._recent.append(now)
            entry = self._addresses.setdefault(client, _Address())
            entry.failures += 1
            entry.last_failure = now
            wait = address_lockout(entry.failures)
            if wait:
                entry.locked_until = now + wait
                return Verdict(False, wait, "address")
            if len(self._recent) >= self.ceiling:
                return Verdict(False, self._recent[0] + GLOBAL_WINDOW_SECONDS - now, "global")
            return Verdict(True)

    def succeeded(self, client: str) -> None:
        """A correct password from ``client``: its count starts again from zero."""
        with self._lock:
            self._addresses.pop(client, None)

    def failures(self, client: str) -> int:
        """Wrong passwords counted for ``client`` now."""
        with self._lock:
            entry = self._addresses.get(client)
            return entry.failures if entry else 0

    def remaining(self, client: str) -> int:
        """Wrong passwords ``client`` may still make before its first lock-out."""
        return max(0, FREE_ATTEMPTS - self.failures(client))
