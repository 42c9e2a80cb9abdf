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
from .errors import BadInput, ConfigurationError, Conflict
from .keyfile import add_to_key_history, create_key, load_key
from .ledger_meta import Ledger, ledger_id
from .person_refs import ref_key


def rotate(data_dir: Path, reason: str) -> tuple[VerifierKey, VerifierKey, int, bool]:
    """The old key, the new key, the ledger position of the rotation event, and whether this
    call only finished a rotation cut short (recorded, the settings not yet switched: then no
    new key is made and ``reason`` is not recorded again)."""
    settings = Settings.load(data_dir)
    app = LedgerApp.open(data_dir)
    try:
        unfinished = unfinished_rotation(app, data_dir)
        if unfinished is not None:
            new_file, new_key, position = unfinished
            app.sealer.overlap = [new_key]
            if app.embedded_sealing:
                app.seal()  # what a kill left unsealed, co-signed as the rotation would have
            old = app.signer
        else:
            old, new_file, new_key, position = _record_rotation(app, data_dir, reason)
    finally:
        app.close()
    _write(settings, key_file=new_file, overlap_key=settings.key_file)
    return old.verifier, new_key.verifier, position, unfinished is not None


def unfinished_rotation(app: LedgerApp, data_dir: Path) -> tuple[Path, SignerKey, int] | None:
    """A ``keys rotate`` cut short after recording ``ledger.key_rotated`` (a kill, a power cut, a
    full disk under the settings): the new key's file, the key, and the rotation's position;
    None if the ledger signs with the key its last rotation named. ConfigurationError if that
    key's file is not in ``keys/``."""
    ledger: Ledger = app.get(ledger_id(app.origin), Ledger)
    named = ledger.verifier_keys[-1]
    if named == str(app.signer.verifier):
        return None
    position = max(
        n.id for n in app.notifications(topics=["ledger.key_rotated"])
    )  # the last rotation (a few events: the topic index reads them alone)
    for path in sorted((data_dir / "keys").glob("ledger-*.key")):
        try:
            key = load_key(path)
        except ConfigurationError:  # a key file cut short by a kill before anything was recorded
            continue
        if str(key.verifier) == named:
            return path, key, position
    raise ConfigurationError(
        f"the ledger rotated to key {named} at position {position}, but no file in "
        f"{data_dir / 'keys'} holds it and the settings name an older key: put back the new "
        "key's file (keys/ledger-<time>.key) from the key store"
    )


def _record_rotation(
    app: LedgerApp, data_dir: Path, reason: str
) -> tuple[SignerKey, Path, SignerKey, int]:
    """Make the new key and record ``ledger.key_rotated`` (signed by the key in use): the old
    key, the new key's file, the new key, the event's position."""
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
    return old, new_file, new, position


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
    signer: SignerKey = load_key(path)
    return str(signer.verifier) == str(key)


def _write(settings: Settings, *, key_file: Path, overlap_key: Path | None) -> None:
    from dataclasses import replace

    replace(settings, key_file=key_file, overlap_key=overlap_key).write()
