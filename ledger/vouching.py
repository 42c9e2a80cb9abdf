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
from collections.abc import Iterator
from typing import TYPE_CHECKING, NoReturn

from verify.errors import VerifyError
from verify.events import SignedEvent
from verify.merkle import CompactTree, leaf_hash
from verify.note import parse_checkpoint, verify_note

from .errors import TamperedEvent

if TYPE_CHECKING:
    from .application import LedgerApp
    from .sealer import StoredCheckpoint


def _page_digest(pairs: list[tuple[int, bytes]]) -> bytes:
    h = hashlib.sha256()
    for position, leaf in pairs:
        h.update(position.to_bytes(8, "big") + leaf)
    return h.digest()


def sealed_records(
    app: LedgerApp, start: int, stop: int | None, batch: int
) -> Iterator[tuple[int, SignedEvent]]:
    """The records from ``start`` to ``stop`` (all if None), those in the sealed prefix vouched
    for by its checkpoint (which hashes the prefix from position 1 whatever ``start`` is) and
    the rest checked one by one (see the module docstring)."""
    latest = app.sealer.latest()
    end = 0
    if latest is not None and start <= latest.last_notification_id:
        end = latest.last_notification_id
        yield from _prefix(app, latest, start, end if stop is None else min(stop, end), batch)
    if stop is None or stop > end:
        for n in app.notifications(start=max(start, end + 1), stop=stop, batch=batch):
            yield n.id, app.checked(n, f"ledger position {n.id}")


def _prefix(
    app: LedgerApp, latest: StoredCheckpoint, start: int, stop: int, batch: int
) -> Iterator[tuple[int, SignedEvent]]:
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
        page = [(p, h) for p, h in app.sealer.record_hashes(first, batch) if p <= end]
        if not page:
            break
        for _, h in page:
            tree.append(h)
        pages.append((first, page[-1][0], _page_digest(page)))
        first = page[-1][0] + 1
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
        notes = app.recorder.select_notifications(start=first, limit=batch, stop=end)
        if _page_digest([(n.id, leaf_hash(n.state)) for n in notes]) != digest:
            _refuse(
                app,
                end,
                f"ledger positions from {first} changed while checkpoint {size} was being checked",
            )
        for n in notes:
            if n.id > stop:
                return
            if n.id >= start:
                yield n.id, app.checked(n, f"ledger position {n.id}", sealed=True)


def _refuse(app: LedgerApp, end: int, reason: str) -> NoReturn:
    """Check the prefix record by record (naming a record whose signature fails), then refuse:
    whatever the records say one by one, the log is not what the checkpoint sealed."""
    for n in app.notifications(stop=end):
        app.checked(n, f"ledger position {n.id}")
    raise TamperedEvent(reason)
