"""Running the HTTP service: one process, or several worker processes on PostgreSQL.

One process (the default) serves any store: on SQLite it also seals (the embedded mode's
sealing task) and follows the log into its read models. Several workers (``--workers N``) need
PostgreSQL: every worker is a whole service over the same store — commands are serialised by
the store (a unique constraint per aggregate version, never a check-then-write), read models
are shared and caught up by whichever worker reads first (each batch is claimed by its tracking
position, so two workers never apply one twice), and checkpoints come from the follower
(``drawledger seal --follow``; several may run, one leads by an advisory lock). SQLite has no
such follower and one writer: more than one worker on it is refused.
"""

from __future__ import annotations

import os
from pathlib import Path

from fastapi import FastAPI

from ledger.application import LedgerApp
from ledger.config import Settings
from ledger.errors import BadInput
from ledger.setup import check_ledger_created, check_public_key
from ledger.storage import is_postgres

from .app import create_app
from .body_limit import MIB, BodyLimits

# How the parent tells its workers which data directory to open (uvicorn starts each worker
# by importing ``worker_app``, with no arguments).
DATA_ENV = "DRAWLEDGER_SERVE_DATA"
MAX_WORKERS = 64


def service(data: Path) -> FastAPI:
    """The service over the ledger of ``data``; refuses settings naming an empty store."""
    settings = Settings.load(data)
    app = LedgerApp.open(data)
    try:
        check_ledger_created(app)  # settings naming an empty or another store: refuse to start
        check_public_key(app, data)  # keys/ledger.pub swapped: auditors would pin another key
        app.sealer.check_tip()  # a store cut short or rolled back under its checkpoints: refuse
        limits = BodyLimits(
            body=settings.body_limit_mib * MIB, upload=settings.upload_limit_mib * MIB
        )
        return create_app(app, limits)
    except BaseException:
        app.close()  # refused: its connections closed now, not when it is collected
        raise


def worker_app() -> FastAPI:
    """uvicorn's factory in each worker process: the service over ``$DRAWLEDGER_SERVE_DATA``."""
    return service(Path(os.environ[DATA_ENV]))


def check_workers(data: Path, workers: int) -> None:
    """Refuse a worker count the store cannot take (BadInput, naming why)."""
    if not 1 <= workers <= MAX_WORKERS:
        raise BadInput(f"--workers must be between 1 and {MAX_WORKERS}, not {workers}")
    if workers == 1:
        return
    app = LedgerApp.open(data, embedded_sealing=False)
    try:
        check_ledger_created(app)
        if not is_postgres(app.recorder):
            raise BadInput(
                f"--workers {workers} needs a PostgreSQL ledger: an SQLite ledger is served by "
                "one process, which also seals it (run without --workers; several workers "
                "serve a ledger made on PostgreSQL, 'drawledger init --database URL', a new "
                "ledger: an SQLite ledger is not moved)"
            )
    finally:
        app.close()


def check_port(host: str, port: int) -> None:
    """BadInput unless this process can listen on ``host:port``, asked before the service is
    built: uvicorn would build it, then stop with its own English line."""
    import socket

    if not 0 < port < 65536:
        raise BadInput(f"--port {port}: a port is a whole number from 1 to 65535")
    try:
        family, kind, proto, _, address = socket.getaddrinfo(
            host, port, type=socket.SOCK_STREAM, flags=socket.AI_PASSIVE
        )[0]
    except socket.gaierror:
        raise BadInput(f"cannot listen on {host}:{port}: no such host name") from None
    with socket.socket(family, kind, proto) as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # as uvicorn binds
        try:
            probe.bind(address)
        except OSError as e:
            raise BadInput(f"cannot listen on {host}:{port}: {e.strerror}") from None


def serve(data: Path, host: str, port: int, workers: int = 1) -> None:
    """Serve until stopped (Ctrl-C, SIGTERM): in this process, or in ``workers`` processes."""
    import uvicorn

    check_workers(data, workers)  # the ledger's own refusals first, whatever the port
    check_port(host, port)
    if workers == 1:
        uvicorn.run(service(data), host=host, port=port)
        return
    os.environ[DATA_ENV] = str(data.resolve())
    uvicorn.run("api.serving:worker_app", factory=True, workers=workers, host=host, port=port)
