"""The sealing rate: one ``app.sealer.seal()`` over N events stored unsealed.

A ``LedgerApp(embedded_sealing=False)`` stores N signed events (200 per save, untimed), then one
``sealer.seal()`` integrates them all (rounds of 10,000: read notifications, leaf hashes, compact
Merkle tree, a signed checkpoint, the leaves and checkpoint written in one transaction per round).
Each repeat stores N more events on the same ledger and seals them, so every repeat seals N new
events on top of an existing tree, as a follower catching up would.

The reference is a bare hashlib loop computing ``SHA-256(0x00 ‖ record)`` of the same N records
(held in memory): the least work any sealer must do. The target is absolute (≥ 50,000 events/s);
the reference shows how far above the hashing floor the database round trips put it.
"""

from __future__ import annotations

import hashlib
from typing import Any

from .common import (
    Config,
    Figure,
    maybe_pg,
    median,
    new_signer,
    rate_text,
    save_in_batches,
    spread,
    store,
    timed,
)

TARGET = 50_000.0
# Events per save while pre-storing (untimed).
PER_SAVE = 500


def _leaf_hashes(records: list[bytes]) -> None:
    sha256 = hashlib.sha256
    for record in records:
        sha256(b"\x00" + record).digest()


def _records_after(app: Any, start: int) -> list[bytes]:
    out: list[bytes] = []
    while True:
        page = app.recorder.select_notifications(start=start + 1, limit=10_000)
        out.extend(n.state for n in page)
        if len(page) < 10_000:
            return out
        start = page[-1].id


def run(config: Config) -> list[Figure]:
    from ledger.application import LedgerApp

    n = 5_000 if config.quick else 50_000
    figures: list[Figure] = []
    with maybe_pg(config) as pg:
        for backend in config.backends():
            if backend == "postgres" and pg is None:
                figures.append(
                    Figure(
                        "seal",
                        backend,
                        "sealer.seal() rate",
                        unit="ev/s",
                        target=TARGET,
                        skipped=config.pg_skip_reason,
                    )
                )
                continue
            seal_rates: list[float] = []
            ref_rates: list[float] = []
            store_rates: list[float] = []
            with store(config, backend, pg) as env:
                signer = new_signer()
                app = LedgerApp(env, signer, signer.name, embedded_sealing=False)
                try:
                    app.create_ledger()
                    app.sealer.seal()
                    for rep in range(config.repeats):
                        start = app.recorder.max_notification_id() or 0
                        with timed() as t_store:
                            save_in_batches(app, n, per_save=PER_SAVE, seed=rep)
                        store_rates.append(n / t_store[0])
                        with timed() as t_seal:
                            checkpoint = app.sealer.seal()
                        assert checkpoint is not None
                        sealed = checkpoint.last_notification_id - start
                        records = _records_after(app, start)
                        if sealed != n or len(records) != n:
                            raise RuntimeError(f"sealed {sealed}, read {len(records)}, stored {n}")
                        with timed() as t_ref:
                            _leaf_hashes(records)
                        seal_rates.append(n / t_seal[0])
                        ref_rates.append(n / t_ref[0])
                        config.log(
                            f"  seal/{backend} repeat {rep + 1}/{config.repeats}: stored "
                            f"{n / t_store[0]:,.0f} ev/s, sealed {n / t_seal[0]:,.0f} ev/s "
                            f"({t_seal[0]:.2f} s), bare leaf hashes {n / t_ref[0]:,.0f} ev/s"
                        )
                finally:
                    app.close()
            ratios = [s / r for s, r in zip(seal_rates, ref_rates, strict=True)]
            figures.append(
                Figure(
                    "seal",
                    backend,
                    "sealer.seal() rate",
                    value=median(seal_rates),
                    unit="ev/s",
                    target=TARGET,
                    spread=spread(seal_rates),
                    detail=(
                        f"{n:,} events per seal × {config.repeats} repeat(s); = "
                        f"{median(ratios):.3f}× the bare leaf-hash loop "
                        f"({rate_text(ref_rates)}); storing them (untimed, {PER_SAVE} per "
                        f"save) ran at {rate_text(store_rates)}"
                    ),
                )
            )
    return figures
