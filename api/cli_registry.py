"""CLI commands for the registries: import and export, divisions, officials and API tokens.

Each command opens the ledger of ``--data`` and calls the Registry, as the official whose API
token is given (``--as CODE`` with ``--token-file`` or ``DRAWLEDGER_TOKEN``; roles and division
checked like any API caller's), or without a credential as the ledger's own operator, only for
the acts the policy lets it do (``cli_common.acting``).
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from ledger.errors import BadInput
from ledger.registry.layouts import HEADERS, KINDS

from .cli_common import ProgressBar, acting, add_data_and_acting, open_ledger

# Files with fewer rows import in about a second: no bar for them.
PROGRESS_FROM = 2000


CHANGES_SHOWN = 200  # fields changed on existing entries, listed before the summary
WARNINGS_SHOWN = 20  # warnings do not stop an import; every bad row is printed, whatever the count


def cmd_import(args: argparse.Namespace) -> int:
    from ledger.registry.service import Registry

    from .importing import import_file

    path = Path(args.file)
    try:
        data = path.open("rb")  # read a row at a time, never whole
    except OSError as e:
        raise BadInput(f"cannot read {path}: {e.strerror}") from None
    registry = Registry(open_ledger(args))
    with data, acting(args, registry.app, f"{args.registry.rstrip('s')}.write") as by:
        result = import_file(
            registry,
            args.registry,
            data,
            by=by,
            source=args.source or path.name,
            skip_invalid=args.skip_invalid,
            dry_run=args.dry_run,
            encoding=args.encoding,
            checking=ProgressBar(f"checking {args.registry}", min_total=PROGRESS_FROM),
            recording=ProgressBar(f"recording {args.registry}", min_total=PROGRESS_FROM),
        )
    for problem in result.problems:
        print(f"FAIL: {problem}")
    for change in result.changes[:CHANGES_SHOWN]:
        print(f"{'would change' if args.dry_run else 'changed'}: {change}")
    if len(result.changes) > CHANGES_SHOWN:
        print(f"… and {len(result.changes) - CHANGES_SHOWN} more changes (the API lists all)")
    for warning in result.warnings[:WARNINGS_SHOWN]:
        print(f"warning: {warning}")
    if len(result.warnings) > WARNINGS_SHOWN:
        print(f"warning: … and {len(result.warnings) - WARNINGS_SHOWN} more warnings")
    print(f"{args.registry} from {path.name}: {result.summary()}")
    if result.problems and not args.skip_invalid and not args.dry_run:
        print(
            f"nothing recorded: {len({p.row for p in result.problems})} bad rows; fix them, or "
            "use --skip-invalid to record the good rows only",
            file=sys.stderr,
        )
    return 1 if result.refused else 0


def cmd_export_registry(args: argparse.Namespace) -> int:

    from .importing import export_file

    out = Path(args.out)
    app = open_ledger(args)
    count, warnings = export_file(
        app, args.registry, out, args.headers, division=args.division, as_of=args.as_of
    )
    for warning in warnings:
        print(f"warning: {warning}", file=sys.stderr)
    print(f"wrote {out}: {count} {args.registry}")
    return 0


def cmd_template(args: argparse.Namespace) -> int:
    from .templates import template_bytes

    coded = None
    if args.data:
        from ledger.registry.exports import coded_values

        coded = coded_values(open_ledger(args))
    out = Path(args.out)
    if out.suffix.lower() != ".xlsx":
        raise BadInput(f"template file {out.name!r}: the name must end in .xlsx")
    try:
        out.write_bytes(template_bytes(args.registry, coded, args.headers))
    except OSError as e:
        raise BadInput(f"cannot write {out}: {e.strerror}") from None
    print(f"wrote {out}: the {args.registry} template (rules on the sheet 填写说明)")
    return 0


def cmd_division_add(args: argparse.Namespace) -> int:
    from ledger.registry.service import Registry

    registry = Registry(open_ledger(args))
    spec = {"code": args.code, "name": args.name, "kind": args.kind, "contact": args.contact}
    with acting(args, registry.app, "division.manage") as by:
        print(f"division {registry.add_division(spec, by)} added")
    return 0


def cmd_official_add(args: argparse.Namespace) -> int:
    from ledger.registry.service import Registry

    registry = Registry(open_ledger(args))
    spec = {"code": args.code, "name": args.name, "division": args.division, "roles": args.roles}
    with acting(args, registry.app, "official.manage") as by:
        print(f"official {registry.register_official(spec, by)} registered")
    return 0


def cmd_token_issue(args: argparse.Namespace) -> int:
    from ledger.registry.service import Registry

    registry = Registry(open_ledger(args))
    with acting(args, registry.app, "token.manage") as by:
        token = registry.issue_token(args.official, by)
    print(token)
    print(
        f"token {token.split('.')[2]} issued to {args.official}. It is shown only this once and "
        "stored only as a hash: keep it now (a lost token is revoked and a new one issued).",
        file=sys.stderr,
    )
    return 0


def cmd_token_revoke(args: argparse.Namespace) -> int:
    from ledger.registry.service import Registry

    registry = Registry(open_ledger(args))
    with acting(args, registry.app, "token.manage") as by:
        registry.revoke_token(args.official, args.token_id, args.reason, by)
    print(f"token {args.token_id} of {args.official} revoked")
    return 0


def add_commands(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    """Add this module's subcommands to the drawledger parser."""
    p = sub.add_parser(
        "import",
        help="import a registry from CSV or .xlsx (columns: docs/IMPORT.md, `drawledger template`)",
        description="Check every row, report each bad one (row, column, value, rule), and "
        "record nothing of a file with bad rows unless --skip-invalid. A row for an entry that "
        "exists changes only the cells it fills (a blank cell keeps the stored value; write "
        "<清空> or <clear> to empty one); every change is listed, and --dry-run lists them "
        "without recording anything. Re-importing the same content records nothing new. The "
        "columns, rules and examples are in docs/IMPORT.md; `drawledger template KIND --out "
        "F.xlsx` writes an empty workbook with the headers, an example row and the rules.",
    )
    p.add_argument("registry", choices=KINDS)
    p.add_argument("file", help="a .csv (UTF-8 or GB18030) or .xlsx file")
    add_data_and_acting(p)
    p.add_argument("--skip-invalid", action="store_true", help="record the good rows only")
    p.add_argument(
        "--encoding",
        choices=["utf-8", "gb18030", "utf-16", "big5", "shift_jis"],
        help="a CSV file's encoding, if not UTF-8 or GB18030 as detected (Big5, Shift-JIS "
        "files are refused unless declared)",
    )
    p.add_argument(
        "--dry-run", action="store_true", help="check and list every change; record nothing"
    )
    p.add_argument(
        "--source", help="where the rows come from (recorded with each target; the file's name)"
    )
    p.set_defaults(func=cmd_import)

    p = sub.add_parser(
        "export-registry",
        help="write a registry's entries to a file that re-imports unchanged",
        description="Every column of the import layout (docs/IMPORT.md), a target's status "
        "and an inspector's declared conflicts included: the file re-imported as it is records "
        "nothing.",
    )
    p.add_argument("registry", choices=KINDS)
    p.add_argument("--data", required=True, help="the ledger's data directory")
    p.add_argument("--out", required=True, help="FILE.csv or FILE.xlsx")
    p.add_argument("--headers", choices=HEADERS, default="zh", help="header language")
    p.add_argument("--division", help="only the entries of this division (its code)")
    p.add_argument(
        "--as-of", type=int, metavar="POSITION", help="the registry as it stood at this position"
    )
    p.set_defaults(func=cmd_export_registry)

    p = sub.add_parser(
        "template",
        help="write an Excel template of a registry file (headers, example, rules)",
        description="An .xlsx workbook with the layout's headers, an example row, drop-down "
        "lists for the coded columns and each column's rule on a second sheet (填写说明); with "
        "--data, the drop-downs offer the ledger's divisions, units and districts. The same "
        "layout is described in docs/IMPORT.md.",
    )
    p.add_argument("registry", choices=KINDS)
    p.add_argument("--out", required=True, help="FILE.xlsx")
    p.add_argument("--data", help="the ledger's data directory (for its divisions and districts)")
    p.add_argument("--headers", choices=HEADERS, default="zh", help="header language")
    p.set_defaults(func=cmd_template)

    p = sub.add_parser("division", help="divisions and units")
    actions = p.add_subparsers(dest="action", required=True)
    a = actions.add_parser("add", help="add a division or unit")
    add_data_and_acting(a)
    a.add_argument("--code", required=True)
    a.add_argument("--name", required=True)
    a.add_argument(
        "--kind",
        help="business_division (default), aggregator, detachment, service_centre, other_unit",
    )
    a.add_argument("--contact", help="the contact person")
    a.set_defaults(func=cmd_division_add)

    p = sub.add_parser("official", help="officials and their roles")
    actions = p.add_subparsers(dest="action", required=True)
    a = actions.add_parser("add", help="register an official")
    add_data_and_acting(a)
    a.add_argument("--code", required=True)
    a.add_argument("--name", required=True)
    a.add_argument("--division", required=True)
    a.add_argument("--roles", required=True, help="comma-separated, e.g. clerk,division_head")
    a.set_defaults(func=cmd_official_add)

    p = sub.add_parser("token", help="API tokens of officials")
    actions = p.add_subparsers(dest="action", required=True)
    a = actions.add_parser("issue", help="issue a token (shown once, stored hashed)")
    add_data_and_acting(a)
    a.add_argument("--official", required=True, help="the official's code")
    a.set_defaults(func=cmd_token_issue)
    a = actions.add_parser("revoke", help="revoke a token")
    add_data_and_acting(a)
    a.add_argument("--official", required=True, help="the official's code")
    a.add_argument("--token-id", required=True, help="the token's id (its third part)")
    a.add_argument("--reason", required=True)
    a.set_defaults(func=cmd_token_revoke)
