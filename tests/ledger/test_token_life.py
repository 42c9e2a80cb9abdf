"""Tokens with a life (等保 2.0, credentials of limited life): every token issued expires, the
expiry is in the signed ``official.token_issued``, an expired token is refused naming the day,
and a token issued before tokens had a life keeps working but is listed as one to reissue.
On SQLite and PostgreSQL (the ``ledger`` fixture)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from ledger.errors import BadInput, Forbidden
from ledger.fields import InvalidFields
from ledger.mapper import parse_time
from ledger.policies import Policies
from ledger.policy import default_policy
from ledger.registry.officials import Official, official_id
from ledger.registry.tokens import TokenExpired, authenticate, token_hash
from projections import open_read_models
from projections.credentials import token_warnings, tokens

from .test_registry import registry  # noqa: F401  (the fixture: a bureau with an admin)


def _issued(bureau, token: str) -> dict:  # type: ignore[no-untyped-def]
    """The payload of the ``official.token_issued`` that recorded ``token``."""
    token_id = token.split(".")[2]
    for _, record in bureau.app.records(topics=["official.token_issued"]):
        if record.envelope["payload"]["token_id"] == token_id:
            return record.envelope  # type: ignore[no-any-return]
    raise AssertionError(f"no official.token_issued for {token_id}")


def test_a_new_token_expires_after_the_policys_default_and_the_log_says_when(registry):  # noqa: F811
    before = datetime.now(UTC)
    token = registry.issue_token("szc-clerk", by="admin", label="办公室电脑")
    envelope = _issued(registry, token)
    expires = parse_time(envelope["payload"]["expires"])
    assert before + timedelta(days=90) <= expires <= datetime.now(UTC) + timedelta(days=90)
    assert envelope["payload"]["label"] == "办公室电脑"
    assert "secret" not in str(envelope) and token.split(".")[3] not in str(envelope)
    assert registry.authenticate(token).code == "szc-clerk"


def test_an_expired_token_is_refused_naming_the_china_day_it_expired(registry):  # noqa: F811
    token = registry.issue_token("szc-clerk", by="admin", days=1)
    expires = parse_time(_issued(registry, token)["payload"]["expires"])
    assert authenticate(registry.app, token, now=expires - timedelta(seconds=1)).code
    china = (expires + timedelta(hours=8)).strftime("%Y-%m-%d %H:%M")
    with pytest.raises(TokenExpired, match=f"expired on {china} \\(China time\\)"):
        authenticate(registry.app, token, now=expires)
    with pytest.raises(Forbidden):  # an expired token is refused like a revoked one
        authenticate(registry.app, token, now=expires + timedelta(days=400))


@pytest.mark.parametrize("days", [0, -1, 366])
def test_a_life_beyond_the_policys_bounds_is_refused_and_nothing_is_issued(registry, days):  # noqa: F811
    with pytest.raises(BadInput, match=f"--days {days}: a token lives from 1 to 365 days"):
        registry.issue_token("szc-clerk", by="admin", days=days)
    assert not registry.official("szc-clerk").tokens


def test_the_policy_in_force_sets_the_default_and_the_longest_life(registry):  # noqa: F811
    document = {**default_policy(), "version": "tokens/1", "tokens": {"default_days": 7}}
    document["tokens"]["max_days"] = 30
    Policies(registry.app).set(document, "admin")
    token = registry.issue_token("szc-clerk", by="admin")
    envelope = _issued(registry, token)
    life = parse_time(envelope["payload"]["expires"]) - parse_time(envelope["time"])
    assert timedelta(days=7) - timedelta(seconds=5) < life <= timedelta(days=7)
    with pytest.raises(BadInput, match="from 1 to 30 days"):
        registry.issue_token("szc-clerk", by="admin", days=31)
    bad = {**document, "version": "tokens/2", "tokens": {"default_days": 40, "max_days": 30}}
    with pytest.raises(InvalidFields, match="tokens.default_days"):
        Policies(registry.app).set(bad, "admin")
    with pytest.raises(InvalidFields, match="tokens.max_days"):
        Policies(registry.app).set({**document, "tokens": {"max_days": 3650}}, "admin")


def _old_token(bureau, code: str) -> str:  # type: ignore[no-untyped-def]
    """A token as the ledger issued it before tokens had a life: no ``expires``."""
    official: Official = bureau.app.get(official_id(code), Official)
    token = f"dl1.{'c3pjLWNsZXJr'}.0ld70ken.{'x' * 43}"
    official.trigger_event(
        Official.TokenIssued,
        token_id="0ld70ken",
        token_hash=token_hash(token),
        actor={"official": "admin", "role": "admin", "department": "bgs"},
    )
    for event in official.pending_events:  # the members this change added, left out
        vars(event).pop("expires")
        vars(event).pop("label")
    bureau.app.save(official)
    return token


def test_a_token_issued_before_tokens_had_a_life_still_works_and_is_listed_to_reissue(registry):  # noqa: F811
    old = _old_token(registry, "szc-clerk")
    assert "expires" not in _issued(registry, old)["payload"]  # as such events were written
    far = datetime.now(UTC) + timedelta(days=3650)
    assert authenticate(registry.app, old, now=far).code == "szc-clerk"  # no lock-out
    registry.issue_token("szc-clerk", by="admin", label="笔记本")
    read_models = open_read_models(registry.app, attach=False)
    try:
        rows = {row["token_id"]: row for row in tokens(read_models.engine, "szc-clerk")}
        assert rows["0ld70ken"]["expires_at"] is None
        assert rows["0ld70ken"]["issued_by"] == "admin"
        [new] = [row for row in rows.values() if row["token_id"] != "0ld70ken"]
        assert new["expires_at"] and new["label"] == "笔记本"
        [warning] = token_warnings(read_models.engine)
        assert warning["code"] == "tokens_without_expiry" and warning["count"] == "1"
    finally:
        read_models.close()
    registry.revoke_token("szc-clerk", "0ld70ken", "重新签发", by="admin")
    read_models = open_read_models(registry.app, attach=False)  # caught up as it opens
    try:
        assert token_warnings(read_models.engine) == []
    finally:
        read_models.close()
