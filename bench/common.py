"""What every benchmark shares: configuration, the benchmark aggregate and its payloads, stores
(an SQLite file in a temporary directory, or a scratch PostgreSQL database), figures and timing.
"""

from __future__ import annotations

import os
import platform
import random
import statistics
import sys
import tempfile
import time
import uuid
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar

from ledger.aggregates import LedgerAggregate

# --- configuration -----------------------------------------------------------------------------

BENCH_PG_DSN_VAR = "DRAWLEDGER_BENCH_PG_DSN"
_TEST_PG_DSN_VAR = "DRAWLEDGER_TEST_PG_DSN"
_TEST_PG_VARS = {
    "host": "DRAWLEDGER_TEST_PG_HOST",
    "port": "DRAWLEDGER_TEST_PG_PORT",
    "user": "DRAWLEDGER_TEST_PG_USER",
    "password": "DRAWLEDGER_TEST_PG_PASSWORD",
    "dbname": "DRAWLEDGER_TEST_PG_DB",
}


def pg_params_from_env(environ: dict[str, str] | None = None) -> tuple[dict[str, str] | None, str]:
    """PostgreSQL connection parameters, and where they came from (or why there are none).

    ``DRAWLEDGER_BENCH_PG_DSN`` (a libpq connection string or URI) wins; otherwise the same
    variables the tests use (``DRAWLEDGER_TEST_PG_DSN``, then ``DRAWLEDGER_TEST_PG_HOST`` …
    which override the DSN's parts, as in tests/conftest.py).
    """
    environ = dict(os.environ if environ is None else environ)
    params: dict[str, str] = {}
    source = ""
    if environ.get(BENCH_PG_DSN_VAR):
        params = _parse_dsn(environ[BENCH_PG_DSN_VAR])
        source = BENCH_PG_DSN_VAR
    else:
        if environ.get(_TEST_PG_DSN_VAR):
            params = _parse_dsn(environ[_TEST_PG_DSN_VAR])
            source = _TEST_PG_DSN_VAR
        for key, var in _TEST_PG_VARS.items():
            if var in environ:
                params[key] = environ[var]
                source = source or "DRAWLEDGER_TEST_PG_*"
    params.setdefault("port", "5432")
    params.setdefault("password", "")
    missing = [k for k in ("host", "user", "dbname") if not params.get(k)]
    if not source:
        return None, f"set {BENCH_PG_DSN_VAR} (or DRAWLEDGER_TEST_PG_*) to run it"
    if missing:
        return None, f"{source} lacks {', '.join(missing)}"
    return params, source


def _parse_dsn(dsn: str) -> dict[str, str]:
    from psycopg.conninfo import conninfo_to_dict

    keep = ("host", "port", "user", "password", "dbname")
    return {k: str(v) for k, v in conninfo_to_dict(dsn).items() if k in keep and v is not None}


@dataclass
class Config:
    quick: bool = False
    repeats: int = 3
    pg: dict[str, str] | None = None
    pg_skip_reason: str = ""
    tmp: Path = field(default_factory=lambda: Path(tempfile.gettempdir()))
    log: Callable[[str], None] = lambda text: print(text, file=sys.stderr, flush=True)

    def backends(self) -> list[str]:
        return ["sqlite", "postgres"]

    @classmethod
    def standalone(cls, repeats: int, tmp: str | None) -> Config:
        """A benchmark module run by itself (``python -m bench.<module>``): full size, its
        stores under ``tmp`` if given."""
        config = cls(quick=False, repeats=repeats)
        if tmp:
            config.tmp = Path(tmp)
        return config


# --- figures -----------------------------------------------------------------------------------


@dataclass
class Figure:
    """One reported figure: usually a ratio against a reference measured in the same run."""

    bench: str  # "append", "verify", "seal"
    backend: str  # "sqlite", "postgres" or "-"
    measure: str  # what is compared with what
    value: float | None = None  # the median ratio (or rate, see unit)
    unit: str = "×"  # "×" for ratios, "ev/s" for rates
    target: float | None = None  # the value must be >= target (<= target if at_most)
    detail: str = ""  # the absolute numbers behind the figure
    skipped: str = ""  # why the figure was not measured
    spread: tuple[float, float] | None = None  # (min, max) over the repeats
    at_most: bool = False  # a ceiling (memory), not a floor

    @property
    def met(self) -> bool | None:
        if self.target is None or self.value is None:
            return None
        return self.value <= self.target if self.at_most else self.value >= self.target

    def value_text(self) -> str:
        if self.skipped:
            return "failed" if self.skipped.startswith("failed") else "skipped"
        if self.value is None:
            return "-"
        # Ratios and seconds with two decimals, rates as whole numbers.
        decimals = self.unit in ("×", "s")
        text = f"{self.value:,.2f}" if decimals else f"{self.value:,.0f}"
        text += "×" if self.unit == "×" else f" {self.unit}"
        if self.spread and decimals:
            text += f" ({self.spread[0]:.2f}–{self.spread[1]:.2f})"
        elif self.spread:
            text += f" ({self.spread[0]:,.0f}–{self.spread[1]:,.0f})"
        return text

    def target_text(self) -> str:
        if self.target is None:
            return "-"
        bound = "≤" if self.at_most else "≥"
        if self.unit == "×":
            return f"{bound} {self.target:.2f}×"
        return f"{bound} {self.target:,.0f} {self.unit}"

    def met_text(self) -> str:
        if self.skipped:
            return "failed" if self.skipped.startswith("failed") else "skipped"
        return {True: "met", False: "NOT met", None: "-"}[self.met]


def median(values: Sequence[float]) -> float:
    return float(statistics.median(values))


def spread(values: Sequence[float]) -> tuple[float, float]:
    return (min(values), max(values))


def rate_text(values: Sequence[float], unit: str = "ev/s") -> str:
    """'12,345 ev/s' (the median) for a list of per-repeat rates."""
    return f"{median(values):,.0f} {unit}"


def rotate(items: Sequence[Any], k: int) -> list[Any]:
    """``items`` rotated by ``k``: each repeat starts with a different variant."""
    k %= len(items)
    return list(items[k:]) + list(items[:k])


@contextmanager
def timed() -> Iterator[list[float]]:
    """``with timed() as t: ...`` leaves the elapsed wall-clock seconds in ``t[0]``."""
    box: list[float] = []
    start = time.perf_counter()
    try:
        yield box
    finally:
        box.append(time.perf_counter() - start)


# --- the benchmark aggregate and its payloads ---------------------------------------------------


class BenchTarget(LedgerAggregate):
    """An inspection target as a registry would hold it: the benchmarks' aggregate.

    It is an ordinary ``eventsourcing`` aggregate, so the very same class is saved by the
    ledger (signing mapper) and by the plain ``Application`` (default mapper) it is compared with.
    """

    TOPIC = "benchtarget"

    class Created(LedgerAggregate.Created):
        TOPIC = "benchtarget.registered"
        name: str
        credit_code: str
        address: str
        industry: str
        region: str
        department: str
        items: list[str]
        risk: str
        source: str

    class Amended(LedgerAggregate.Event):
        TOPIC = "benchtarget.amended"
        changes: dict[str, str]
        basis: str
        checked_by: str
        reason: str

        def apply(self, aggregate: Any) -> None:
            aggregate.amendments += 1

    def __init__(self, **fields: Any) -> None:
        self.fields = fields
        self.amendments = 0

    @classmethod
    def register(cls, payload: dict[str, Any], actor: dict[str, Any]) -> BenchTarget:
        return cls._create(cls.Created, id=uuid.uuid4(), actor=actor, **payload)

    def amend(self, payload: dict[str, Any], actor: dict[str, Any]) -> None:
        self.trigger_event(self.Amended, actor=actor, **payload)


ACTOR = {"official": "clerk-0042 王芳", "role": "clerk", "department": "常州市水利局水政处"}
EVENTS_PER_TARGET = 5  # one registration, then four amendments: chains of 5 per aggregate

_DISTRICTS = ["天宁区", "钟楼区", "新北区", "武进区", "金坛区", "溧阳市"]
_INDUSTRIES = ["水利工程施工", "河道采砂", "取水", "水土保持", "排水设施运营", "水利工程监理"]
_ITEMS = [f"CZSL-2018-{i:02d}" for i in range(1, 15)]


def registration_payload(rng: random.Random) -> dict[str, Any]:
    """About 450 bytes of JCS: what registering an inspection target records."""
    district = rng.choice(_DISTRICTS)
    n = rng.randrange(10**6)
    brand = "宏达润泽恒通"[n % 5 : n % 5 + 2]
    return {
        "name": f"常州市{district}{brand}水利工程建设有限公司第{n % 97}分公司",
        "credit_code": f"91320{rng.randrange(10**4):04d}MA{rng.randrange(16**7):07X}{n % 10}",
        "address": f"江苏省常州市{district}{rng.choice('湖塘镇牛塘镇邹区镇')}滨河路{n % 900 + 1}号",
        "industry": rng.choice(_INDUSTRIES),
        "region": f"3204{rng.randrange(100):02d}",
        "department": "常州市水利局水政监察支队",
        "items": sorted(rng.sample(_ITEMS, 3)),
        "risk": rng.choice("ABCD"),
        "source": "《常州市水利局关于推行“双随机、一公开”监管工作的通知》检查对象名录库",
    }


def amendment_payload(rng: random.Random) -> dict[str, Any]:
    """About 320 bytes of JCS: a change of some registry fields with its basis."""
    return {
        "changes": {
            "address": f"江苏省常州市{rng.choice(_DISTRICTS)}滨江路{rng.randrange(1, 900)}号",
            "risk": rng.choice("ABCD"),
            "industry": rng.choice(_INDUSTRIES),
        },
        "basis": "常水政〔2018〕12号 第三条：检查对象名录库实行动态管理",
        "checked_by": "常州市水利局政策法规处",
        "reason": f"市场监管部门推送变更信息，批次{rng.randrange(10**6):06d}，经核实后更新名录库",
    }


def payloads(count: int, seed: int = 2018) -> list[dict[str, Any]]:
    """Payloads for ``count`` saves: a registration every EVENTS_PER_TARGET, else amendments."""
    rng = random.Random(seed)
    return [
        registration_payload(rng) if i % EVENTS_PER_TARGET == 0 else amendment_payload(rng)
        for i in range(count)
    ]


def save_one_by_one(
    app: Any, workload: Sequence[dict[str, Any]], actor: dict[str, Any] = ACTOR
) -> None:
    """One event per ``save``: register a target, amend it four times, next target, …"""
    target: BenchTarget | None = None
    for i, payload in enumerate(workload):
        if i % EVENTS_PER_TARGET == 0:
            target = BenchTarget.register(payload, actor)
        else:
            assert target is not None
            target.amend(payload, actor)
        app.save(target)


def save_in_batches(
    app: Any, count: int, per_save: int = 500, seed: int = 7, actor: dict[str, Any] = ACTOR
) -> None:
    """Store ``count`` events quickly: ``per_save`` events (whole chains) per ``save``."""
    rng = random.Random(seed)
    done = 0
    while done < count:
        targets = []
        size = min(per_save, count - done)
        for i in range(size):
            if i % EVENTS_PER_TARGET == 0:
                targets.append(BenchTarget.register(registration_payload(rng), actor))
            else:
                targets[-1].amend(amendment_payload(rng), actor)
        app.save(*targets)
        done += size


# --- stores ------------------------------------------------------------------------------------


def sqlite_env(directory: Path) -> dict[str, str]:
    """The ledger's own SQLite settings (``ledger.storage.persistence_env``) in ``directory``."""
    from ledger.storage import persistence_env

    return persistence_env(f"sqlite:///{directory / 'bench.sqlite'}", directory)


class PgScratch:
    """A scratch database on the configured PostgreSQL server, dropped at the end.

    The benchmarks never touch the database the DSN names: they create
    ``drawledger_bench_<random>`` beside it (which needs the CREATEDB privilege), reset its
    ``public`` schema between measurements, and drop it on exit.
    """

    def __init__(self, params: dict[str, str]):
        self.params = dict(params)
        self.dbname = f"drawledger_bench_{uuid.uuid4().hex[:10]}"
        self._created = False

    def _connect(self, dbname: str) -> Any:
        import psycopg

        p = self.params
        return psycopg.connect(
            host=p["host"],
            port=p["port"],
            user=p["user"],
            password=p["password"],
            dbname=dbname,
            autocommit=True,
            connect_timeout=10,
        )

    def __enter__(self) -> PgScratch:
        with self._connect(self.params["dbname"]) as conn:
            conn.execute(f'CREATE DATABASE "{self.dbname}"')
        self._created = True
        return self

    def __exit__(self, *exc: Any) -> None:
        if self._created:
            with self._connect(self.params["dbname"]) as conn:
                conn.execute(f'DROP DATABASE IF EXISTS "{self.dbname}" WITH (FORCE)')
            self._created = False

    def reset(self) -> None:
        """An empty ``public`` schema (every application using it must be closed first)."""
        with self._connect(self.dbname) as conn:
            conn.execute("SET lock_timeout = '10s'")
            conn.execute("DROP SCHEMA IF EXISTS public CASCADE")
            conn.execute("CREATE SCHEMA public")

    def url(self) -> str:
        """The scratch database as the ledger's configuration names a database."""
        from urllib.parse import quote, urlencode

        p = self.params
        auth = quote(p["user"], safe="") + (
            ":" + quote(p["password"], safe="") if p["password"] else ""
        )
        query = urlencode({"host": p["host"], "port": p["port"]})
        return f"postgresql://{auth}@/{quote(self.dbname)}?{query}"

    def env(self) -> dict[str, str]:
        """The ledger's own settings for it (``ledger.storage.persistence_env``)."""
        from ledger.storage import persistence_env

        return persistence_env(self.url())

    def settings(self) -> dict[str, str]:
        """The server's version and the settings that change write rates (read-only SHOWs)."""
        out = {}
        with self._connect(self.params["dbname"]) as conn:
            for name in ("server_version", "fsync", "synchronous_commit", "shared_buffers"):
                out[name] = str(conn.execute(f"SHOW {name}").fetchone()[0])
        return out


@contextmanager
def store(config: Config, backend: str, pg: PgScratch | None) -> Iterator[dict[str, str]]:
    """An empty store for one measurement: a new SQLite file, or the reset scratch database."""
    if backend == "sqlite":
        with tempfile.TemporaryDirectory(prefix="drawledger-bench-", dir=config.tmp) as d:
            yield sqlite_env(Path(d))
    else:
        assert pg is not None
        pg.reset()
        yield pg.env()


@contextmanager
def maybe_pg(config: Config) -> Iterator[PgScratch | None]:
    """The scratch PostgreSQL database when one is configured, else None."""
    if config.pg is None:
        yield None
        return
    with PgScratch(config.pg) as pg:
        config.log(f"  scratch database {pg.dbname} (dropped at the end)")
        yield pg


def run_on(
    config: Config, backend: str, measure: Callable[[PgScratch | None], list[Figure]]
) -> int:
    """A benchmark's own command line: ``measure`` on the backend asked for (PostgreSQL's
    scratch database from ``DRAWLEDGER_TEST_PG_*``), each figure printed on a line; exit 1
    when PostgreSQL is asked for and none is configured."""
    if backend == "sqlite":
        figures = measure(None)
    else:
        config.pg, config.pg_skip_reason = pg_params_from_env()
        with maybe_pg(config) as pg:
            if pg is None:
                print("no PostgreSQL configured (DRAWLEDGER_TEST_PG_*)", file=sys.stderr)
                return 1
            figures = measure(pg)
    for f in figures:
        print(f"{f.measure}\t{f.backend}\t{f.value_text()}\t{f.detail}")
    return 0


def new_signer() -> Any:
    from verify.keys import SignerKey

    return SignerKey.generate("bench.drawledger.example/ledger")


# --- the machine ---------------------------------------------------------------------------------


def machine_info(pg_settings: dict[str, str] | None = None) -> dict[str, str]:
    import importlib.metadata
    import sqlite3

    import cryptography
    from cryptography.hazmat.backends.openssl import backend as openssl_backend

    cpu = "unknown"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    info = {
        "date": time.strftime("%Y-%m-%d %H:%M %Z"),
        "cpus (nproc)": str(os.cpu_count()),
        "cpu model": cpu,
        "python": f"{platform.python_implementation()} {platform.python_version()}",
        "platform": platform.platform(),
        "eventsourcing": importlib.metadata.version("eventsourcing"),
        "cryptography": f"{cryptography.__version__} ({openssl_backend.openssl_version_text()})",
        "sqlite": sqlite3.sqlite_version,
        "load average": " ".join(f"{x:.2f}" for x in os.getloadavg()),
    }
    if pg_settings:
        info["postgresql"] = ", ".join(f"{k}={v}" for k, v in pg_settings.items())
    return info


# A ``--keep DIR`` directory (the dispute and rebuild benches): the demo year's SQLite ledger,
# recorded there by the first run and reused by the next ones, and the key it was signed with.
KEPT_KEY = "bench.key"


def kept_env(directory: Path) -> dict[str, str]:
    """The eventsourcing environment of a ``--keep`` directory's ledger (made if need be)."""
    from ledger.storage import persistence_env

    directory.mkdir(parents=True, exist_ok=True)
    return persistence_env("sqlite:///ledger.sqlite", directory)


def kept_signer(directory: Path) -> Any | None:
    """The key a ``--keep`` directory's ledger was recorded with (None: none recorded yet)."""
    from verify.keys import parse_signer_key

    path = directory / KEPT_KEY
    return parse_signer_key(path.read_text(encoding="utf-8")) if path.exists() else None


def keep_signer(directory: Path, signer: Any) -> None:
    """Keep the key a ledger was recorded with beside it, for the runs that reuse it."""
    (directory / KEPT_KEY).write_text(signer.to_text(), encoding="utf-8")


def sqlite_demo_ledger(directory: Path, name: str) -> tuple[Any, Any]:
    """A new signed SQLite ledger in ``directory`` (sealed on demand, key ``bench.drawledger/
    NAME``), created with the default policy, and its signer: where the trail, legal and
    dispute benches record their demo year."""
    from ledger.application import LedgerApp
    from ledger.storage import persistence_env
    from verify.keys import SignerKey

    signer = SignerKey.generate(f"bench.drawledger/{name}")
    env = persistence_env("sqlite:///ledger.sqlite", directory)
    app = LedgerApp(env, signer, signer.name, embedded_sealing=True, seal_interval=0)
    try:
        app.create_ledger()
        app.set_default_policy()
    except BaseException:
        app.close()
        raise
    return app, signer


def record_demo_year(app: Any, targets: int) -> None:
    """The benches' demo year over ``targets`` targets, with its plans and draws, dated as of
    2026-11-25 so that every run records the same calendar."""
    from datetime import date

    from ledger.demo.bureau import build_demo

    build_demo(app, targets=targets, inspectors=60, today=date(2026, 11, 25), plans_and_draws=True)


def demo_year(
    config: Config, env: dict[str, str], keep: Path | None, targets: int, label: str
) -> tuple[Callable[[], Any], int]:
    """An opener of the signed ledger application on ``env`` holding the demo year over
    ``targets`` targets, recorded and sealed now unless ``keep`` (``--keep``) holds one recorded
    before (with its key, kept beside it the first time), and how many events it holds."""
    from ledger.application import LedgerApp

    kept = kept_signer(keep) if keep else None
    signer = kept or new_signer()

    def open_app() -> Any:
        return LedgerApp(env, signer, signer.name, embedded_sealing=True, seal_interval=60)

    app = open_app()
    started = time.perf_counter()
    if kept is None:
        app.create_ledger()
        app.set_default_policy()
        record_demo_year(app, targets)
        app.seal()
        if keep:
            keep_signer(keep, signer)
    events = int(app.recorder.max_notification_id() or 0)
    app.close()
    if kept is not None:
        config.log(f"  {label}: {events:,} events kept in {keep}, reused")
    else:
        built = time.perf_counter() - started
        config.log(f"  {label}: {events:,} events built and sealed in {built:.0f} s")
    return open_app, events


_T = TypeVar("_T")


def in_fresh_process(fn: Callable[..., _T], *args: Any) -> _T:
    """``fn(*args)`` in a new interpreter (spawned, not forked: nothing of this process's heap,
    caches or threads comes along), its result pickled back."""
    import multiprocessing
    from concurrent.futures import ProcessPoolExecutor

    with ProcessPoolExecutor(1, mp_context=multiprocessing.get_context("spawn")) as pool:
        return pool.submit(fn, *args).result()
