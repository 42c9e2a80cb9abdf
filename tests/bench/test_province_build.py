"""The benchmarks reach into the product to time its parts; when a part moves, such a benchmark
stops measuring (or stops running) and nothing else notices. ``bench/province.py`` did: it
timed ``importer.bulk.current_records`` after the function had moved to
``current_entries``, and the province build failed at its first import. It runs here at a small
size, with what it times checked to be non-zero. (``make lint`` type-checks ``bench/`` too.)"""

from __future__ import annotations

from bench.province import DEMO_TARGETS, build


def test_the_province_build_imports_its_files_and_times_their_reading(ledger, tmp_path):  # type: ignore[no-untyped-def]
    lines: list[str] = []
    built = build(ledger, DEMO_TARGETS + 300, 3_000, tmp_path, lines.append)
    head = ledger.recorder.max_notification_id()
    assert built["events"] == head >= 3_000
    assert built["rounds"] >= 1 and set(built["phases"]) >= {"registration", "re-sync 1"}
    assert built["reading"]["re-sync 1"] > 0  # the re-sync's reads of existing entries, timed
    assert ledger.sealer.latest().last_notification_id == head  # sealed at the end
    assert len(lines) == built["rounds"] + 1
