"""A helper process for ``test_helper_collector.py``: ``helper_process.serve`` answering each
message with whether the cyclic collector is on and the full collections run so far, and
leaving a reference cycle behind with each."""

from __future__ import annotations

import gc
import sys
from multiprocessing.connection import Connection
from typing import Any

from ledger import helper_process


class _Cycle:
    def __init__(self) -> None:
        self.me = self


def probe(message: Any) -> list[Any]:
    _Cycle()  # garbage only a collection frees
    return [gc.isenabled(), gc.get_stats()[2]["collections"], gc.get_count()[0]]


if __name__ == "__main__":
    helper_process.serve(Connection(int(sys.argv[1])), probe)
