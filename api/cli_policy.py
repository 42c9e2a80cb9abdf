"""``drawledger policy show | set``: read the rules in force, record a new version.

``set`` reads a TOML file (the format of ``ledger/policy_default.toml``), checks it whole and
records it as a signed ``policy.set`` event: by the official whose API token is given, or by the
ledger's operator (the system actor) on the written request ``--on-request-of`` names
(``cli_common.acting``). Exit 1 names every problem.
"""

from __future__ import annotations

import argparse
import json
import sys
import tomllib
from pathlib import Path
from typing import Any

from ledger.error_texts import field_text
from ledger.errors import BadInput
from ledger.fields import InvalidFields

from .cli_common import acting, add_data_and_acting, open_ledger


def add_commands(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    """Add the ``policy`` subcommands to the drawledger parser."""
    p = sub.add_parser("policy", help="the policy: show the version in force, set a new one")
    actions = p.add_subparsers(dest="action", required=True)

    a = actions.add_parser(
        "show",
        help="the version in force (or as of a position) and any calendar warning",
    )
    a.add_argument("--data", required=True, help="the ledger's data directory")
    a.add_argument(
        "--as-of",
        metavar="POSITION",
        help="as the ledger stood then: a position, or a date / date and time in China time",
    )
    a.set_defaults(func=cmd_show)

    a = actions.add_parser(
        "set",
        help="record a new policy version from a TOML file",
        description="Checks the whole document first and names every problem; a document "
        "equal to the one in force records nothing. See docs/POLICY.md.",
    )
    a.add_argument("file", help="the policy document, TOML")
    add_data_and_acting(a)
    a.add_argument("--reason", default="", help="why the rules change (recorded)")
    a.set_defaults(func=cmd_set)


def cmd_show(args: argparse.Namespace) -> int:
    from ledger.as_of import resolve
    from ledger.policies import Policies

    policies = Policies(open_ledger(args))
    as_of = None if args.as_of is None else resolve(policies.app, args.as_of)
    version = policies.in_force(as_of)
    setter = version["set_by"]
    print(f"policy {version['version']} (as of position {version['as_of']})")
    print(f"  digest    {version['digest']}")
    print(f"  position  {version['position']} (its policy.set event)")
    print(f"  set by    {setter['official']} as {setter['role']} of {setter['department']}")
    print(f"  set at    {version['set_at']}")
    if version["reason"]:
        print(f"  reason    {version['reason']}")
    print(json.dumps(version["document"], ensure_ascii=False, indent=2))
    if args.as_of is None:
        for warning in policies.calendar_warnings(version["document"]):
            print(f"warning: {warning['zh']}\nwarning: {warning['en']}", file=sys.stderr)
    return 0


def cmd_set(args: argparse.Namespace) -> int:
    from ledger.policies import Policies

    document = _read_toml(Path(args.file))
    app = open_ledger(args)
    policies = Policies(app)
    try:
        with acting(args, app, "policy.set") as by:
            outcome = policies.set(document, by, args.reason)
    except InvalidFields as e:
        print(
            f"drawledger policy set: 错误（bad_input）：{args.file} 被拒绝，未记录任何内容：",
            file=sys.stderr,
        )
        for problem in e.problems:
            rule = field_text(problem.message) or problem.message
            print(f"  {problem.field}（{problem.value!r}）：{rule}", file=sys.stderr)
        return 1
    if outcome.recorded:
        position = policies.in_force()["position"]
        print(f"recorded policy {outcome.version} at position {position} ({outcome.digest})")
    else:
        print(f"policy {outcome.version} is the one in force already: nothing recorded")
    return 0


def _read_toml(path: Path) -> dict[str, Any]:
    try:
        return tomllib.loads(path.read_text(encoding="utf-8"))
    except OSError as e:
        raise BadInput(f"cannot read {path}: {e.strerror}") from None
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as e:
        raise BadInput(f"{path} is not a TOML document: {e}") from None
