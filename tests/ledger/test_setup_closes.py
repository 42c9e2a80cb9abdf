"""What creates a ledger, or refuses to serve one, closes the ledger application it opened at
once, not when the garbage collector gets to it: on PostgreSQL an application left to the
collector holds its pool of connections open until then. ``drawledger init`` did (``setup.
create_ledger``'s application was dropped), and the CI's session-end check found its six
connections open at the end of a run where the collector had not run since. The collector is
held off here so that a dropped application stays as it was dropped."""

from __future__ import annotations

import gc
from collections.abc import Iterator
from pathlib import Path

import pytest

from api.serving import service
from ledger.errors import LedgerError
from ledger.setup import create_data_dir

from ..api.test_cli_registry import _database_url
from ..pool_tracking import open_pools, pools_made


@pytest.fixture
def collector_off() -> Iterator[None]:
    gc.collect()
    gc.disable()
    try:
        yield
    finally:
        gc.enable()


def test_init_on_postgresql_leaves_no_pool_open(fresh_pg_env, tmp_path, collector_off):  # type: ignore[no-untyped-def]
    before, made = open_pools(), pools_made()
    create_data_dir(tmp_path / "data", "drawledger.test/ledger", _database_url(fresh_pg_env))
    assert pools_made() > made  # (the tracking is on: the comparison below means something)
    assert open_pools() == before


def test_a_refused_start_on_postgresql_leaves_no_pool_open(fresh_pg_env, tmp_path, collector_off):  # type: ignore[no-untyped-def]
    data = tmp_path / "data"
    create_data_dir(data, "drawledger.test/ledger", _database_url(fresh_pg_env))
    other = tmp_path / "other"
    create_data_dir(other, "drawledger.test/other", "sqlite:///ledger.sqlite")
    public: Path = data / "keys" / "ledger.pub"
    public.write_bytes((other / "keys" / "ledger.pub").read_bytes())  # another key's half
    before, made = open_pools(), pools_made()
    with pytest.raises(LedgerError):
        service(data)
    assert pools_made() > made
    assert open_pools() == before
