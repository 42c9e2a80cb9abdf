"""Which of the bundle's keys may sign: the first event's key, and keys it introduced.

A bundle's header lists keys, but listing proves nothing: anyone can add a line. The log's first
event, ``ledger.created``, names the ledger's key; that key is trusted from position 0 (if the
auditor anchored it: ``--key`` or a ``--trusted-checkpoint`` it signed). A later key is trusted
only from the position after an event of a type in ``KEY_INTRODUCTIONS`` (a key rotation) that a
key already trusted signed and that names it. Every other key is never trusted: an event or a
checkpoint signed by it fails, whatever the header says.

Key rotation is not recorded by the ledger yet; adding its event type to
``authority_replay.KEY_INTRODUCTIONS`` is the hook, and a test plays one through ``walk``.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from .errors import VerifyError
from .keys import VerifierKey, parse_verifier_key


def walk(
    events: Iterable[tuple[int, str, bytes, Any]],
    keys: dict[bytes, VerifierKey],
    first: VerifierKey | None,
    introductions: Iterable[str],
) -> tuple[dict[bytes, VerifierKey], list[tuple[int, str]]]:
    """Walk ``(position, type, signing key id, key named)`` of the events whose signature
    verified under ``keys``; return the keys trusted at the end and a failure per event signed
    by a key not trusted at its position. ``first`` is the key ``ledger.created`` names."""
    kinds = set(introductions)
    trusted = {} if first is None else {first.key_id: first}
    failures: list[tuple[int, str]] = []
    for position, kind, key_id, named in events:
        if key_id not in trusted:
            signer = keys[key_id]
            failures.append(
                (
                    position,
                    f"signed by {signer.name}+{key_id.hex()}, a key of the bundle's header that "
                    f"ledger.created does not name ({_text(first)}) and no event signed by a "
                    "trusted key introduced: never trusted",
                )
            )
            continue
        if position > 0 and kind in kinds:
            try:
                key = parse_verifier_key(named)
            except (VerifyError, TypeError, AttributeError):
                failures.append((position, f"{kind} names the key {named!r}, not a verifier key"))
                continue
            if str(keys.get(key.key_id)) != str(key):
                failures.append((position, f"{kind} introduces {key}, which the bundle lacks"))
                continue
            trusted[key.key_id] = keys[key.key_id]
    return trusted, failures


def _text(key: VerifierKey | None) -> str:
    return "none" if key is None else f"{key.name}+{key.key_id.hex()}"
