"""Rotating and revoking the ledger's key (docs/OPERATIONS.md, "Rotating a key").

``rotate`` makes a new key, records ``ledger.key_rotated`` naming it (signed by the old key,
the one in use), and switches the data directory to the new key; the old one keeps co-signing
every checkpoint (the *overlap*, ``overlap_key`` in ``drawledger.toml``) until ``end_overlap``,
so that witnesses and auditors who know only the old key can follow. The verifier trusts the new
key from the position after the rotation, and retires the old one where the new one first signs.

``revoke`` records ``ledger.key_revoked``: the key is no longer trusted from a ledger position
on (events it signed there or later fail verification). The key in use cannot be revoked:
rotate first. Every key ever used is listed in ``keys/history.pub``, for reading old events.
"""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

from verify.errors import VerifyError
from verify.keys import SignerKey, VerifierKey, parse_verifier_key

from .actors import SYSTEM
from .application import LedgerApp
from .config import Settings
from .errors import BadInput, Conflict
from .keyfile import add_to_key_history, create_key
from .ledger_meta import Ledger, ledger_id
from .person_refs import ref_key


def rotate(data_dir: Path, reason: str) -> tuple[VerifierKey, VerifierKey, int]:
    """The old key, the new key, and the ledger position of the rotation event."""
    settings = Settings.load(data_dir)
    app = LedgerApp.open(data_dir)
    try:
        ref_key(app)  # persons' references keep the key they were made with (person_refs.py)
        old = app.signer
        stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
        new_file = data_dir / "keys" / f"ledger-{stamp}.key"
        new = create_key(new_file, app.origin)
        add_to_key_history(data_dir, [*app.key_history, new.verifier])
        ledger: Ledger = app.get(ledger_id(app.origin), Ledger)
        ledger.rotate(str(new.verifier), reason.strip(), SYSTEM.to_json())
        app.save(ledger)
        position = app.recorder.max_notification_id() or 0
        # The checkpoint that covers the rotation carries both signatures (embedded sealing;
        # with PostgreSQL the follower signs with the keys it was started with).
        app.sealer.overlap = [new]
        if app.embedded_sealing:
            app.seal()
    finally:
        app.close()
    _write(settings, key_file=new_file, overlap_key=settings.key_file)
    return old.verifier, new.verifier, position


def revoke(data_dir: Path, key_text: str, from_position: int, reason: str) -> int:
    """Record that ``key_text`` is not trusted from ledger position ``from_position`` on;
    returns the leaf index recorded (``from_index``)."""
    if not reason.strip():
        raise BadInput("reason: say why the key is revoked (it is recorded)")
    try:
        key = parse_verifier_key(key_text.strip())
    except VerifyError as e:
        raise BadInput(f"key: {e}") from None
    settings = Settings.load(data_dir)
    app = LedgerApp.open(data_dir)
    try:
        if str(key) == str(app.signer.verifier):
            raise Conflict("this is the key the ledger signs with: rotate first, then revoke it")
        head = app.recorder.max_notification_id() or 0
        if not 1 <= from_position <= head + 1:
            raise BadInput(f"from position {from_position}: the log has positions 1 to {head}")
        if app.embedded_sealing:
            app.seal()
        if from_position <= head:
            from_index = app.sealer.leaf_index(from_position)
        else:  # from the next event on
            latest = app.sealer.latest()
            from_index = latest.size if latest else 0
        ledger: Ledger = app.get(ledger_id(app.origin), Ledger)
        ledger.revoke(str(key), from_index, reason.strip(), SYSTEM.to_json())
        app.save(ledger)
    finally:
        app.close()
    if settings.overlap_key is not None and _same(settings.overlap_key, key):
        _write(settings, key_file=settings.key_file, overlap_key=None)
    return from_index


def end_overlap(data_dir: Path) -> bool:
    """Stop the old key's co-signing; False if there was no overlap."""
    settings = Settings.load(data_dir)
    if settings.overlap_key is None:
        return False
    _write(settings, key_file=settings.key_file, overlap_key=None)
    return True


def _same(path: Path, key: VerifierKey) -> bool:
    from .keyfile import load_key

    signer: SignerKey = load_key(path)
    return str(signer.verifier) == str(key)


def _write(settings: Settings, *, key_file: Path, overlap_key: Path | None) -> None:
    from dataclasses import replace

    replace(settings, key_file=key_file, overlap_key=overlap_key).write()
