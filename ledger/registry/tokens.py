"""API tokens of officials: issued by the CLI, stored only as a hash, checked on every call.

A token reads ``dl1.<owner>.<id>.<secret>``: the owner (the official's code, base64url) finds
the official, the id names the token among theirs, and the SHA-256 of the whole token is what
the official's record keeps. A token is shown once, when it is issued.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets

from ..application import LedgerApp
from ..errors import Forbidden, NotFound
from .authority import acting
from .officials import Official, official_id

TOKEN_PREFIX = "dl1"


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def issue(app: LedgerApp, code: str, by: str | None) -> str:
    """Issue an API token for official ``code``; the token is returned once and stored hashed."""
    actor = acting(app, by, "token.manage")
    official: Official = app.get(official_id(code), Official, named=code)
    token_id = secrets.token_hex(4)
    owner = base64.urlsafe_b64encode(code.encode()).decode().rstrip("=")
    token = f"{TOKEN_PREFIX}.{owner}.{token_id}.{secrets.token_urlsafe(32)}"
    official.issue_token(token_id, token_hash(token), actor)
    app.save(official)
    return token


def revoke(app: LedgerApp, code: str, token_id: str, reason: str, by: str | None) -> None:
    actor = acting(app, by, "token.manage")
    official: Official = app.get(official_id(code), Official, named=code)
    official.revoke_token(token_id, reason, actor)
    app.save(official)


def authenticate(app: LedgerApp, token: str) -> Official:
    """The official a token was issued to; Forbidden if it is unknown or revoked, or if the
    official is deactivated."""
    parts = token.split(".")
    if len(parts) != 4 or parts[0] != TOKEN_PREFIX:
        raise Forbidden("not a drawledger token")
    try:
        code = base64.urlsafe_b64decode(parts[1] + "=" * (-len(parts[1]) % 4)).decode()
        official: Official = app.get(official_id(code), Official, named=code)
    except (ValueError, NotFound):
        raise Forbidden("unknown token") from None
    stored = official.tokens.get(parts[2])
    if stored is None or not hmac.compare_digest(stored, token_hash(token)):
        raise Forbidden("unknown or revoked token")
    if not official.active:
        raise Forbidden(f"official {official.code} is deactivated")
    return official


__all__ = ["TOKEN_PREFIX", "authenticate", "issue", "revoke", "token_hash"]
