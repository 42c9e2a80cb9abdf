"""The credential replay: an act done with an API token names it (the actor's ``token``,
docs/FORMAT.md); was that token, where the act stands in the log, one issued to the acting
official (``official.token_issued`` on their record), not revoked before it
(``official.token_revoked``) and not expired at the act's time (the issue's ``expires``)?

The attacker this catches is whoever signs events without going through the ledger's checks —
an operator holding the signing key writing acts in another official's name, naming a token of
theirs, of someone else, or one long revoked or expired. What a finding-free replay proves, and
what it does not (docs/FORMAT.md, "Credentials"): every act naming a token names one live for
that official then; not that the official, rather than someone holding their token, acted, nor
anything of acts that name no token (the operator's, those recorded before acts named tokens,
those of a service called with an official's code alone).

Folded event by event beside the authority replay (``authority_replay.AuthorityReplay``), on
the official codes its log keeps; pure data and functions, no I/O.
"""

from __future__ import annotations

from typing import Any

CREDENTIAL_RULE = (
    "以访问令牌办理的行为须使用当时签发给办理人本人、未吊销且未过期的令牌（credential_problem）"
)
TOKEN_EVENTS = frozenset({"official.token_issued", "official.token_revoked"})
_TIME_LENGTH = len("2026-01-02T03:04:05.678901Z")  # the envelope's time form (FORMAT.md)


def token_facts(kind: str, payload: dict[str, Any]) -> Any:
    """What the replay folds of a token event: ``(token id, expires)`` of an issue, the token id
    of a revocation."""
    if kind == "official.token_issued":
        return (payload.get("token_id"), payload.get("expires"))
    return payload.get("token_id")


class Credentials:
    """Every token issued, as the log stood: (official code, token id) -> (position issued,
    expires or None, position revoked or None)."""

    def __init__(self) -> None:
        self.tokens: dict[tuple[Any, Any], tuple[int, Any, int | None]] = {}

    def apply(self, position: int, kind: str, official: Any, extra: Any) -> None:
        """Fold ``official.token_issued`` / ``official.token_revoked`` of official ``official``
        (their code; None when the record is no registered official's: nothing to fold)."""
        if not isinstance(official, str):
            return
        if kind == "official.token_issued" and isinstance(extra, tuple) and len(extra) == 2:
            token_id, expires = extra
            if isinstance(token_id, str):
                self.tokens[(official, token_id)] = (position, expires, None)
        elif kind == "official.token_revoked" and isinstance(extra, str):
            held = self.tokens.get((official, extra))
            if held is not None and held[2] is None:
                self.tokens[(official, extra)] = (held[0], held[1], position)

    def problem(
        self, official: Any, operator: bool, credential: tuple[Any, Any]
    ) -> tuple[str, str] | None:
        """(the rule, why) if the act of ``official`` at its time, done with the token
        ``credential`` = (token id, the act's time) names one that was not live for them."""
        token_id, time = credential
        if operator:
            return CREDENTIAL_RULE, f"账本运营方的行为不使用访问令牌，此行为却写明令牌 {token_id!r}"
        held = self.tokens.get((official, token_id)) if isinstance(token_id, str) else None
        if held is None:
            return CREDENTIAL_RULE, f"令牌 {token_id!r} 在此位置之前从未签发给工作人员 {official}"
        issued, expires, revoked = held
        if revoked is not None:
            return CREDENTIAL_RULE, (
                f"工作人员 {official} 的令牌 {token_id}（签发于叶子 {issued}）"
                f"已于叶子 {revoked} 吊销"
            )
        if expires is None:
            return None  # issued before tokens had a life: live until revoked
        if not (isinstance(expires, str) and len(expires) == _TIME_LENGTH):
            return CREDENTIAL_RULE, f"令牌 {token_id} 的有效期 {expires!r} 无法识别"
        if not isinstance(time, str) or time >= expires:  # one form: the text order is time's
            return CREDENTIAL_RULE, (
                f"工作人员 {official} 的令牌 {token_id}（签发于叶子 {issued}）已于 {expires} 过期，"
                f"此行为时间为 {time}"
            )
        return None
