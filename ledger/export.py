"""Write the export bundle (format in ``verify.bundle`` and docs/FORMAT.md).

The bundle holds the events covered by the latest checkpoint, in log order with their stored
bytes, every checkpoint ever signed (each with the witness cosignatures the ledger kept for it,
as signature lines of its note), and the ledger's public keys. Events sequenced after the
latest checkpoint are left for the next export: a bundle never holds unsealed events.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

from verify.bundle import checkpoint_line, end_line, event_line, header_line

from .application import LedgerApp
from .errors import Conflict
from .whole_files import whole_file


def export_bundle(
    app: LedgerApp, out: Path, progress: Callable[[int, int], None] | None = None
) -> tuple[int, int]:
    """Write a bundle to ``out`` (atomically: a temporary file renamed at the end).

    Returns ``(events, checkpoints)``. ``progress(done, total)`` is called as events are written.
    """
    if app.embedded_sealing:
        app.sealer.seal()
    latest = app.sealer.latest()
    if latest is None:
        raise Conflict("nothing is sealed yet: there is nothing to export")
    checkpoints = app.sealer.checkpoints()
    keys = sorted({str(k) for k in app.key_history})
    exported_at = datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    with whole_file(out) as f:
        count = _write(app, f, latest, checkpoints, keys, exported_at, progress)
    if progress:
        progress(count, latest.size)
    return count, len(checkpoints)


def _write(app, f, latest, checkpoints, keys, exported_at, progress):  # type: ignore[no-untyped-def]
    count = 0
    f.write(header_line(app.origin, keys, exported_at))
    for n in app.notifications(stop=latest.last_notification_id):
        f.write(event_line(count, n.id, n.state))
        count += 1
        if progress and count % 10_000 == 0:
            progress(count, latest.size)
    if count != latest.size:
        raise Conflict(
            f"the log holds {count} events up to the latest checkpoint, which covers "
            f"{latest.size}: the store was changed behind the ledger's back"
        )
    cosignatures = app.sealer.cosignature_lines()
    for checkpoint in checkpoints:
        lines = cosignatures.get(checkpoint.size, [])
        f.write(checkpoint_line(checkpoint.note + "".join(lines)))
    f.write(end_line(count, len(checkpoints)))
    return count
