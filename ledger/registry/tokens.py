"""API tokens of officials: issued by the CLI, stored only as a hash, checked on every call.

A token reads ``dl1.<owner>.<id>.<secret>``: the owner (the official's code, base64url) finds
the official, the id names the token among theirs, and the SHA-256 of the whole token is what
the official's record keeps. A token is shown once, when it is issued.

Every token issued has a life (等保 2.0: credentials of limited life): ``--days N``, by default
the policy's ``[tokens] default_days`` (90), at most its ``max_days`` (365; never more than
``MAX_DAYS``). Its expiry, a UTC time, is recorded in ``official.token_issued`` and
``authenticate`` refuses the token from then on, naming it. A token issued before tokens had a
life has no expiry: it keeps working (a bureau is not locked out at the upgrade) and is listed
as "no expiry — reissue" (``drawledger token list``, ``/health``:
``projections/credentials.py``).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
from datetime import UTC, datetime, timedelta
from typing import Any

from verify.workdays import CHINA

from ..application import LedgerApp
from ..errors import BadInput, Forbidden, NotFound
from ..mapper import format_time, parse_time
from ..policy_rules import MAX_TOKEN_DAYS as MAX_DAYS
from .authority import acting, operator_policy
from .officials import Official, official_id

TOKEN_PREFIX = "dl1"
DEFAULT_DAYS = 90  # a token's life when neither --days nor the policy's [tokens] says
LABEL_MAX = 32  # characters of a token's label


class TokenExpired(Forbidden):
    """A token past its expiry: refused like a revoked one (403), naming when it expired."""


class UnknownToken(Forbidden):
    """Not a token the ledger issued, or one revoked (403): what a guess gets, which the
    service's login throttle counts (a genuine token expired, or of a deactivated official, is
    refused with plain Forbidden or ``TokenExpired``, and not counted)."""


def clock() -> datetime:
    """Now, as tokens are judged (a test moves it on to see a token expire)."""
    return datetime.now(UTC)


def token_life(policy: dict[str, Any]) -> tuple[int, int]:
    """The policy's ``[tokens]`` default and maximum life in days (90 and 365 unless it says)."""
    section = policy.get("tokens", {})
    return section.get("default_days", DEFAULT_DAYS), section.get("max_days", MAX_DAYS)


def china_day(expires: str) -> str:
    """A UTC time of the log as the China time it falls on, to the minute (``2027-03-04
    09:30``)."""
    return parse_time(expires).astimezone(CHINA).strftime("%Y-%m-%d %H:%M")


def token_id_of(token: str) -> str:
    """The id a token names itself by among its owner's (``dl1.<owner>.<id>.<secret>``): what
    an act done with it records, never its secret. The token must be one ``authenticate``
    accepted or ``issue`` returned."""
    return token.split(".")[2]


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def issue(
    app: LedgerApp,
    code: str,
    by: str | None,
    *,
    days: int | None = None,
    label: str | None = None,
) -> str:
    """Issue an API token for official ``code``, living ``days`` (the policy's default if
    None; BadInput beyond its maximum); the token is returned once and stored hashed."""
    actor = acting(app, by, "token.manage")
    default, longest = token_life(operator_policy(app) or {})
    life = default if days is None else days
    if not 1 <= life <= longest:
        raise BadInput(
            f"--days {life}: a token lives from 1 to {longest} days (the policy's tokens.max_days)"
        )
    label = (label or "").strip() or None
    if label is not None and (len(label) > LABEL_MAX or not label.isprintable()):
        raise BadInput(f"--label {label!r}: at most {LABEL_MAX} printable characters")
    official: Official = app.get(official_id(code), Official, named=code)
    token_id = secrets.token_hex(4)
    owner = base64.urlsafe_b64encode(code.encode()).decode().rstrip("=")
    token = f"{TOKEN_PREFIX}.{owner}.{token_id}.{secrets.token_urlsafe(32)}"
    expires = format_time(clock() + timedelta(days=life))
    official.issue_token(token_id, token_hash(token), expires, label, actor)
    app.save(official)
    return token


def revoke(app: LedgerApp, code: str, token_id: str, reason: str, by: str | None) -> None:
    actor = acting(app, by, "token.manage")
    official: Official = app.get(official_id(code), Official, named=code)
    official.revoke_token(token_id, reason, actor)
    app.save(official)


def authenticate(app: LedgerApp, token: str, now: datetime | None = None) -> Official:
    """The official a token was issued to; Forbidden if it is unknown or revoked, or if the
    official is deactivated; ``TokenExpired`` (Forbidden) if its expiry is past at ``now``."""
    parts = token.split(".")
    if len(parts) != 4 or parts[0] != TOKEN_PREFIX:
        raise UnknownToken("not a drawledger token")
    try:
        code = base64.urlsafe_b64decode(parts[1] + "=" * (-len(parts[1]) % 4)).decode()
        official: Official = app.get(official_id(code), Official, named=code)
    except (ValueError, NotFound):
        raise UnknownToken("unknown token") from None
    stored = official.tokens.get(parts[2])
    if stored is None or not hmac.compare_digest(stored, token_hash(token)):
        raise UnknownToken("unknown or revoked token")
    if not official.active:
        raise Forbidden(f"official {official.code} is deactivated")
    expires = official.token_expires.get(parts[2])
    if expires is not None and parse_time(expires) <= (now or clock()):
        raise TokenExpired(
            f"token {parts[2]} of official {official.code} expired on {china_day(expires)} "
            "(China time): ask for a new one (drawledger token issue)"
        )
    return official


__all__ = [
    "DEFAULT_DAYS",
    "MAX_DAYS",
    "TOKEN_PREFIX",
    "TokenExpired",
    "UnknownToken",
    "authenticate",
    "china_day",
    "issue",
    "revoke",
    "token_hash",
    "token_id_of",
    "token_life",
]
