"""Reading a sealed prefix of the log checked through its signed checkpoint, not record by record.

The checked reader (``LedgerApp.records``) verifies an Ed25519 signature per record it has not
seen (~0.3 ms each): a cold fold of a large log after a restart paid minutes. A record inside
the latest signed checkpoint can be vouched for more cheaply: the checkpoint signs a Merkle root
over the SHA-256 leaf hash of every record (``sealer.py``), and the sealer integrates only
records whose signatures were checked (or that this process itself signed: see
``LedgerApp.check_before_sealing``). So, for a read from the start of the log:

1. the latest checkpoint's signature is verified with the ledger's key (one Ed25519);
2. pass one hashes every record of the sealed prefix (on PostgreSQL in the database), rebuilds
   the root and compares it with the signed one, keeping a digest of each page of
   (position, leaf hash) pairs — a few bytes per thousand records;
3. pass two reads the same pages again, and before yielding anything of a page compares that
   page's digest with pass one's, then checks each record as usual (form, row, chain) except
   its signature, which the checkpoint vouched for.

A record edited in the database changes its leaf hash: the root differs (pass one) or, if it
was edited between the passes, its page's digest (pass two). Either way the reader then checks
the records signature by signature, which names the position of a record whose signature fails,
and refuses with TamperedEvent in any case: the log no longer hashes to what was signed. Records
after the checkpoint are checked one by one as before.
"""

from __future__ import annotations

import hashlib
from array import array
from collections.abc import Iterator, Sequence
from operator import attrgetter
from typing import TYPE_CHECKING, NoReturn

from verify.errors import VerifyError
from verify.events import SignedEvent
from verify.merkle import CompactTree, leaf_hash
from verify.note import parse_checkpoint, verify_note

from .errors import TamperedEvent
from .storage import stored_rows

if TYPE_CHECKING:
    from .application import LedgerApp
    from .sealer import StoredCheckpoint


def _page_digest(positions: Sequence[int], leaves: Sequence[bytes]) -> bytes:
    """One SHA-256 over a page's positions (8 bytes each) and then its leaf hashes, made
    without a Python step per record."""
    return hashlib.sha256(array("q", positions).tobytes() + b"".join(leaves)).digest()


# A page of records as read: (position, checked record, its leaf hash) each.
Page = list[tuple[int, SignedEvent, bytes]]


def sealed_records(
    app: LedgerApp, start: int, stop: int | None, batch: int
) -> Iterator[tuple[int, SignedEvent]]:
    """The records from ``start`` to ``stop`` (all if None), those in the sealed prefix vouched
    for by its checkpoint (which hashes the prefix from position 1 whatever ``start`` is) and
    the rest checked one by one (see the module docstring)."""
    for page in sealed_pages(app, start, stop, batch):
        for position, event, _ in page:
            yield position, event


def sealed_pages(app: LedgerApp, start: int, stop: int | None, batch: int) -> Iterator[Page]:
    """``sealed_records`` a page at a time, each record with its leaf hash (computed once per
    record in each pass, and given to the check and to the caller: a rebuild stores it)."""
    latest = app.sealer.latest()
    end = 0
    if latest is not None and start <= latest.last_notification_id:
        end = latest.last_notification_id
        yield from _prefix(app, latest, start, end if stop is None else min(stop, end), batch)
    if stop is None or stop > end:
        first = max(start, end + 1)
        while True:
            notes = app.recorder.select_notifications(start=first, limit=batch, stop=stop)
            leaves = list(map(leaf_hash, map(_STATE, notes)))
            yield [
                (n.id, app.checked(n, f"ledger position {n.id}", leaf=leaf), leaf)
                for n, leaf in zip(notes, leaves, strict=True)
            ]
            if len(notes) < batch:
                return
            first = notes[-1].id + 1


_STATE = attrgetter("state")


def _prefix(
    app: LedgerApp, latest: StoredCheckpoint, start: int, stop: int, batch: int
) -> Iterator[Page]:
    end, size = latest.last_notification_id, latest.size
    try:
        note, _ = verify_note(latest.note, [app.signer.verifier])
        signed = parse_checkpoint(note.text)
    except VerifyError as e:
        raise TamperedEvent(f"checkpoint {size}: {e}") from None
    if (signed.size, signed.root) != (size, latest.root):
        raise TamperedEvent(f"checkpoint {size}: the stored root or size is not the signed one")
    # pass one: the root over every record of the prefix, and a digest per page
    tree, pages, first = CompactTree(), [], 1
    while first <= end:
        hashed = app.sealer.record_hashes(first, batch)
        if hashed and hashed[-1][0] > end:
            hashed = [(p, h) for p, h in hashed if p <= end]
        if not hashed:
            break
        positions, hashes = zip(*hashed, strict=True)
        tree.extend(hashes)
        pages.append((first, positions[-1], _page_digest(positions, hashes)))
        first = positions[-1] + 1
    if (tree.size, tree.root()) != (size, signed.root):
        _refuse(
            app,
            end,
            f"the log's first {tree.size:,} records do not hash to the root "
            f"signed in checkpoint {size}",
        )
    # pass two: the same pages, each compared with pass one before any of its records is used
    for first, last, digest in pages:
        if last < start:
            continue  # before what was asked: not read again
        if first > stop:
            return
        notes = stored_rows(app.recorder, first, end, batch)
        leaves = list(map(leaf_hash, map(_STATE, notes)))
        if _page_digest([n.id for n in notes], leaves) != digest:
            _refuse(
                app,
                end,
                f"ledger positions from {first} changed while checkpoint {size} was being checked",
            )
        if notes[0].id < start or notes[-1].id > stop:
            kept = [i for i, n in enumerate(notes) if start <= n.id <= stop]
            notes, leaves = [notes[i] for i in kept], [leaves[i] for i in kept]
        events = app.checked_sealed_page(notes, leaves)
        yield list(zip([n.id for n in notes], events, leaves, strict=True))
        if last >= stop:
            return


def _refuse(app: LedgerApp, end: int, reason: str) -> NoReturn:
    """Check the prefix record by record (naming a record whose signature fails), then refuse:
    whatever the records say one by one, the log is not what the checkpoint sealed."""
    for n in app.notifications(stop=end):
        app.checked(n, f"ledger position {n.id}")
    raise TamperedEvent(reason)
