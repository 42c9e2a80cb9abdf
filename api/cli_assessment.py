"""``drawledger assessment``: the annual assessment (年度考核) of every division, or one, as the
ledger stood at ``--as-of`` (a position or a China-time date; default: now), written into a new
directory as JSON, a report in Chinese (HTML and PDF) and an Excel workbook (docs/ASSESSMENT.md).
Each figure lists the ledger positions of the events behind it.
"""

from __future__ import annotations

import argparse
from pathlib import Path

from .cli_common import open_ledger

DESCRIPTION = (
    "写出每个处室（或某一处室）的年度考核，依据 --as-of 时的账本（账本位置或中国时间的日期；"
    "默认：现在），写入一个新目录：JSON、中文报告（HTML 和 PDF）及 Excel 工作簿"
    "（docs/ASSESSMENT.md）。每个数字都列出其所依据事件的账本位置。"
)


def add_commands(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    """Add the ``assessment`` command to the drawledger parser."""
    p = sub.add_parser(
        "assessment",
        help="写出某一年度的年度考核（JSON、HTML、PDF、Excel）",
        description=DESCRIPTION,
    )
    p.add_argument("--data", required=True, help="账本的数据目录")
    p.add_argument("--year", required=True, type=int, help="考核年度")
    p.add_argument("--division", metavar="CODE", help="只考核一个处室（默认：全部）")
    p.add_argument("--as-of", metavar="POSITION|DATETIME", help="账本当时的状态（默认：现在）")
    p.add_argument("--out", required=True, help="存放文件的新目录")
    p.set_defaults(func=cmd_assessment)


def cmd_assessment(args: argparse.Namespace) -> int:
    from ledger.as_of import ledger_as_of, resolve
    from projections.assessment import assess
    from projections.assessment_report import write_files

    app = open_ledger(args)  # closed by cli.main when the command ends
    if args.as_of is None:
        position, ledger = app.recorder.max_notification_id() or 0, app
    else:
        position = resolve(app, args.as_of)
        ledger = ledger_as_of(app, position)
    report = assess(ledger, None, args.year, position, args.division)
    written = write_files(report, Path(args.out))
    print(
        f"已写出 {args.year} 年度考核（{len(report['divisions'])} 个处室，截至位置 {position}）："
        f"{args.out} 中的 {'、'.join(p.name for p in written)}"
    )
    return 0
