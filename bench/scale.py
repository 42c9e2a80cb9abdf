"""Scale (issue 15 part 3): one registry of N targets, and what each cost becomes at that size,
each against a bare baseline measured in the same run.

    .venv/bin/python -m bench.scale --targets 100000 [--backend sqlite|postgres] [--tmp DIR]
    .venv/bin/python -m bench --only scale [--quick]      # 20,000 targets (quick: 2,000)
    .venv/bin/python -m bench.scale --targets 1000000 --events 5000000 --ledger DIR \
        [--steps append,seal,freeze,verify,rebuild] [--verify-seconds S] [--rebuild-seconds S]

With ``--events`` the ledger is built through the bulk path of ``bench/province.py`` (the demo
bureau, then registry files imported by each division's clerk and re-synced until the events
asked for), its memory flat in N. With ``--ledger DIR`` (SQLite) it is built there once, with
its key and build figures beside it (``built.json``), and a later run reuses it (the steps
append a few thousand events and open draws on it). ``--steps none`` only builds; the time
boxes stop the verifier (its peak memory and bytes read so far are reported) and the rebuild
(its rate over the prefix it reached, against the raw read of the same prefix).

Set-up (timed, reported as a rate, no baseline): the demo bureau (``ledger.demo.bureau``) with
N targets and 60 inspectors, sealed. Then, on that ledger:

- **append**: K = 500 signed saves, one event each, sealed in rounds by the sealing task (what
  the service does), against the same K saves into a fresh plain ``eventsourcing`` store;
- **seal**: sealing K events written unsealed, against hashing their K records (SHA-256 leaf
  hashes, the sealer's bare work) and one Ed25519 signature;
- **freeze**: a draw's freeze in a restarted service, cold without the persisted registry state
  (a checked fold of the whole log), cold with it (``ledger/registry/state_store.py``), and
  warm (a second freeze in the same service), against a bare fold (every record decoded with no
  check, folded into a ``RegistryState``); the cold freezes' population digests are compared;
- **verify**: ``python -m verify``'s streamed verification (``--jobs 1``) of the exported
  bundle in a fresh process (time and peak resident memory), against bare Ed25519 over the same
  records (one core);
- **rebuild**: every read model rebuilt from the log in a fresh read database, against reading
  the raw log (every stored record decoded, no check).

Absolute times depend on the machine and its load; the ratios are the figures.
"""

from __future__ import annotations

import argparse
import contextlib
import itertools
import json
import multiprocessing
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from .common import (
    Config,
    Figure,
    PgScratch,
    in_fresh_process,
    maybe_pg,
    payloads,
    run_on,
    save_one_by_one,
    sqlite_env,
    store,
)
from .import_targets import _rss_mib

K = 500
BARE = 200_000  # bare Ed25519 timed over at most this many records, scaled to the bundle's
STEPS = ("append", "seal", "freeze", "verify", "rebuild")
CONTRIBUTIONS = {"szc": "58" * 32, "szc-legal": "20" * 32}


def _bare_fold(app: Any) -> float:
    from verify.events import decode_record
    from verify.registry_state import RegistryState

    started = time.perf_counter()
    state = RegistryState()
    for n in app.notifications(batch=5000):
        state.apply(decode_record(n.state, form_known_good=True).envelope)
    return time.perf_counter() - started


def _freeze(draws: Any) -> tuple[float, str]:
    """One draw opened and frozen by ``draws``; the freeze's seconds and its population
    digest."""
    from verify.entropy import contribution_commitment

    ceremony = [
        {"party": p, "commitment": contribution_commitment(c)} for p, c in CONTRIBUTIONS.items()
    ]
    spec = {"division": "szc", "items": ["qsxk"], "counts": {"all": 20}, "team_size": 2}
    draw = draws.open({**spec, "ceremony": ceremony}, "szc-clerk")
    started = time.perf_counter()
    facts = draws.freeze(draw, "szc-clerk")
    seconds = time.perf_counter() - started
    return seconds, str(facts["digest"])


def _verify(path: str, key: str) -> dict[str, Any]:
    """In a fresh process: the verifier's time and peak memory (what ``python -m verify``
    runs, less printing), and bare Ed25519 over the same records (read before, untimed)."""
    from verify.bundle import scan_bundle
    from verify.checks import verify_bundle

    baseline = _rss_mib()
    started = time.perf_counter()
    report = verify_bundle(scan_bundle(path), pinned_keys=[key], jobs=1)  # python -m verify's
    seconds = time.perf_counter() - started
    peak = _rss_mib()
    if not report.intact:  # the bench's own saves are outside every rule of authority
        raise RuntimeError(f"the scale bundle is not intact: {report.lines()[-20:]}")
    return {"seconds": seconds, "baseline": baseline, "peak": peak,
            **_bare_ed25519(path, key)}  # fmt: skip


def _bare_ed25519(path: str, key: str) -> dict[str, Any]:
    """Bare Ed25519 over the bundle's records (read before, untimed), timed over at most
    ``BARE`` of them and scaled to all."""
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

    from verify.bundle import scan_bundle
    from verify.events import decode_record
    from verify.keys import parse_verifier_key

    records = scan_bundle(path).iter_records()
    items = [(e.signature, e.digest) for e in map(decode_record, itertools.islice(records, BARE))]
    total = len(items) + sum(1 for _ in records)
    verifier = Ed25519PublicKey.from_public_bytes(parse_verifier_key(key).public_key).verify
    started = time.perf_counter()
    for signature, digest in items:
        verifier(signature, digest)
    bare = (time.perf_counter() - started) * total / len(items)
    note = f", timed over the first {len(items):,} of {total:,} records" if total > BARE else ""
    return {"bare": bare, "bare_note": note}


def measure(
    config: Config,
    backend: str,
    pg: PgScratch | None,
    targets: int,
    *,
    events: int = 0,
    ledger: Path | None = None,
    steps: tuple[str, ...] = STEPS,
    rebuild_seconds: float | None = None,
    verify_seconds: float | None = None,
) -> list[Figure]:
    """The figures of ``steps`` on a ledger of ``targets`` (and, with ``events``, at least
    that many events: ``bench/province.py``); with ``ledger`` (SQLite), the ledger is built
    there once and reused by later runs (its key and build figures beside it)."""
    from eventsourcing.application import Application

    from .append import plain_env

    work = payloads(K)
    with store(config, backend, pg) as plain_store:  # first: PostgreSQL's scratch is reset after
        plain: Any = Application(env=plain_env(plain_store))
        started = time.perf_counter()
        save_one_by_one(plain, work)
        bare = time.perf_counter() - started
        plain.close()
    with contextlib.ExitStack() as stack:
        tmp = stack.enter_context(tempfile.TemporaryDirectory(dir=config.tmp))
        if ledger is not None:
            if backend != "sqlite":  # the scratch database is reset: nothing to reuse
                raise ValueError("--ledger keeps an SQLite ledger only")
            ledger.mkdir(parents=True, exist_ok=True)
            env, home = sqlite_env(ledger), ledger
        else:
            env = stack.enter_context(store(config, backend, pg))
            home = Path(tmp)
        return _measure(config, backend, targets, events, env, home, Path(tmp), steps,
                        rebuild_seconds, verify_seconds, bare)  # fmt: skip


def _measure(
    config: Config,
    backend: str,
    targets: int,
    events: int,
    env: dict[str, str],
    home: Path,
    tmp: Path,
    steps: tuple[str, ...],
    rebuild_seconds: float | None,
    verify_seconds: float | None,
    bare: float,
) -> list[Figure]:
    from ledger.application import LedgerApp
    from ledger.demo.bureau import build_demo
    from ledger.export import export_bundle
    from ledger.keyfile import create_key, load_key
    from verify.merkle import leaf_hash

    figures: list[Figure] = []
    where = f"{backend}, {targets:,} targets"

    def figure(name: str, value: float, detail: str, unit: str = "×") -> None:
        figures.append(Figure("scale", backend, f"{name} ({targets:,} targets)", value, unit,
                              detail=detail))  # fmt: skip
        config.log(f"  scale/{where}: {name}: {value:,.2f}{unit} — {detail}")

    key_path, built_path = home / "ledger.key", home / "built.json"
    reuse = built_path.exists()
    signer = (
        load_key(key_path) if reuse else create_key(key_path, "bench.drawledger.example/ledger")
    )

    def open_app(**kwargs: Any) -> Any:
        kwargs.setdefault("embedded_sealing", True)
        kwargs.setdefault("seal_interval", 0)
        return LedgerApp(env, signer, signer.name, **kwargs)

    app = open_app(seal_interval=60)  # no task runs: sealed at the end of the build
    if reuse:
        built = json.loads(built_path.read_text())
        config.log(f"  scale: reusing the ledger built in {home} ({built['events']:,} events)")
    else:
        app.create_ledger()
        app.set_default_policy()
        if events:
            from .province import build

            built = build(app, targets, events, tmp, config.log)
        else:
            started = time.perf_counter()
            build_demo(app, targets=targets, inspectors=60)
            app.seal()
            built = {"seconds": time.perf_counter() - started, "phases": {},
                     "peak_rss_mib": _rss_mib(), "helper_rss_mib": 0.0}  # fmt: skip
            built["events"] = int(app.recorder.max_notification_id() or 0)
        built["targets"] = targets
        built_path.write_text(json.dumps(built))
    phases = ", ".join(f"{k} {v:.0f} s" for k, v in built["phases"].items())
    figure("set-up: built and sealed, events/s", built["events"] / built["seconds"],
           f"{built['events']:,} events in {built['seconds']:.0f} s"
           + (f" ({phases})" if phases else "")
           + f"; peak RSS {built['peak_rss_mib']:,.0f} MiB"
           + (f", signing helper {built['helper_rss_mib']:,.0f} MiB"
              if built["helper_rss_mib"] else "")
           + (" (reused)" if reuse else ""), unit=" ev/s")  # fmt: skip
    figure("set-up: peak resident memory of the build, MiB", built["peak_rss_mib"],
           f"{built['events']:,} events", unit=" MiB")  # fmt: skip
    head = int(app.recorder.max_notification_id() or 0)
    if "append" in steps:  # the service's signed, sealed saves against plain eventsourcing
        app.start_sealing()
        started = time.perf_counter()
        save_one_by_one(app, payloads(K))
        app.stop_sealing()
        signed = time.perf_counter() - started
        figure("append: signed and sealed / plain eventsourcing, rate", bare / signed,
               f"{K} saves: {K / signed:,.0f} ev/s on a log of {head:,} against "
               f"{K / bare:,.0f} ev/s into an empty plain store")  # fmt: skip

    if "seal" in steps:  # K unsealed events sealed at once, against their leaf hashes, a signature
        save_one_by_one(app, payloads(K, seed=7))  # no sealing task runs: nothing sealed
        first = app.sealer.latest().last_notification_id + 1
        records = [bytes(n.state) for n in app.notifications(start=first)]
        started = time.perf_counter()
        app.seal()
        sealing = time.perf_counter() - started
        started = time.perf_counter()
        for record in records:
            leaf_hash(record)
        signer.sign(b"checkpoint")
        hashing = time.perf_counter() - started
        figure("seal: one round over K events / their leaf hashes and one signature, time",
               sealing / hashing, f"{len(records)} events sealed in {sealing * 1000:.0f} ms, "
               f"hashed in {hashing * 1000:.1f} ms")  # fmt: skip
    app.close()

    if "freeze" in steps:  # cold without and with the persisted state, warm; a bare fold
        from ledger.draws.service import Draws
        from ledger.registry.state_store import TABLE

        fold = _bare_fold(open_app())
        restarted = open_app()
        service = Draws(restarted)  # creates the state table if need be: empty it
        with restarted.recorder.datastore.transaction(commit=True) as c:
            c.execute(f"DELETE FROM {TABLE}")
        cold, digest_log = _freeze(service)
        cold_rss = _rss_mib()
        warm, _ = _freeze(service)
        if service.states.saving is not None:
            service.states.saving.join()  # the state the cold freeze persisted (if far enough)
        service.states.persist()  # the newest, as a service persists it after a freeze
        restarted.close()
        m = in_fresh_process(_freeze_persisted, env, str(home / "ledger.key"))
        kept, digest_kept = m["seconds"], m["digest"]
        same = "identical" if digest_log == digest_kept else "DIFFERENT"
        detail = (f"cold {cold:.2f} s, cold with the persisted state {kept:.2f} s (a fresh "
                  f"process: peak RSS {m['peak']:,.0f} MiB, interpreter {m['baseline']:,.0f} "
                  f"MiB), warm {warm:.3f} s, bare fold {fold:.2f} s; peak RSS after the cold "
                  f"fold {cold_rss:,.0f} MiB; population digests {same}")  # fmt: skip
        figure("freeze cold, no persisted state / bare fold, time", cold / fold, detail)
        figure("freeze cold, persisted state / bare fold, time", kept / fold, detail)
        figure("freeze warm / bare fold, time", warm / fold, detail)
        figure("freeze cold, persisted state: peak resident memory, MiB", m["peak"], detail,
               unit=" MiB")  # fmt: skip
        if digest_log != digest_kept:
            raise RuntimeError(f"population digests differ: {digest_log} vs {digest_kept}")

    if "verify" in steps:  # the exported bundle in a fresh process
        reader = open_app()
        bundle = tmp / "scale.jsonl"
        export_bundle(reader, bundle)
        reader.close()
        size = bundle.stat().st_size / 2**20
        if verify_seconds is None:
            m = in_fresh_process(_verify, str(bundle), str(signer.verifier))
        else:
            m = _verify_boxed(str(bundle), str(signer.verifier), verify_seconds)
        bundle.unlink()
        if not m.get("finished", True):
            figure("verify --jobs 1: bytes read per bundle byte within the time box",
                   m["read"] / 2**20 / size,
                   f"time-boxed: stopped after {m['seconds']:.0f} s, not finished; "
                   f"{m['read'] / 2**20:,.0f} MiB read of the {size:,.0f} MiB bundle (a "
                   f"structural scan, the record pass, then steps 9-11 read it again); peak "
                   f"RSS so far {m['peak']:,.0f} MiB (interpreter {m['baseline']:.0f} MiB); "
                   f"bare Ed25519 {m['bare']:.1f} s{m['bare_note']}")  # fmt: skip
            figure("verify: peak memory above the interpreter within the time box, MiB",
                   m["peak"] - m["baseline"], f"{size:,.0f} MiB bundle", unit=" MiB")  # fmt: skip
        else:
            figure("verify --jobs 1 / bare Ed25519 on one core, rate", m["bare"] / m["seconds"],
                   f"{size:,.0f} MiB bundle verified in {m['seconds']:.1f} s (bare Ed25519 "
                   f"{m['bare']:.1f} s{m['bare_note']}); peak {m['peak']:,.0f} MiB, "
                   f"{m['peak'] - m['baseline']:,.0f} MiB above the interpreter's "
                   f"{m['baseline']:.0f} MiB")  # fmt: skip
            figure("verify: peak memory above the interpreter, MiB", m["peak"] - m["baseline"],
                   f"{size:,.0f} MiB bundle", unit=" MiB")  # fmt: skip

    if "rebuild" in steps:  # every read model from the log, against reading the raw log
        _rebuild_figures(env, home, tmp, rebuild_seconds, figure)
    return figures


def _rebuild_figures(
    env: dict[str, str],
    home: Path,
    tmp: Path,
    rebuild_seconds: float | None,
    figure: Callable[[str, float, str], None],
) -> None:
    m = in_fresh_process(_rebuild, env, str(home / "ledger.key"), str(tmp), rebuild_seconds)
    bounded = (f" (time-boxed: the first {m['events']:,} of {m['head']:,} events in "
               f"{m['rebuilt']:.0f} s; the raw read over the same prefix)"
               if m["events"] < m["head"] else "")  # fmt: skip
    figure("rebuild every read model / reading the raw log, time", m["rebuilt"] / m["raw"],
           f"{m['events']:,} events: rebuild {m['events'] / m['rebuilt']:,.0f} ev/s, raw "
           f"read {m['events'] / m['raw']:,.0f} ev/s; peak RSS {m['peak']:,.0f} MiB"
           + bounded)  # fmt: skip


def _verify_boxed(path: str, key: str, most: float) -> dict[str, Any]:
    """``_verify`` in a fresh process stopped after ``most`` seconds if it has not finished;
    then what it had read (``rchar``) and its peak memory so far, sampled every second."""
    context = multiprocessing.get_context("spawn")
    with context.Manager() as manager:
        answer = manager.dict()
        child = context.Process(target=_verify_into, args=(answer, path, key))
        child.start()
        started = time.perf_counter()
        baseline = peak = read = 0.0
        while child.is_alive() and time.perf_counter() - started < most:
            try:
                peak = max(peak, _rss_mib(child.pid or 0))
                baseline = baseline or peak
                read = _rchar(child.pid or 0)
            except (OSError, RuntimeError, StopIteration):
                pass
            time.sleep(1)
        seconds = time.perf_counter() - started
        if child.is_alive():
            child.terminate()
            child.join()
            bare = _bare_ed25519(path, key)
            read -= answer.get("rchar", 0.0)  # what it read before verifying (its imports)
            return {"finished": False, "seconds": seconds, "read": read, "peak": peak,
                    "baseline": answer.get("baseline", baseline), **bare}  # fmt: skip
        child.join()
        return dict(answer)


def _rchar(pid: int | str = "self") -> float:
    """Bytes a process has read so far (``rchar`` in ``/proc/PID/io``)."""
    io = Path(f"/proc/{pid}/io").read_text().splitlines()
    return float(next(x for x in io if x.startswith("rchar")).split()[1])


def _verify_into(answer: Any, path: str, key: str) -> None:
    answer["baseline"], answer["rchar"] = _rss_mib(), _rchar()
    answer.update(_verify(path, key))


class _TimeBox(Exception):
    pass


def _open(env: dict[str, str], key: str) -> Any:
    from ledger.application import LedgerApp
    from ledger.keyfile import load_key

    signer = load_key(Path(key))
    return LedgerApp(env, signer, signer.name, embedded_sealing=True, seal_interval=0)


def _freeze_persisted(env: dict[str, str], key: str) -> dict[str, Any]:
    """In a fresh process (as a restarted service): a draw's freeze from the persisted
    registry state; its time, digest and the process's peak memory."""
    from ledger.draws.service import Draws

    baseline = _rss_mib()
    app = _open(env, key)
    seconds, digest = _freeze(Draws(app))
    app.close()
    return {"seconds": seconds, "digest": digest, "peak": _rss_mib(), "baseline": baseline}


def _rebuild(env: dict[str, str], key: str, tmp: str, most: float | None) -> dict[str, Any]:
    """In a fresh process: every read model rebuilt into a new read database, stopped after
    ``most`` seconds if given; then the raw log read (each record decoded, no check) up to
    where the rebuild got."""
    from projections import open_read_models
    from verify.events import decode_record

    app = _open(env, key)
    head = int(app.recorder.max_notification_id() or 0)
    rm = open_read_models(app, f"sqlite:///{Path(tmp) / 'rm.sqlite'}", attach=False, first=1)
    reached = [0]
    started = time.perf_counter()

    def progress(position: int, _head: int) -> None:
        reached[0] = position
        if most is not None and time.perf_counter() - started > most:
            raise _TimeBox

    try:
        rm.runner.rebuild(progress=progress)
        reached[0] = head
    except _TimeBox:
        pass
    rebuilt = time.perf_counter() - started
    rm.close()
    started = time.perf_counter()
    for n in app.notifications(batch=5000, stop=reached[0]):
        decode_record(n.state, form_known_good=True)
    raw = time.perf_counter() - started
    app.close()
    (Path(tmp) / "rm.sqlite").unlink(missing_ok=True)
    return {"events": reached[0], "head": head, "rebuilt": rebuilt, "raw": raw,
            "peak": _rss_mib()}  # fmt: skip


def run(config: Config) -> list[Figure]:
    targets = 2_000 if config.quick else 20_000
    figures = measure(config, "sqlite", None, targets)
    with maybe_pg(config) as pg:
        if pg is not None:
            figures += measure(config, "postgres", pg, targets)
    return figures


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.scale", description=__doc__)
    parser.add_argument("--targets", type=int, default=100_000)
    parser.add_argument("--backend", choices=("sqlite", "postgres"), default="sqlite")
    parser.add_argument("--tmp", help="where the stores and the bundle go")
    parser.add_argument(
        "--events", type=int, default=0, help="build at least this many events (bench/province.py)"
    )
    parser.add_argument(
        "--ledger", type=Path, help="build the ledger here once (SQLite) and reuse it in later runs"
    )
    parser.add_argument(
        "--steps",
        default=",".join(STEPS),
        help=f"which of {','.join(STEPS)} to measure (none: build only)",
    )
    parser.add_argument(
        "--verify-seconds",
        type=float,
        help="stop the verifier after this long: its peak memory and bytes read so far",
    )
    parser.add_argument(
        "--rebuild-seconds",
        type=float,
        help="stop the rebuild after this long and report the prefix's rate",
    )
    args = parser.parse_args(argv)
    config = Config.standalone(1, args.tmp)
    steps = tuple(s for s in args.steps.split(",") if s in STEPS)
    options = {"events": args.events, "ledger": args.ledger, "steps": steps,
               "rebuild_seconds": args.rebuild_seconds,
               "verify_seconds": args.verify_seconds}  # fmt: skip
    return run_on(
        config, args.backend, lambda pg: measure(config, args.backend, pg, args.targets, **options)
    )


if __name__ == "__main__":
    sys.exit(main())
