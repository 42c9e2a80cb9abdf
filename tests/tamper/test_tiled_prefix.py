"""The sealed prefix read a page of whole tiles at a time (ledger/vouching.py): each tile's
records must hash to the tile hash the signed root was checked with before any is used. The
attacker is an operator with the database and without the key: a record edited, removed or
slipped in, the kept tiles or leaf hashes edited (to match an edited record, or to mislead the
read about where it starts). Each is refused, or read correctly the slow way; never taken in.

Tiles of 4 leaves here (the product's are 256), so that a demo log has dozens of them."""

from __future__ import annotations

import pytest

import ledger.vouching
from ledger.errors import TamperedEvent
from ledger.proof_tiles import TABLE as TILES_TABLE
from ledger.proof_tiles import ProofTiles
from ledger.sealer import LEAVES_TABLE
from ledger.storage import is_postgres
from verify.merkle import leaf_hash

from .bundle_edits import with_payload_keeping_signature
from .test_sealed_prefix import _edit
from .test_store_tampering import _drop_append_only_triggers, _execute


@pytest.fixture
def small_tiles(new_ledger):  # type: ignore[no-untyped-def]
    """A fresh application reading through tiles of 4 leaves."""

    def make():  # type: ignore[no-untyped-def]
        app = new_ledger()
        app.proof_tiles = ProofTiles(app.sealer, tile_bits=2)
        return app

    return make


@pytest.fixture
def slow_way(monkeypatch):  # type: ignore[no-untyped-def]
    """Records the positions from which a read went the two-pass way."""
    taken: list[int] = []
    real = ledger.vouching._two_passes

    def counting(app, latest, start, stop, batch):  # type: ignore[no-untyped-def]
        taken.append(start)
        return real(app, latest, start, stop, batch)

    monkeypatch.setattr(ledger.vouching, "_two_passes", counting)
    return taken


def _per_record(app) -> list[tuple[int, bytes]]:  # type: ignore[no-untyped-def]
    return [(n.id, app.checked(n, "").digest) for n in app.notifications()]


def _read(app, start: int = 1, stop: int | None = None, batch: int = 10):  # type: ignore[no-untyped-def]
    pages = ledger.vouching.sealed_pages(app, start, stop, batch)
    return [(p, e.digest) for page in pages for p, e, _ in page]


def test_the_tiles_give_every_record_once_and_no_first_pass(
    sealed, small_tiles, slow_way, monkeypatch
):  # type: ignore[no-untyped-def]
    app = small_tiles()
    expected = _per_record(app)
    assert sealed.sealer.latest().size == len(expected) > 40  # dozens of tiles of 4

    def no_first_pass(start, limit):  # type: ignore[no-untyped-def]
        raise AssertionError("the records were hashed in a first pass")

    monkeypatch.setattr(app.sealer, "record_hashes", no_first_pass)
    for batch in (1, 4, 10, 1000):
        assert _read(app, batch=batch) == expected
    assert slow_way == []


def test_a_read_from_any_position_to_any_position_gives_what_the_slow_way_does(
    sealed, small_tiles, slow_way
):  # type: ignore[no-untyped-def]
    app = small_tiles()
    expected = _per_record(app)
    head = expected[-1][0]
    for start in (2, 3, 4, 5, 7, 9, head // 2, head - 1, head):
        for stop in (start, start + 2, head // 2 + 3, None):
            want = [e for e in expected if e[0] >= start and (stop is None or e[0] <= stop)]
            assert _read(app, start, stop) == want, (start, stop)
    assert slow_way == []


@pytest.mark.parametrize("shift", [-4, -1, 1, 4, 8])
def test_a_read_misled_about_where_it_starts_reads_right(
    sealed, small_tiles, slow_way, monkeypatch, shift
):  # type: ignore[no-untyped-def]
    """The kept leaves say where a position's record is in the tree; if they lie (a cache an
    operator edited), the read still gives every record from where it was asked: the tiles do
    not match, or it starts earlier, or (a later tile: the records before it would be missed)
    the records are checked the other way."""
    app = small_tiles()
    expected = _per_record(app)
    real = app.proof_tiles.first_leaf_from
    monkeypatch.setattr(
        app.proof_tiles, "first_leaf_from", lambda p: (real(p)[0] + shift, real(p)[1])
    )
    assert _read(app, 10) == expected[9:]
    if shift >= 4:
        assert slow_way == [10]


def test_a_tile_that_does_not_match_in_the_middle_of_a_page_loses_no_record(
    sealed, small_tiles, slow_way, monkeypatch
):  # type: ignore[no-untyped-def]
    """A page's later tile does not match (here its kept hash is made wrong after the root was
    checked): nothing of that page was given, and the other way reads from the page's start."""
    app = small_tiles()
    expected = _per_record(app)
    real_tree = app.proof_tiles.tree

    def tree(size, root):  # type: ignore[no-untyped-def]
        checked = real_tree(size, root)
        real_hash = checked.tile_hash
        checked.tile_hash = lambda tile: bytes(32) if tile == 5 else real_hash(tile)
        return checked

    monkeypatch.setattr(app.proof_tiles, "tree", tree)
    assert _read(app, batch=16) == expected  # pages of 4 tiles: tile 5 is the second of page 2
    assert slow_way == [expected[16][0]]  # from page 2's first record (leaf 16)


def test_an_edited_record_is_refused_naming_it(sealed, small_tiles):  # type: ignore[no-untyped-def]
    position = _edit(sealed, "target.registered", district="320412")
    with pytest.raises(TamperedEvent, match=rf"^ledger position {position}: .*signature"):
        _read(small_tiles())


def test_an_edited_record_with_the_kept_leaves_and_tiles_made_to_match_is_refused(
    sealed, small_tiles
):  # type: ignore[no-untyped-def]
    """The operator edits a record and then its leaf hash and its tile's hash to match: the tree
    over the tiles no longer has the signed root (nor does the one over the leaves)."""
    app = small_tiles()
    app.proof_tiles.tree(sealed.sealer.latest().size, sealed.sealer.latest().root)  # kept
    n = next(iter(sealed.notifications(topics=["target.registered"])))
    index = sealed.sealer.leaf_index(n.id)
    edited = with_payload_keeping_signature(n.state, district="320412")
    _drop_append_only_triggers(sealed)
    _drop_leaf_guards(sealed)
    _execute(
        sealed, f"UPDATE {sealed.events_table} SET state = ? WHERE state = ?", (edited, n.state)
    )
    _execute(
        sealed,
        f"UPDATE {LEAVES_TABLE} SET leaf_hash = ? WHERE leaf_index = ?",
        (leaf_hash(edited), index),
    )
    tiles = app.proof_tiles
    leaves = tiles.leaves(index >> 2 << 2, (index >> 2 << 2) + 4)
    from verify.merkle import root_from_leaf_hashes

    _execute(
        sealed,
        f"UPDATE {TILES_TABLE} SET hash = ? WHERE tile_bits = 2 AND tile = ?",
        (root_from_leaf_hashes(leaves), index >> 2),
    )
    with pytest.raises(TamperedEvent, match=rf"^ledger position {n.id}: .*signature"):
        _read(small_tiles())


def _a_kept_tile_edited(sealed, small_tiles) -> list[tuple[int, bytes]]:  # type: ignore[no-untyped-def]
    """Tile 3's kept hash zeroed (the tiles kept first); what a read must give."""
    app = small_tiles()
    expected = _per_record(app)
    latest = sealed.sealer.latest()
    app.proof_tiles.tree(latest.size, latest.root)  # kept
    _execute(
        sealed, f"UPDATE {TILES_TABLE} SET hash = ? WHERE tile_bits = 2 AND tile = 3", (bytes(32),)
    )
    return expected


def test_edited_tiles_alone_are_hashed_again_and_the_read_is_right(sealed, small_tiles, slow_way):  # type: ignore[no-untyped-def]
    expected = _a_kept_tile_edited(sealed, small_tiles)
    assert _read(small_tiles()) == expected
    assert slow_way == []


def test_edited_tiles_in_a_store_that_refuses_to_change_them_are_hashed_again_in_memory(  # type: ignore[no-untyped-def]
    sealed, small_tiles, slow_way
):
    """A reader that cannot rewrite the tiles it keeps (a store gone read-only, a user allowed
    to read only): tiles that do not give the signed root are hashed again from the leaves all
    the same, and the read is right — the cache is not forgotten, nor written."""
    expected = _a_kept_tile_edited(sealed, small_tiles)
    if is_postgres(sealed.recorder):
        _execute(
            sealed,
            "CREATE FUNCTION tiles_refused() RETURNS trigger LANGUAGE plpgsql AS "
            "$$ BEGIN RAISE EXCEPTION 'read-only store'; END $$",
        )
        _execute(
            sealed,
            f"CREATE TRIGGER tiles_refused BEFORE INSERT OR DELETE ON {TILES_TABLE} "
            "FOR EACH ROW EXECUTE FUNCTION tiles_refused()",
        )
    else:
        for change in ("INSERT", "DELETE"):
            _execute(
                sealed,
                f"CREATE TRIGGER tiles_refused_{change.lower()} BEFORE {change} ON {TILES_TABLE} "
                "BEGIN SELECT RAISE(ABORT, 'read-only store'); END",
            )
    assert _read(small_tiles()) == expected
    assert slow_way == []
    latest = sealed.sealer.latest()
    tree = small_tiles().proof_tiles.tree(latest.size, latest.root)
    assert tree.tile_hash(3) != bytes(32)  # (the kept one, still there, was not used)


@pytest.mark.parametrize("where", ["first", "middle", "last", "the last tile"])
def test_a_removed_record_is_refused(sealed, small_tiles, where):  # type: ignore[no-untyped-def]
    """Records removed: one, or every record of the last tile (the log cut short where a tile
    ends: no tile then differs, but the checkpoint signed more records)."""
    notes = list(sealed.notifications())
    size = sealed.sealer.latest().size
    assert size == len(notes)
    last_tile = notes[(size - 1) >> 2 << 2 :]
    removed = {
        "first": [notes[0]],
        "middle": [notes[len(notes) // 2]],
        "last": [notes[-1]],
        "the last tile": last_tile,
    }[where]
    _drop_append_only_triggers(sealed)
    key = "notification_id" if is_postgres(sealed.recorder) else "rowid"
    for n in removed:
        _execute(sealed, f"DELETE FROM {sealed.events_table} WHERE {key} = ?", (n.id,))
    with pytest.raises(TamperedEvent):
        _read(small_tiles())


def test_a_record_slipped_in_among_the_sealed_ones_is_refused(sealed, small_tiles):  # type: ignore[no-untyped-def]
    """A copy of a sealed record given a position inside the sealed prefix (SQLite: a free
    rowid between two of them, made by moving the later records up)."""
    if is_postgres(sealed.recorder):
        pytest.skip("SQLite's rowids: PostgreSQL's ids are not renumbered here")
    notes = list(sealed.notifications())
    middle = notes[len(notes) // 2]
    _drop_append_only_triggers(sealed)
    table = sealed.events_table
    _execute(sealed, f"UPDATE {table} SET rowid = rowid + 1000000 WHERE rowid >= ?", (middle.id,))
    _execute(sealed, f"UPDATE {table} SET rowid = rowid - 999999 WHERE rowid >= 1000000")
    _execute(
        sealed,
        f"INSERT INTO {table} (rowid, originator_id, originator_version, topic, state) "
        "SELECT ?, originator_id, originator_version + 1000, topic, state FROM "
        f"{table} WHERE rowid = ?",
        (middle.id, middle.id - 1),
    )
    with pytest.raises(TamperedEvent):
        _read(small_tiles())


def _drop_leaf_guards(app) -> None:  # type: ignore[no-untyped-def]
    if is_postgres(app.recorder):
        _execute(app, f"DROP TRIGGER {LEAVES_TABLE}_append_only ON {LEAVES_TABLE}")
    else:
        _execute(app, f"DROP TRIGGER {LEAVES_TABLE}_no_update")
