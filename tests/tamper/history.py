"""A small ledger history to tamper with: a few notes, each amended several times.

``TamperNote`` is a test aggregate with its own stable type names (``tampernote.*``), so that it
never clashes with the aggregates other test modules register.
"""

from __future__ import annotations

from uuid import UUID, uuid4

from ledger.actors import SYSTEM
from ledger.aggregates import LedgerAggregate
from ledger.application import LedgerApp
from ledger.catalogue import include

# The notes are the ledger operator's own acts: this suite attacks integrity, and the authority
# replay lists operator acts without judging them (tests/verify/test_authority*.py judge acts).
CLERK = SYSTEM


class TamperNote(LedgerAggregate):
    TOPIC = "tampernote"

    class Created(LedgerAggregate.Created):
        TOPIC = "tampernote.created"
        text: str

    class Amended(LedgerAggregate.Event):
        TOPIC = "tampernote.amended"
        text: str

        def apply(self, note):  # type: ignore[no-untyped-def]
            note.text = self.text

    def __init__(self, text: str) -> None:
        self.text = text


include(TamperNote)  # the catalogue lists the product's kinds; a test's own is added


def write_note(app: LedgerApp, text: str) -> UUID:
    note = TamperNote._create(TamperNote.Created, id=uuid4(), text=text, actor=CLERK.to_json())
    app.save(note)
    return note.id


def amend_note(app: LedgerApp, note_id: UUID, text: str) -> None:
    note = app.get(note_id, TamperNote)
    note.trigger_event(TamperNote.Amended, text=text, actor=CLERK.to_json())
    app.save(note)


def write_history(
    app: LedgerApp, *, notes: int, rounds: int, last_twice: bool = True, label: str = "note"
) -> list[UUID]:
    """Create ``notes`` notes, then amend each once per round, round-robin, one save each.

    The log interleaves the notes' versions; with ``last_twice`` the first note is amended two
    more times in a row at the end, so that two adjacent events belong to the same aggregate.
    """
    ids = [write_note(app, f"{label} {n}") for n in range(notes)]
    for r in range(1, rounds + 1):
        for n, note_id in enumerate(ids):
            amend_note(app, note_id, f"{label} {n}, amendment {r}")
    if last_twice:
        amend_note(app, ids[0], f"{label} 0, late amendment a")
        amend_note(app, ids[0], f"{label} 0, late amendment b")
    return ids
