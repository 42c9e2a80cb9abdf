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
from ledger.labels import role_label
from ledger.policy_toml import policy_toml

from .cli_common import acting, add_data_and_acting, open_ledger


def add_commands(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    """Add the ``policy`` subcommands to the drawledger parser."""
    p = sub.add_parser("policy", help="制度：显示现行版本，发布新版本")
    actions = p.add_subparsers(dest="action", required=True)

    a = actions.add_parser(
        "show",
        help="现行版本（或某一位置时的版本）及日历提示",
    )
    a.add_argument("--data", required=True, help="账本的数据目录")
    a.add_argument(
        "--as-of",
        metavar="POSITION",
        help="账本当时的状态：账本位置，或中国时间的日期/日期时间",
    )
    a.add_argument(
        "--toml",
        action="store_true",
        help="只输出制度文件本身（TOML，'drawledger policy set' 读取的格式）：改写后作为新版本"
        "发布，例如 'drawledger policy show --data DIR --toml > policy-2027.toml'",
    )
    a.set_defaults(func=cmd_show)

    a = actions.add_parser(
        "set",
        help="从 TOML 文件记录新的制度版本",
        description="先检查整个文件并指出每一个问题；与现行版本相同的文件不记录任何内容。"
        "见 docs/POLICY.md。",
    )
    a.add_argument("file", help="制度文件（TOML）")
    add_data_and_acting(a)
    a.add_argument("--reason", default="", help="修改规则的理由（记入账本）")
    a.set_defaults(func=cmd_set)


def cmd_show(args: argparse.Namespace) -> int:
    from ledger.as_of import resolve
    from ledger.policies import Policies

    policies = Policies(open_ledger(args))
    as_of = None if args.as_of is None else resolve(policies.app, args.as_of)
    version = policies.in_force(as_of)
    if args.toml:
        heading = (
            f"制度 {version['version']}：截至位置 {version['as_of']} 的现行版本"
            f"（其 policy.set 事件位于位置 {version['position']}），"
            "由 'drawledger policy show --toml' 写出。\n"
            "发布新版本：改写 version，修改或增加条目，再用 'drawledger policy set' 记录"
            "（docs/POLICY.md）。"
        )
        sys.stdout.write(policy_toml(version["document"], heading))
    else:
        _print_version(version)
    if args.as_of is None:
        for warning in policies.calendar_warnings(version["document"]):
            print(f"提示：{warning['zh']}", file=sys.stderr)
    return 0


def _print_version(version: dict[str, Any]) -> None:
    setter = version["set_by"]
    print(f"制度 {version['version']}（截至位置 {version['as_of']}）")
    print(f"  摘要      {version['digest']}")
    print(f"  位置      {version['position']}（其 policy.set 事件）")
    role = role_label(setter["role"])
    print(f"  发布人    {setter['official']}（{setter['department']} {role}）")
    print(f"  发布时间  {_china_time(version['set_at'])}（中国时间）")
    if version["reason"]:
        print(f"  理由      {version['reason']}")
    print(json.dumps(version["document"], ensure_ascii=False, indent=2))


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
        print(f"已在位置 {position} 记录制度 {outcome.version}（{outcome.digest}）")
    else:
        print(f"制度 {outcome.version} 已是现行版本：未记录任何内容")
    return 0


def _china_time(iso: str) -> str:
    """A recorded time (ISO 8601 with its offset) in China time, to the second."""
    from datetime import datetime

    from ledger.as_of import CHINA

    return datetime.fromisoformat(iso).astimezone(CHINA).strftime("%Y-%m-%d %H:%M:%S")


def _read_toml(path: Path) -> dict[str, Any]:
    try:
        return tomllib.loads(path.read_text(encoding="utf-8"))
    except OSError as e:
        raise BadInput(f"cannot read {path}: {e.strerror}") from None
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as e:
        raise BadInput(f"{path} is not a TOML document: {e}") from None
