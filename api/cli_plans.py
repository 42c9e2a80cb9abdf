"""``drawledger plans rollover``: move an ended month's unfinished work into the next month."""

from __future__ import annotations

import argparse

from .cli_common import acting, add_data_and_acting, open_ledger


def add_commands(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    """Add the ``plans`` subcommands to the drawledger parser."""
    p = sub.add_parser("plans", help="plans: the monthly rollover")
    actions = p.add_subparsers(dest="action", required=True)
    a = actions.add_parser(
        "rollover",
        help="roll an ended month's unfinished draws and undrawn counts into the next month",
        description="Records plan.rolled_over and draw.rolled_over events; running it again "
        "records nothing new. The policy's plans.monthly_rollover switches it off.",
    )
    add_data_and_acting(a)
    a.add_argument("--month", required=True, help="the month that ended, e.g. 2026-03")
    a.add_argument("--division", help="one division only (default: all)")
    a.set_defaults(func=cmd_rollover)


def cmd_rollover(args: argparse.Namespace) -> int:
    from ledger.plans.rollover import MonthlyRollover

    app = open_ledger(args)
    with acting(args, app, "plan.rollover") as by:
        result = MonthlyRollover(app).roll_over(args.month, by, args.division)
    for plan in result["plans"]:
        print(
            f"plan {plan['plan']} ({plan['division']}) → {plan['to_month']}: "
            f"{len(plan['unfinished_draws'])} unfinished draws, counts not drawn "
            f"{plan['counts_not_drawn'] or 'none'}"
        )
    print(
        f"{args.month} → {result['to_month']}: {len(result['plans'])} plans and "
        f"{len(result['draws'])} draws rolled over"
    )
    return 0
