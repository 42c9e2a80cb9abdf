"""Officials' API tokens as the read models keep them (ids, never hashes): who issued each and
when, its label and its expiry (``ledger/registry/tokens.py``).

For ``drawledger token list``, the warning of ``/health`` and the staff pages about live tokens
issued before tokens had a life, and the trail's "acted with token X issued by Y on D".
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import Engine, func, select

from . import tables as t
from .queries import _reading


def tokens(engine: Engine, official: str | None = None) -> list[dict[str, Any]]:
    """Every unrevoked token (of ``official``, a code, if given), by official and issue time:
    ``official``, ``token_id``, ``label``, ``issued_at``, ``issued_position``, ``issued_by``,
    ``expires_at`` (None: issued without a life), ``active`` (the official's)."""
    c = t.official_tokens.c
    o = t.officials.c
    query = (
        select(
            o.code.label("official"),
            o.active,
            c.token_id,
            c.label,
            c.issued_at,
            c.issued_position,
            c.issued_by,
            c.expires_at,
        )
        .join(t.officials, o.id == c.official_id)
        .order_by(o.code, c.issued_position)
    )
    if official is not None:
        query = query.where(o.code == official)
    with _reading(engine) as conn:
        return [dict(row._mapping) for row in conn.execute(query)]


def without_expiry(engine: Engine) -> int:
    """How many live tokens (their official active, unrevoked) have no expiry."""
    c = t.official_tokens.c
    query = (
        select(func.count())
        .select_from(t.official_tokens)
        .join(t.officials, t.officials.c.id == c.official_id)
        .where(t.officials.c.active.is_(True), c.expires_at.is_(None))
    )
    with _reading(engine) as conn:
        return int(conn.execute(query).scalar_one())


def token_warnings(engine: Engine) -> list[dict[str, str]]:
    """``[]``, or one warning (Chinese and English) naming how many live tokens have no expiry:
    issued before tokens had a life, they act until revoked (reissue them)."""
    count = without_expiry(engine)
    if not count:
        return []
    return [
        {
            "code": "tokens_without_expiry",
            "count": str(count),
            "zh": (
                f"有 {count} 个有效的访问令牌没有有效期（在令牌有期限之前签发），在吊销前一直"
                "有效：请用 drawledger token list 查看，为其所有者重新签发令牌并吊销旧令牌。"
            ),
            "en": (
                f"{count} live API token(s) have no expiry (issued before tokens had a life) "
                "and act until revoked: list them with 'drawledger token list', issue their "
                "owners new tokens and revoke the old ones."
            ),
        }
    ]
