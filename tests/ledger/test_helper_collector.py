"""A helper process (``ledger/helper_process.py``) serves with its cyclic collector off and
collects in full every ``COLLECT_EVERY`` messages: what a message's work leaves in a cycle is
freed within that many messages."""

from __future__ import annotations

import marshal

from ledger import helper_process
from ledger.helper_process import COLLECT_EVERY


def _ask(conn, message):
    conn.send_bytes(marshal.dumps(message))
    status, answer = marshal.loads(conn.recv_bytes())
    assert status == "ok"
    return answer


def test_a_helper_serves_with_its_collector_off_and_collects_every_so_many_messages():
    process, conn = helper_process.start("tests.ledger.collector_probe")
    try:
        answers = [_ask(conn, n) for n in range(2 * COLLECT_EVERY + 1)]
    finally:
        helper_process.stop(process, conn)
    assert not any(enabled for enabled, _, _ in answers)  # the collector is off throughout
    full = [collections for _, collections, _ in answers]
    # The first full collection after COLLECT_EVERY answers, the second after twice as many,
    # and none in between (the collector off makes none of its own).
    assert full[COLLECT_EVERY] == full[0] + 1
    assert full[2 * COLLECT_EVERY] == full[0] + 2
    assert full[1:COLLECT_EVERY] == [full[0]] * (COLLECT_EVERY - 1)
    # Every message's cycle is left (allocations counted) until the collection frees it.
    assert answers[COLLECT_EVERY - 1][2] > answers[0][2]
