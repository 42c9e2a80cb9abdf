"""``drawledger assessment``: the annual assessment (年度考核) of every division, or one, as the
ledger stood at ``--as-of`` (a position or a China-time date; default: now), written into a new
directory as JSON, a report in Chinese (HTML and PDF) and an Excel workbook (docs/ASSESSMENT.md).
Each figure lists the ledger positions of the events behind it.
"""

from __future__ import annotations

import argparse
from pathlib import Path

from .cli_common import open_ledger


def add_commands(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    """Add the ``assessment`` command to the drawledger parser."""
    p = sub.add_parser(
        "assessment",
        help="write the annual assessment (JSON, HTML, PDF, Excel) of a year",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    p.add_argument("--data", required=True, help="the ledger's data directory")
    p.add_argument("--year", required=True, type=int, help="the year assessed")
    p.add_argument("--division", metavar="CODE", help="one division only (default: every one)")
    p.add_argument(
        "--as-of", metavar="POSITION|DATETIME", help="as the ledger stood then (default: now)"
    )
    p.add_argument("--out", required=True, help="a new directory for the files")
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
        f"wrote the assessment of {args.year} ({len(report['divisions'])} division(s), as of "
        f"position {position}): {', '.join(p.name for p in written)} in {args.out}"
    )
    return 0
