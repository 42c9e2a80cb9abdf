"""Login failures limited (等保 2.0, 登录失败处理): after ``FAILURES`` refused tokens from one
client address within ``WINDOW`` seconds, that address's logins on the staff pages' forms and
its bearer-token requests (the API, the pages, uploads) are answered 429, with ``Retry-After``
and a Chinese message, for ``LOCKOUT`` seconds — even with a good token, so that a guesser
learns nothing meanwhile. Other addresses are not held back by it: each counts its own.

A refused token is one ``authenticate`` refuses as unknown (malformed, never issued, revoked:
``tokens.UnknownToken``, what a guess gets). A genuine token refused as expired or as a
deactivated official's is not counted (a forgotten script retrying it would otherwise hold back
an office behind one address), nor is a session cookie already logged in.

Kept in memory, per process: a restart forgets the counts, and with several workers each
counts its own (an address gets up to workers × ``FAILURES`` tries a window). At most
``MAX_ADDRESSES`` addresses are kept (the oldest forgotten first), so a flood of addresses
cannot grow it without bound. The address is the client's as uvicorn gives it
(``request.client``: behind a reverse proxy, the ``X-Forwarded-For`` of a proxy uvicorn trusts,
``FORWARDED_ALLOW_IPS``; otherwise every client is the proxy's one address).
"""

from __future__ import annotations

import threading
import time
from collections import OrderedDict
from collections.abc import Callable
from typing import Any, TypeVar

from ledger.errors import LedgerError
from ledger.registry.tokens import UnknownToken

FAILURES = 10  # refused tokens from one address within WINDOW before it is held back
WINDOW = 10 * 60  # seconds
LOCKOUT = 15 * 60  # seconds an address is held back
MAX_ADDRESSES = 10_000

T = TypeVar("T")


def address_of(client: Any) -> str:
    """The address of a request's client (``request.client`` or the ASGI scope's ``client``:
    host and port), as the throttle counts it."""
    return str(client[0]) if client else "unknown"


def throttle_of(request: Any) -> LoginThrottle:
    """The service's login throttle (``api/app.py`` keeps one on the application's state)."""
    throttle: LoginThrottle = request.app.state.login_throttle
    return throttle


class TooManyFailures(LedgerError):
    """An address held back after too many refused tokens (429, with ``Retry-After``)."""

    def __init__(self, retry_after: int) -> None:
        self.retry_after = retry_after
        super().__init__(f"too many refused tokens from this address: try again in {retry_after} s")


class LoginThrottle:
    """The refused tokens of each address in the last ``WINDOW``, and the addresses held back."""

    def __init__(self, clock: Callable[[], float] = time.monotonic) -> None:
        self.clock = clock
        self._lock = threading.Lock()
        # address -> (times of its refused tokens within the window, held back until)
        self._seen: OrderedDict[str, tuple[list[float], float]] = OrderedDict()

    def check(self, address: str) -> None:
        """``TooManyFailures`` while ``address`` is held back."""
        with self._lock:
            kept = self._seen.get(address)
        if kept is not None and kept[1] > (now := self.clock()):
            raise TooManyFailures(max(1, round(kept[1] - now)))

    def failed(self, address: str) -> None:
        """Count a refused token from ``address``; hold it back at the ``FAILURES``-th."""
        now = self.clock()
        with self._lock:
            times, until = self._seen.pop(address, ([], 0.0))
            times = [t for t in times if t > now - WINDOW] + [now]
            if len(times) >= FAILURES:
                times, until = [], now + LOCKOUT
            self._seen[address] = (times, until)  # the most recent last
            while len(self._seen) > MAX_ADDRESSES:
                self._seen.popitem(last=False)

    def authenticate(self, address: str, authenticate: Callable[[str], T], token: str) -> T:
        """``authenticate(token)`` for ``address``: TooManyFailures while it is held back; an
        unknown token (``UnknownToken``) counted, then raised."""
        self.check(address)
        try:
            return authenticate(token)
        except UnknownToken:
            self.failed(address)
            raise
