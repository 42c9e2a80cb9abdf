"""``drawledger keys rotate | revoke | end-overlap | list``: the ledger's signing keys
(``ledger/key_rotation.py``; docs/OPERATIONS.md, "Rotating a key"). Stop ``serve`` and the
sealer first, and start them again after: a running process keeps signing with the key it
started with."""

from __future__ import annotations

import argparse
from pathlib import Path

from .cli_common import key_or_file, open_ledger


def add_commands(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    p = sub.add_parser("keys", help="账本的签名密钥：轮换、吊销、结束并行、列出")
    actions = p.add_subparsers(dest="action", required=True)

    a = actions.add_parser(
        "rotate",
        help="启用新的签名密钥，由旧密钥签署的事件引入",
        description="记录 ledger.key_rotated（由在用密钥签名），把数据目录切换到新密钥，"
        "旧密钥继续共同签署检查点，直至执行 'keys end-overlap'。",
    )
    a.add_argument("--data", required=True, help="账本的数据目录")
    a.add_argument("--reason", required=True, help="理由（记入账本）")
    a.set_defaults(func=cmd_rotate)

    a = actions.add_parser(
        "revoke",
        help="自某一账本位置起不再信任某个（已泄露的）密钥",
        description="记录 ledger.key_revoked：该密钥在该位置及之后签署的事件将无法通过核验。"
        "在用密钥不能吊销：请先轮换。",
    )
    a.add_argument("key", help="要吊销的公钥（公钥文本，或存有它的文件）")
    a.add_argument(
        "--from",
        dest="position",
        type=int,
        required=True,
        metavar="POSITION",
        help="自该账本位置起",
    )
    a.add_argument("--data", required=True, help="账本的数据目录")
    a.add_argument("--reason", required=True, help="理由（记入账本）")
    a.set_defaults(func=cmd_revoke)

    a = actions.add_parser("end-overlap", help="旧密钥停止共同签署检查点")
    a.add_argument("--data", required=True, help="账本的数据目录")
    a.set_defaults(func=cmd_end_overlap)

    a = actions.add_parser("list", help="账本的全部密钥，在用的排在最前")
    a.add_argument("--data", required=True, help="账本的数据目录")
    a.set_defaults(func=cmd_list)


def cmd_rotate(args: argparse.Namespace) -> int:
    from ledger.key_rotation import rotate

    old, new, position, finished = rotate(Path(args.data), args.reason)
    if finished:
        print(
            f"上次的密钥轮换在账本位置 {position} 记录后中断（设置仍为旧密钥）：现已完成，"
            f"改用已记录的新密钥，未生成新密钥，本次 --reason 未记录：{old} -> {new}"
        )
    else:
        print(f"已在账本位置 {position} 轮换密钥：{old} -> {new}")
    print("旧密钥继续共同签署检查点，直至执行 'drawledger keys end-overlap'")
    return 0


def cmd_revoke(args: argparse.Namespace) -> int:
    from ledger.key_rotation import revoke

    key = key_or_file(args.key, "key")
    index = revoke(Path(args.data), key, args.position, args.reason)
    print(f"已自账本位置 {args.position}（叶子 {index}）起吊销 {key}")
    return 0


def cmd_end_overlap(args: argparse.Namespace) -> int:
    from ledger.key_rotation import end_overlap

    ended = end_overlap(Path(args.data))
    print("旧密钥不再共同签署" if ended else "没有并行的旧密钥：无需结束")
    return 0


def cmd_list(args: argparse.Namespace) -> int:

    app = open_ledger(args)
    print(f"在用：{app.signer.verifier}")
    for key in app.key_history:
        if str(key) != str(app.signer.verifier):
            print(f"此前：{key}")
    for signer in app.sealer.overlap:
        print(f"共同签署检查点（并行）：{signer.verifier}")
    return 0
