"""``drawledger dispute``: write the dispute file of one target, draw, inspection or official
(docs/DISPUTE.md); ``python -m verify dispute DIR --key KEY`` checks it offline.

The operator writes it for the legal office or a court: every act the responsibility trail links
to the subject up to ``--as-of`` (default: the last signed checkpoint), with the whole chain of
each record involved, inclusion proofs, the signed checkpoint and a report in Chinese.
"""

from __future__ import annotations

import argparse
from pathlib import Path

from verify.dispute import SUBJECTS

from .cli_common import open_ledger

DESCRIPTION = (
    "写出关于某一检查对象、抽取、检查或工作人员的争议材料（docs/DISPUTE.md）；可用 "
    "'python -m verify dispute DIR --key KEY' 离线核验。由运营方为法制处或法院写出：行为记录"
    "链接到该事项的、截至 --as-of（账本位置或北京时间；默认：最后一个签名检查点）的每一项"
    "行为，所涉每条记录的完整哈希链、包含证明、签名检查点，以及中文报告。"
)


def add_commands(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    """Add the ``dispute`` command to the drawledger parser."""
    p = sub.add_parser(
        "dispute",
        help="写出关于某一事项、可独立核验的争议材料",
        description=DESCRIPTION,
    )
    p.add_argument("--data", required=True, help="账本的数据目录")
    p.add_argument("--target", metavar="CODE", help="检查对象（统一社会信用代码或编号）")
    p.add_argument("--draw", metavar="ID", help="抽取（编号）")
    p.add_argument("--inspection", metavar="ID", help="检查（编号）")
    p.add_argument("--official", metavar="CODE", help="某一工作人员的全部行为")
    p.add_argument(
        "--as-of",
        metavar="POSITION|DATETIME",
        help="账本当时的状态：账本位置，或北京时间的日期（2026-06-30，指当日结束时）或日期和时刻"
        "（2026-06-30T18:00）；须在最后一个签名检查点之内",
    )
    p.add_argument(
        "--consistent-with",
        action="append",
        default=[],
        metavar="NOTE",
        help="申请人保存的本账本签名检查点（存有该签名注记的文件）："
        "争议材料附带从它起的一致性证明（可重复）",
    )
    p.add_argument("--out", required=True, help="存放争议材料的新目录")
    p.set_defaults(func=cmd_dispute)


def cmd_dispute(args: argparse.Namespace) -> int:
    from ledger.as_of import resolve
    from ledger.errors import BadInput
    from projections import open_read_models
    from projections.dispute import write_dispute

    named = [
        (kind, key)
        for kind, key in (
            ("target", args.target),
            ("draw", args.draw),
            ("inspection", args.inspection),
            ("official", args.official),
        )
        if key
    ]
    if len(named) != 1:
        raise BadInput("name exactly one of --target, --draw, --inspection, --official")
    [(kind, key)] = named
    try:
        notes = [Path(f).read_text(encoding="utf-8") for f in args.consistent_with]
    except (OSError, UnicodeDecodeError) as e:
        raise BadInput(f"--consistent-with: {e}") from None
    app = open_ledger(args)
    app.seal()  # a one-shot command: what the log holds now is covered by a checkpoint
    position = None if args.as_of is None else resolve(app, args.as_of)  # as POST /disputes
    read_models = open_read_models(app, attach=False)
    try:
        manifest = write_dispute(
            app, read_models.engine, kind, key, Path(args.out), position, notes
        )
    finally:
        read_models.close()
    print(
        f"已写入 {args.out}：关于{SUBJECTS.get(kind, kind)} {manifest['subject']['key']} 的记录 "
        f"{len(manifest['records'])} 条，截至位置 {manifest['as_of']}，"
        f"检查点大小 {manifest['checkpoint']['size']}"
    )
    print(f"核验方法：python -m verify dispute {args.out} --key {args.data}/keys/ledger.pub")
    return 0
