"""Reading a sealed prefix of the log checked through its signed checkpoint, not record by record.

The checked reader (``LedgerApp.records``) verifies an Ed25519 signature per record it has not
seen (~0.3 ms each): a cold fold of a large log after a restart paid minutes. A record inside
the latest signed checkpoint can be vouched for more cheaply: the checkpoint signs a Merkle root
over the SHA-256 leaf hash of every record (``sealer.py``), and the sealer integrates only
records whose signatures were checked (or that this process itself signed: see
``LedgerApp.check_before_sealing``). So, for a read from the start of the log:

1. the latest checkpoint's signature is verified with the ledger's key (one Ed25519);
2. the hashes of its tree's tiles (aligned blocks of 256 leaves, kept beside the log by
   ``proof_tiles.py``) must give the signed root — a few thousand hashes for a million records;
3. the records are read a page of whole tiles at a time, and before anything of a page is
   yielded each of its tiles' records must hash to that tile's hash; then each record is checked
   as usual (form, row, chain) except its signature, which the checkpoint vouched for.

A record edited, added or removed in the database changes its tile's hash (or the number of
records the checkpoint signed): the page is not used. Nothing is read twice, and the first
page is given at once (a read from the start of a log of a million records waited 2.4 s here
for a first pass over all of them).

The kept tiles and the leaf hashes they are made from are a cache, not evidence: tiles that do
not give the signed root are hashed again from the leaves (``ProofTiles.tree``), and where the
cache cannot serve (its leaves do not give the root either, or do not say where a read starts)
or a tile's records do not match, the rest is read the other way, in two passes over the
records themselves:

a. pass one hashes every record of the sealed prefix (on PostgreSQL in the database), rebuilds
   the root and compares it with the signed one, keeping a digest of each page of
   (position, leaf hash) pairs — a few bytes per thousand records;
b. pass two reads the same pages again, and before yielding anything of a page compares that
   page's digest with pass one's, then checks each record as above.

A record edited there changes the root (pass one) or, if it was edited between the passes, its
page's digest (pass two). Either way the reader then checks the records signature by signature,
which names the position of a record whose signature fails, and refuses with TamperedEvent in
any case: the log no longer hashes to what was signed. Records after the checkpoint are checked
one by one as before.
"""

from __future__ import annotations

import hashlib
import logging
from array import array
from collections.abc import Generator, Iterator, Sequence
from operator import attrgetter
from typing import TYPE_CHECKING, NoReturn

from verify.errors import VerifyError
from verify.events import SignedEvent
from verify.merkle import CompactTree, leaf_hash, root_from_leaf_hashes
from verify.note import parse_checkpoint, verify_note

from .errors import NotFound, TamperedEvent
from .sealer import SealError
from .storage import StoredRow, stored_rows

if TYPE_CHECKING:
    from .application import LedgerApp
    from .sealer import StoredCheckpoint

log = logging.getLogger(__name__)


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
    size = latest.size
    try:
        note, _ = verify_note(latest.note, [app.signer.verifier])
        signed = parse_checkpoint(note.text)
    except VerifyError as e:
        raise TamperedEvent(f"checkpoint {size}: {e}") from None
    if (signed.size, signed.root) != (size, latest.root):
        raise TamperedEvent(f"checkpoint {size}: the stored root or size is not the signed one")
    resume = yield from _by_tiles(app, latest, start, stop, batch)
    if resume is not None:
        yield from _two_passes(app, latest, resume, stop, batch)


def _by_tiles(
    app: LedgerApp, latest: StoredCheckpoint, start: int, stop: int, batch: int
) -> Generator[Page, None, int | None]:
    """The records from ``start`` to ``stop``, each page's tiles checked against the tree of
    kept tile hashes whose root is the signed one (see the module docstring); returns None when
    all were given, or the position from which the records are to be checked the other way
    (the kept tiles or leaves do not give the signed root, or do not say where ``start`` is:
    a cache an operator edited or emptied; or a tile's records do not hash to its hash —
    the other way then names what is wrong)."""
    end, size = latest.last_notification_id, latest.size
    try:
        tree = app.proof_tiles.tree(size, latest.root)
        found = (0, 1) if start <= 1 else app.proof_tiles.first_leaf_from(start)
    except SealError as e:
        log.warning("检查点的证明瓦片不可用，逐条核对 (proof tiles not usable: %s)", e)
        return start
    if found is None or found[0] >= size:
        return start
    bits = tree.tiles.bits
    tile = found[0] >> bits
    try:  # read from the first record of the tile that holds the first one asked for
        first = found[1] if found[0] == tile << bits else app.sealer.position(tile << bits)
    except NotFound:
        return start
    if first > start:  # (the kept leaves misplace ``start``: the records before would be lost)
        return start
    width = 1 << bits
    per = max(1, batch >> bits) << bits  # whole tiles a page
    while True:
        notes = stored_rows(app.recorder, first, end, per)
        leaves = list(map(leaf_hash, map(_STATE, notes)))
        count = (tile << bits) + len(notes)  # leaves up to the page's last record
        if count > size or (len(notes) < per and count != size):
            return max(start, first)  # more records, or fewer, than the checkpoint signed
        for i in range(0, len(notes), width):  # (nothing of the page is given unless all match)
            if root_from_leaf_hashes(leaves[i : i + width]) != tree.tile_hash(tile + i // width):
                return max(start, first)
        last = notes[-1].id if notes else stop
        page = _checked(app, notes, leaves, start, stop)  # (not the tile before ``start``)
        if page:
            yield page
        if count == size or last >= stop:
            return None
        first, tile = last + 1, tile + (per >> bits)


def _two_passes(
    app: LedgerApp, latest: StoredCheckpoint, start: int, stop: int, batch: int
) -> Iterator[Page]:
    end, size = latest.last_notification_id, latest.size
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
    if (tree.size, tree.root()) != (size, latest.root):
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
        yield _checked(app, notes, leaves, start, stop)
        if last >= stop:
            return


def _checked(
    app: LedgerApp, notes: Sequence[StoredRow], leaves: Sequence[bytes], start: int, stop: int
) -> Page:
    """The records of a vouched-for page from ``start`` to ``stop``, each checked (form, row,
    chain: ``checked_sealed_page``) with its leaf hash."""
    if notes and (notes[0].id < start or notes[-1].id > stop):
        kept = [i for i, n in enumerate(notes) if start <= n.id <= stop]
        notes, leaves = [notes[i] for i in kept], [leaves[i] for i in kept]
    events = app.checked_sealed_page(notes, leaves)
    return list(zip([n.id for n in notes], events, leaves, strict=True))


def _refuse(app: LedgerApp, end: int, reason: str) -> NoReturn:
    """Check the prefix record by record (naming a record whose signature fails), then refuse:
    whatever the records say one by one, the log is not what the checkpoint sealed."""
    for n in app.notifications(stop=end):
        app.checked(n, f"ledger position {n.id}")
    raise TamperedEvent(reason)
