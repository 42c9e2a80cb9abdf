"""``drawledger plans rollover``: move an ended month's unfinished work into the next month."""

from __future__ import annotations

import argparse

from .cli_common import acting, add_data_and_acting, open_ledger


def add_commands(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    """Add the ``plans`` subcommands to the drawledger parser."""
    p = sub.add_parser("plans", help="计划：按月结转")
    actions = p.add_subparsers(dest="action", required=True)
    a = actions.add_parser(
        "rollover",
        help="把已结束月份未完成的抽取和未抽数量结转到下月",
        description="记录 plan.rolled_over 和 draw.rolled_over 事件；再次运行不会记录新内容。"
        "制度的 plans.monthly_rollover 可关闭此功能。",
    )
    add_data_and_acting(a)
    a.add_argument("--month", required=True, help="已结束的月份，例如 2026-03")
    a.add_argument("--division", help="只处理一个处室（默认：全部）")
    a.set_defaults(func=cmd_rollover)


def cmd_rollover(args: argparse.Namespace) -> int:
    from ledger.plans.rollover import MonthlyRollover

    app = open_ledger(args)
    with acting(args, app, "plan.rollover") as by:
        result = MonthlyRollover(app).roll_over(args.month, by, args.division)
    for plan in result["plans"]:
        print(
            f"计划 {plan['plan']}（{plan['division']}）→ {plan['to_month']}："
            f"未完成的抽取 {len(plan['unfinished_draws'])} 次，未抽数量 "
            f"{plan['counts_not_drawn'] or '无'}"
        )
    print(
        f"{args.month} → {result['to_month']}：结转计划 {len(result['plans'])} 个、"
        f"抽取 {len(result['draws'])} 次"
    )
    return 0
