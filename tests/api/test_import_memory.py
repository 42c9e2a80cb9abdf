"""An import's memory does not grow with the file (issue 15, part 2; docs/IMPORT.md, "Large
files"): the CLI imports a file under a data-segment limit (``RLIMIT_DATA``) that the same
import holding the whole file as one batch — what every import did before it streamed — cannot
stay under. The one that runs out records nothing; the streamed one then records the whole
file."""

# ruff: noqa: F811 - the fixture imported below is used by name as a test argument

from __future__ import annotations

import os
import resource
import subprocess
import sys
from pathlib import Path

import pytest

from .test_cli_registry import (
    REQUEST,  # the operator imports on gqc's head's request
    data,  # noqa: F401 - the fixture
)
from .test_import_support import TARGET_HEADERS_ZH, csv_bytes, target_row
from .test_interrupted_import import _registered

ROOT = Path(__file__).resolve().parents[2]
ROWS = 8000
LIMIT_MIB = 72  # the streamed import peaked below 64 MiB here, one batch of 6,000 rows above 75
# The CLI with the import's batch size set first (bulk.BATCH): 1,000 as shipped, or the whole file.
RUN = (
    "import sys; from ledger.registry import bulk; bulk.BATCH = int(sys.argv[1]); "
    "from api.cli import main; sys.exit(main(sys.argv[2:]))"
)


def _limited() -> None:
    resource.setrlimit(resource.RLIMIT_DATA, (LIMIT_MIB << 20, LIMIT_MIB << 20))


def _import(file: Path, data: str, batch: int) -> subprocess.CompletedProcess[str]:
    command = [sys.executable, "-c", RUN, str(batch), "import", "targets", str(file)]
    return subprocess.run(
        [*command, "--data", data, *REQUEST],
        env={**os.environ, "PYTHONPATH": str(ROOT)},
        preexec_fn=_limited,
        capture_output=True,
        text=True,
        timeout=600,
    )


def _out_of_memory(stderr: str) -> bool:
    """Whether the process ran out of memory: a MemoryError, or CPython 3.11's report of a
    Python call whose frame found no memory left for the interpreter's frame stack (its push
    fails without setting MemoryError, and the interpreter says so as this SystemError, raised
    at the call: the traceback ends at the call, not inside the function; which of the two
    depends on where the limit is met, and so on the sizes of the frames on the way)."""
    last = stderr.strip().splitlines()[-1:]
    return "MemoryError" in stderr or last == ["SystemError: error return without exception set"]


@pytest.mark.parametrize("store_kind", ["sqlite"])  # the client's memory
def test_an_import_streams_in_memory_that_holding_the_file_exceeds(data, tmp_path):
    # Long names and addresses (within their limits) make each row weigh: ~5 KB held per row.
    rows = [
        target_row(
            n, name=f"常州市第{n}" + "水利工程" * 45 + "有限公司", address="江苏省常州市" * 80
        )
        for n in range(ROWS)
    ]
    file = tmp_path / "targets.csv"
    file.write_bytes(csv_bytes(TARGET_HEADERS_ZH, rows))

    whole = _import(file, data, batch=ROWS)  # the file held as one batch
    assert whole.returncode != 0 and _out_of_memory(whole.stderr), whole.stderr[-2000:]
    assert _registered(data) == 0  # ran out part-way: nothing recorded

    streamed = _import(file, data, batch=1000)  # as shipped
    assert streamed.returncode == 0, streamed.stderr[-2000:]
    assert f"已记录 {ROWS} 行" in streamed.stdout
    assert _registered(data) == ROWS
