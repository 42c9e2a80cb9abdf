"""``drawledger witness``, ``witness-key`` and ``witnesses``: the witness's process, its key,
and the ledger's list of witnesses.

``witness`` is an independent auditor's process (the ``witness`` package: it needs only the
ledger's URL and public key, never its data directory); ``witnesses add|remove`` records the
signed events that make a key a witness of this ledger or end that (docs/OPERATIONS.md,
"Running a witness").
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from .cli_common import acting, add_data_and_acting, key_or_file, open_ledger


def add_commands(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    p = sub.add_parser(
        "witness",
        help="运行见证方：对延续其所见历史的账本检查点进行联署",
        description="取得账本最新的检查点，以及从本见证方上次联署的检查点到它的一致性证明；"
        "联署（cosignature/v1）并提交联署签名，或拒绝分裂视图并把证据保存在 "
        "STATE/split-views/。某一轮（加 --once 时）拒绝联署或无法访问账本时退出状态为 1。",
    )
    p.add_argument("--ledger", required=True, metavar="URL", help="账本服务的网址")
    p.add_argument("--key", required=True, type=Path, metavar="FILE", help="见证方密钥")
    p.add_argument(
        "--state", required=True, type=Path, metavar="DIR", help="见证方的状态目录（0700）"
    )
    p.add_argument(
        "--log-key",
        action="append",
        default=[],
        metavar="KEY",
        help="账本公钥（公钥文本或存有它的文件）；保存在状态目录中，首次运行及增加轮换后的"
        "密钥时需要",
    )
    p.add_argument("--once", action="store_true", help="只运行一轮，然后退出")
    p.add_argument("--interval", type=float, default=10.0, help="两轮之间的秒数")
    p.set_defaults(func=cmd_witness)

    p = sub.add_parser(
        "witness-notes",
        help="见证方取出其联署的、界定某条记录时间的检查点（交给法院）",
        description="从见证方的状态目录（STATE/cosigned.jsonl）取出它联署的、尚不包含叶子 LEAF "
        "的最后一个检查点和已包含它的第一个检查点，各写为 OUT/<大小>.note。法院用 python -m "
        "verify dispute 的 --trusted-checkpoint 给出它们，并用 --consistency-proof 给出账本对 "
        "GET /proofs/consistency?old=<大小>&new=<材料的大小> 的应答。",
    )
    p.add_argument("--state", required=True, type=Path, metavar="DIR", help="见证方的状态目录")
    p.add_argument(
        "--leaf",
        required=True,
        type=int,
        metavar="LEAF",
        help="记录的叶子序号（争议材料 manifest.json 中每条记录的 index）",
    )
    p.add_argument("--out", required=True, type=Path, metavar="DIR", help="写出检查点的目录")
    p.set_defaults(func=cmd_witness_notes)

    p = sub.add_parser("witness-key", help="生成见证方的 cosignature/v1 密钥（权限 0600）")
    p.add_argument("--name", required=True, help="见证方名称，例如 auditor.example/w1")
    p.add_argument(
        "--out", required=True, type=Path, metavar="FILE", help="要写出的私钥文件（权限 0600）"
    )
    p.set_defaults(func=cmd_witness_key)

    p = sub.add_parser("witnesses", help="账本的见证方：列出、增加、移除")
    actions = p.add_subparsers(dest="action", required=True)
    a = actions.add_parser("list", help="现有的见证方及每个见证方事件")
    a.add_argument("--data", required=True, help="账本的数据目录")
    a.set_defaults(func=cmd_list)
    for name, what in (
        ("add", "记录 witness.added（增加见证方）"),
        ("remove", "记录 witness.removed（移除见证方）"),
    ):
        a = actions.add_parser(name, help=what)
        a.add_argument("key", help="见证方的 cosignature/v1 公钥")
        add_data_and_acting(a)
        a.add_argument("--reason", default="", required=name == "remove", help="理由（记入账本）")
        a.set_defaults(func=cmd_add if name == "add" else cmd_remove)


def cmd_witness(args: argparse.Namespace) -> int:
    from witness.setup import WitnessSetupError, open_witness, run

    if args.interval <= 0:
        print("drawledger witness: 错误（bad_input）：--interval 应大于 0 秒", file=sys.stderr)
        return 1
    try:
        keys = [key_or_file(k, "--log-key") for k in args.log_key]
        witness = open_witness(args.ledger, args.key, args.state, keys)
    except WitnessSetupError as e:
        print(f"drawledger witness: 错误（bad_input）：{e}", file=sys.stderr)
        return 1

    def report(outcome):  # type: ignore[no-untyped-def]
        stream = sys.stdout if outcome.ok else sys.stderr
        print(outcome.line(), file=stream, flush=True)

    try:
        last = run(witness, args.once, args.interval, report)
    except KeyboardInterrupt:
        return 0
    return 0 if last.ok else 1


def cmd_witness_notes(args: argparse.Namespace) -> int:
    from witness.evidence import NoCosignedCheckpoint, notes_around

    try:
        written = notes_around(args.state, args.leaf, args.out)
    except (NoCosignedCheckpoint, ValueError) as e:
        print(f"drawledger witness-notes: 错误（bad_input）：{e}", file=sys.stderr)
        return 1
    for path in written:
        print(f"已写入 {path}")
    return 0


def cmd_witness_key(args: argparse.Namespace) -> int:
    from witness.setup import WitnessSetupError, new_witness_key

    try:
        key = new_witness_key(args.name, args.out)
    except WitnessSetupError as e:
        print(f"drawledger witness-key: 错误（bad_input）：{e}", file=sys.stderr)
        return 1
    print(f"已写入 {args.out}（请妥善保密）")
    print(f"见证方公钥：{key.verifier}")
    return 0


def cmd_list(args: argparse.Namespace) -> int:
    from ledger.witnesses import Witnesses

    witnesses = Witnesses(open_ledger(args))
    for event in witnesses.history():
        print(f"{event['position']}\t{event['type']}\t{event['key']}\t{event['reason']}")
    print(f"现有见证方 {len(witnesses.in_force())} 个")
    return 0


def cmd_add(args: argparse.Namespace) -> int:
    return _change(args, "add", "增加")


def cmd_remove(args: argparse.Namespace) -> int:
    return _change(args, "remove", "移除")


def _change(args: argparse.Namespace, command: str, done: str) -> int:
    """``witnesses add`` or ``remove``: the Witnesses command, by whoever the CLI acts as."""
    from ledger.witnesses import Witnesses

    app = open_ledger(args)
    with acting(args, app, "witness.manage") as by:
        key = getattr(Witnesses(app), command)(args.key, by, args.reason)
    print(f"见证方已{done}：{key}")
    return 0
