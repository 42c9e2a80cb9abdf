"""Signed append, one event per save: the ledger against a plain ``eventsourcing`` Application.

Three variants save the same workload (``common.payloads``: a target registration, then four
amendments of it, …; payloads of about 280–460 bytes of JSON) one event per ``save`` into a new
store on the same backend:

- ``plain``: ``eventsourcing.application.Application`` with its default mapper and transcoder;
- ``signed``: ``LedgerApp(embedded_sealing=False)``: signing mapper (JCS, SHA-256, Ed25519,
  per-aggregate chain), no sealing;
- ``sealed``: ``LedgerApp(embedded_sealing=True)`` with its sealing task running (a round per
  ``seal_interval``, 1 s by default: Merkle leaves + one signed checkpoint), which is what the
  service does; the timed section ends with ``stop_sealing()``, whose last round seals the
  tail, so every timed event is appended *and* sealed.

Each repeat runs all three, in a rotated order, after an untimed warm-up of 50 saves; the figure
is the median over the repeats of each repeat's ratio ``signed rate / plain rate``.
"""

from __future__ import annotations

from typing import Any

from eventsourcing.application import Application

from .common import (
    Config,
    Figure,
    PgScratch,
    maybe_pg,
    median,
    new_signer,
    payloads,
    rate_text,
    rotate,
    save_one_by_one,
    spread,
    store,
    timed,
)

TARGET = 0.75  # the signed append
SEALED_TARGET = 0.8  # what the service does (issue 15)
VARIANTS = ("plain", "signed", "sealed")
WARMUP = 50
SQLITE_REPEATS = 5
SAVES = 2000  # per variant and repeat; the sealed variant on PostgreSQL takes ~20 s of it
MEASURES = (
    "signed append (embedded_sealing=False) / plain Application",
    "signed append, sealed in 1 s rounds by the sealing task, tail sealed (the service) "
    "/ plain Application",
)


def plain_env(env: dict[str, str]) -> dict[str, str]:
    """The ledger's storage settings for the plain application: the same backend *and* recorder.

    On PostgreSQL the ledger swaps in its own application recorder (``LedgerApp.construct_env``
    sets ``APPLICATION_RECORDER_TOPIC``: inserts without psycopg's pipeline mode); the plain
    application gets the same one, so that the ratio measures the signing mapper alone.
    """
    from ledger import storage

    out = dict(env)
    topic = getattr(storage, "POSTGRES_RECORDER_TOPIC", None)
    if out.get("PERSISTENCE_MODULE") == "eventsourcing.postgres" and topic:
        out.setdefault("APPLICATION_RECORDER_TOPIC", topic)
    return out


class PlainApp(Application[Any]):
    """The reference: the library's own Application, default mapper, same aggregate class."""

    name = "plainbench"


def _open(variant: str, env: dict[str, str]) -> Any:
    if variant == "plain":
        return PlainApp(env=plain_env(env))
    from ledger.application import LedgerApp

    signer = new_signer()
    return LedgerApp(env, signer, signer.name, embedded_sealing=(variant == "sealed"))


def measure(
    config: Config, backend: str, pg: PgScratch | None, variant: str, n: int
) -> dict[str, Any]:
    """Save ``n`` events one per save into a fresh store; return the rate and record sizes."""
    warmup, workload = payloads(WARMUP, seed=1), payloads(n)
    with store(config, backend, pg) as env:
        app = _open(variant, env)
        try:
            save_one_by_one(app, warmup)
            sealing = variant == "sealed"
            if sealing:
                app.seal()  # the warm-up, untimed
            with timed() as t:
                if sealing:
                    app.start_sealing()
                save_one_by_one(app, workload)
                if sealing:
                    app.stop_sealing()  # the last round: everything timed is sealed
            sizes = [len(n.state) for n in app.recorder.select_notifications(start=1, limit=500)]
        finally:
            app.close()
    return {
        "rate": n / t[0],
        "seconds": t[0],
        "record_bytes": median(sizes),
        "recorder": type(app.recorder).__name__,
    }


def run(config: Config) -> list[Figure]:
    n = 500 if config.quick else SAVES
    figures: list[Figure] = []
    with maybe_pg(config) as pg:
        for backend in config.backends():
            if backend == "postgres" and pg is None:
                for measure_name in MEASURES:
                    figures.append(
                        Figure(
                            "append",
                            backend,
                            measure_name,
                            target=TARGET,
                            skipped=config.pg_skip_reason,
                        )
                    )
                continue
            # SQLite repeats are cheap (~5 s) and its ratios the noisiest: take more of them.
            repeats = (
                config.repeats
                if config.quick or backend != "sqlite"
                else max(config.repeats, SQLITE_REPEATS)
            )
            rates: dict[str, list[float]] = {v: [] for v in VARIANTS}
            sizes: dict[str, float] = {}
            recorders: dict[str, str] = {}
            for rep in range(repeats):
                for variant in rotate(VARIANTS, rep):
                    result = measure(config, backend, pg, variant, n)
                    rates[variant].append(result["rate"])
                    sizes[variant] = result["record_bytes"]
                    recorders[variant] = result["recorder"]
                    config.log(
                        f"  append/{backend} repeat {rep + 1}/{repeats} {variant:>6}: "
                        f"{result['rate']:,.0f} ev/s ({result['seconds']:.2f} s)"
                    )
            targets = (TARGET, SEALED_TARGET)
            for variant, measure_name, target in zip(
                ("signed", "sealed"), MEASURES, targets, strict=True
            ):
                ratios = [s / p for s, p in zip(rates[variant], rates["plain"], strict=True)]
                figures.append(
                    Figure(
                        "append",
                        backend,
                        measure_name,
                        value=median(ratios),
                        target=target,
                        spread=spread(ratios),
                        detail=(
                            f"{variant} {rate_text(rates[variant])} vs plain "
                            f"{rate_text(rates['plain'])}; {n:,} saves × {repeats} repeat(s)"
                            f"; stored record ≈ {sizes[variant]:.0f} B "
                            f"(plain ≈ {sizes['plain']:.0f} B); recorder {recorders[variant]}"
                            + (
                                ""
                                if recorders[variant] == recorders["plain"]
                                else f" (plain: {recorders['plain']})"
                            )
                        ),
                    )
                )
    return figures
