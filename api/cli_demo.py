"""``drawledger demo --data DIR``: a ledger holding the Changzhou water bureau demo registry."""

from __future__ import annotations

import argparse
import time
from pathlib import Path

from ledger.errors import Conflict

from .cli_common import DEFAULT_ORIGIN, init_ledger, open_ledger, stage_bars

# The demo's stages (``ledger/demo/bureau.py``), as its progress bars name them.
STAGES = {
    "divisions and officials": "处室和工作人员",
    "items": "抽查事项",
    "targets": "检查对象",
    "inspectors": "执法人员",
    "published": "公布抽查事项清单",
}


def add_commands(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    """Add the ``demo`` subcommand to the drawledger parser."""
    p = sub.add_parser(
        "demo",
        help="记录一个逼真的演示名录（常州市水利局）并输出管理员令牌",
    )
    p.add_argument("--data", required=True, help="数据目录（不存在时创建）")
    p.add_argument("--origin", default=DEFAULT_ORIGIN, help="新账本的来源名称")
    p.add_argument("--targets", type=int, default=2000, help="检查对象数（默认 2000）")
    p.add_argument("--inspectors", type=int, default=60, help="执法人员数（默认 60）")
    p.add_argument("--seed", type=int, default=2018, help="随机种子（默认 2018）")
    p.add_argument(
        "--registry-only",
        action="store_true",
        help="只记录名录，不在其上记录 2026 年的计划、抽取和结果",
    )
    p.add_argument("--host", default="127.0.0.1", help="'serve' 将监听的地址，用于最后输出的提示")
    p.add_argument("--port", type=int, default=8000, help="'serve' 将监听的端口")
    p.set_defaults(func=cmd_demo)


# What 'drawledger init' records: ledger.created and the default policy.set.
INIT_EVENTS = 2


def cmd_demo(args: argparse.Namespace) -> int:
    from ledger.demo.bureau import build_demo
    from ledger.demo.year import check_size

    data = Path(args.data)
    check_size(args.targets, args.inspectors, not args.registry_only)  # before making a ledger
    if not (data / "drawledger.toml").exists():
        init_ledger(data, args.origin)
    app = open_ledger(args)
    held = app.recorder.max_notification_id() or 0
    if held > INIT_EVENTS:  # a bureau's own ledger, or a demo: its events could never go
        raise Conflict(
            f"{data} holds a ledger of {held} events already: the demo is recorded only in a "
            "new data directory (or one 'drawledger init' has just made), never beside "
            "records it could not be taken out of"
        )
    started = time.perf_counter()
    s = build_demo(
        app,
        targets=args.targets,
        inspectors=args.inspectors,
        seed=args.seed,
        progress=stage_bars("演示", names=STAGES),
        plans_and_draws=not args.registry_only,
    )
    seconds = time.perf_counter() - started
    print(f"演示名录已记录在 {data}，用时 {seconds:.1f} 秒：")
    print(f"  处室和单位 {s.divisions} 个，工作人员 {s.officials} 名，抽查事项 {s.items} 项")
    print(
        f"  检查对象 {s.targets} 个（项目 {s.projects} 个，个人 {s.individuals} 名），"
        f"状态变更 {s.status_changes} 次，更正 {s.corrections} 次"
    )
    print(
        f"  执法人员 {s.inspectors} 名（调动、暂停执法或退休 {s.inspector_moves} 名），"
        f"申报利害关系 {s.conflicts} 项"
    )
    print(f"  已公布第 {s.item_list_number} 号抽查事项清单，摘要 {s.item_list_digest}")
    if s.year is not None:
        print(
            f"  2026 年计划 {len(s.year.plans)} 个，抽取 {len(s.year.draws)} 次（含一次回避、"
            f"一次联合检查、一次结转），投诉引发的检查 {len(s.year.directed)} 次"
        )
    if s.results is not None:
        r = s.results
        print(
            f"  检查 {r.inspections} 次，公示 {r.publications} 次（含问题已改正、立案及其在双公示"
            f"中的处罚、拒绝确认、一次逾期），待确认 {len(r.awaiting_confirmation)} 次，"
            f"未公示 {len(r.unpublished)} 次"
        )
    print(f"  账本大小 {s.ledger_size}")
    print(f"管理员 {s.admin} 的 API 令牌（只显示这一次，账本只保存其哈希）：")
    print(f"  {s.admin_token}")
    site = f"http://{args.host}:{args.port}"
    print(f"试用：drawledger serve --data {data} --host {args.host} --port {args.port}")
    print(f"  然后打开 {site}/column（公示栏）或 {site}/docs（API）")
    print(
        f"  工作人员页面：{site}/office（登记办理，办事员如 szc-clerk）、{site}/legal"
        "（法制与审计，如 szc-legal），以其令牌登录："
        f"drawledger token issue --data {data} --official szc-clerk"
    )
    return 0
