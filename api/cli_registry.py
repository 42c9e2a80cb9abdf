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

from ledger.error_texts.words import REGISTRIES
from ledger.errors import BadInput
from ledger.labels import role_label
from ledger.registry.layouts import HEADERS, KINDS
from ledger.registry.officials import OFFICIAL_ROLES
from ledger.whole_files import write_whole

from .cli_common import ProgressBar, acting, add_data_and_acting, open_ledger
from .cli_texts import row_change_text, row_problem_text, summary_text, warning_text

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
    what = REGISTRIES.get(args.registry, args.registry)
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
            checking=ProgressBar(f"核对{what}", min_total=PROGRESS_FROM),
            recording=ProgressBar(f"记录{what}", min_total=PROGRESS_FROM),
        )
    for problem in result.problems:
        print(f"错误：{row_problem_text(problem)}")
    for change in result.changes[:CHANGES_SHOWN]:
        print(f"{'将变更' if args.dry_run else '已变更'}：{row_change_text(change)}")
    if len(result.changes) > CHANGES_SHOWN:
        print(f"…… 另有 {len(result.changes) - CHANGES_SHOWN} 项变更（API 列出全部）")
    for warning in result.warnings[:WARNINGS_SHOWN]:
        print(f"提示：{warning_text(warning)}")
    if len(result.warnings) > WARNINGS_SHOWN:
        print(f"提示：…… 另有 {len(result.warnings) - WARNINGS_SHOWN} 条提示")
    print(f"{path.name} 中的{what}：{summary_text(result)}")
    if result.problems and not args.skip_invalid and not args.dry_run:
        print(
            f"未记录任何内容：有 {len({p.row for p in result.problems})} 行有错误；请改正，"
            "或用 --skip-invalid 只记录无误的行",
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
        print(f"提示：{warning_text(warning)}", file=sys.stderr)
    print(f"已写入 {out}：{count} 个{REGISTRIES.get(args.registry, args.registry)}")
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
        write_whole(out, template_bytes(args.registry, coded, args.headers))
    except OSError as e:
        raise BadInput(f"cannot write {out}: {e.strerror}") from None
    what = REGISTRIES.get(args.registry, args.registry)
    print(f"已写入 {out}：{what}模板（填写规则见工作表“填写说明”）")
    return 0


def cmd_division_add(args: argparse.Namespace) -> int:
    from ledger.registry.service import Registry

    registry = Registry(open_ledger(args))
    spec = {"code": args.code, "name": args.name, "kind": args.kind, "contact": args.contact}
    with acting(args, registry.app, "division.manage") as by:
        print(f"已设立处室（单位）{registry.add_division(spec, by)}")
    return 0


def cmd_official_add(args: argparse.Namespace) -> int:
    from ledger.registry.service import Registry

    registry = Registry(open_ledger(args))
    spec = {"code": args.code, "name": args.name, "division": args.division, "roles": args.roles}
    with acting(args, registry.app, "official.manage") as by:
        print(f"已登记工作人员 {registry.register_official(spec, by)}")
    return 0


def cmd_token_issue(args: argparse.Namespace) -> int:
    from ledger.registry.service import Registry
    from ledger.registry.tokens import china_day, token_id_of

    registry = Registry(open_ledger(args))
    with acting(args, registry.app, "token.manage") as by:
        token = registry.issue_token(args.official, by, days=args.days, label=args.label)
    token_id = token_id_of(token)
    expires = registry.official(args.official).token_expires[token_id]
    print(token)
    print(
        f"已向 {args.official} 签发访问令牌 {token_id}，有效期至 {china_day(expires or '')}"
        "（北京时间）。令牌只显示这一次，账本只保存其哈希：请立即妥善保存"
        "（遗失的令牌应吊销并重新签发）。",
        file=sys.stderr,
    )
    return 0


def cmd_token_list(args: argparse.Namespace) -> int:
    from datetime import UTC, datetime

    from ledger.mapper import format_time
    from ledger.registry.tokens import china_day
    from projections import open_read_models
    from projections.credentials import tokens

    read_models = open_read_models(open_ledger(args), attach=False)
    try:
        rows = tokens(read_models.engine, args.official)
    finally:
        read_models.close()
    now = format_time(datetime.now(UTC))
    for row in rows:
        if row["expires_at"] is None:
            life = "无有效期——请重新签发（no expiry — reissue）"
        elif row["expires_at"] <= now:
            life = f"已于 {china_day(row['expires_at'])} 过期"
        else:
            life = f"有效期至 {china_day(row['expires_at'])}"
        issued = f"{china_day(row['issued_at'])} 由 {row['issued_by']} 签发"
        fields = [row["official"], row["token_id"], row["label"] or "-", issued, life]
        print("\t".join(fields if row["active"] else [*fields, "工作人员已停用"]))
    print(f"共 {len(rows)} 个未吊销的令牌", file=sys.stderr)
    return 0


def cmd_token_revoke(args: argparse.Namespace) -> int:
    from ledger.registry.service import Registry

    registry = Registry(open_ledger(args))
    with acting(args, registry.app, "token.manage") as by:
        registry.revoke_token(args.official, args.token_id, args.reason, by)
    print(f"已吊销 {args.official} 的访问令牌 {args.token_id}")
    return 0


_CODE_HELP = "代码：小写字母、数字、. _ -，至多 64 个字符"


def add_commands(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    """Add this module's subcommands to the drawledger parser."""
    p = sub.add_parser(
        "import",
        help="从 CSV 或 .xlsx 文件导入名录（各列见 docs/IMPORT.md 和 `drawledger template`）",
        description="逐行检查，列出每一行错误（行、列、值、规则）；文件中有错误行时什么也不记录，"
        "除非加 --skip-invalid。已有条目的行只变更其填写的单元格（空白单元格保留原值；"
        "填 <清空> 或 <clear> 可清空）；每项变更都会列出，--dry-run 只列出变更而不记录。"
        "再次导入相同内容不会记录任何新内容。各列、规则和示例见 docs/IMPORT.md；"
        "`drawledger template KIND --out F.xlsx` 写出带表头、示例行和规则的空白工作簿。",
    )
    p.add_argument("registry", choices=KINDS, help="名录种类")
    p.add_argument("file", help=".csv（UTF-8、GB18030 或带 BOM 的 UTF-16，自动识别）或 .xlsx 文件")
    add_data_and_acting(p)
    p.add_argument("--skip-invalid", action="store_true", help="只记录无误的行")
    p.add_argument(
        "--encoding",
        choices=["utf-8", "gb18030", "utf-16", "big5", "shift_jis"],
        help="CSV 文件的编码（不是自动识别的 UTF-8、GB18030 或带 BOM 的 UTF-16 时；无 BOM 的 "
        "UTF-16、Big5、Shift-JIS 文件须声明编码，否则拒收）",
    )
    p.add_argument("--dry-run", action="store_true", help="检查并列出每项变更；不记录任何内容")
    p.add_argument("--source", help="数据来源（随每个检查对象记录；默认为文件名）")
    p.set_defaults(func=cmd_import)

    p = sub.add_parser(
        "export-registry",
        help="把名录条目写成文件，原样再导入不会有任何变更",
        description="包含导入格式（docs/IMPORT.md）的每一列，包括检查对象的状态和执法人员申报的"
        "利害关系：该文件原样再导入不会记录任何内容。",
    )
    p.add_argument("registry", choices=KINDS, help="名录种类")
    p.add_argument("--data", required=True, help="账本的数据目录")
    p.add_argument("--out", required=True, help="FILE.csv 或 FILE.xlsx")
    p.add_argument("--headers", choices=HEADERS, default="zh", help="表头语言")
    p.add_argument("--division", help="只导出该处室的条目（处室代码）")
    p.add_argument("--as-of", type=int, metavar="POSITION", help="该账本位置时的名录")
    p.set_defaults(func=cmd_export_registry)

    p = sub.add_parser(
        "template",
        help="写出名录文件的 Excel 模板（表头、示例、规则）",
        description="一个 .xlsx 工作簿：格式的表头、一行示例、代码列的下拉列表，以及第二张工作表"
        "（填写说明）中每一列的规则；给出 --data 时，下拉列表提供账本中的处室、单位和区县。"
        "同一格式见 docs/IMPORT.md。",
    )
    p.add_argument("registry", choices=KINDS, help="名录种类")
    p.add_argument("--out", required=True, help="FILE.xlsx")
    p.add_argument("--data", help="账本的数据目录（用于其处室和区县）")
    p.add_argument("--headers", choices=HEADERS, default="zh", help="表头语言")
    p.set_defaults(func=cmd_template)

    p = sub.add_parser("division", help="处室和单位")
    actions = p.add_subparsers(dest="action", required=True)
    a = actions.add_parser("add", help="设立处室或单位")
    add_data_and_acting(a)
    a.add_argument("--code", required=True, help=_CODE_HELP)
    a.add_argument("--name", required=True, help="名称，例如 水政监察大队")
    a.add_argument(
        "--kind",
        help="类别：business_division（业务处室，默认）、aggregator（计划汇总处室）、"
        "detachment（执法支队）、service_centre（服务中心）、other_unit（其他单位）",
    )
    a.add_argument("--contact", help="联络人")
    a.set_defaults(func=cmd_division_add)

    p = sub.add_parser("official", help="工作人员及其角色")
    actions = p.add_subparsers(dest="action", required=True)
    a = actions.add_parser("add", help="登记工作人员")
    add_data_and_acting(a)
    a.add_argument("--code", required=True, help=_CODE_HELP)
    a.add_argument("--name", required=True, help="姓名")
    a.add_argument("--division", required=True, help="所在处室或单位的代码（须已设立）")
    a.add_argument(
        "--roles",
        required=True,
        help="以逗号分隔，例如 clerk,division_head；角色："
        + "、".join(f"{r}（{role_label(r)}）" for r in OFFICIAL_ROLES),
    )
    a.set_defaults(func=cmd_official_add)

    p = sub.add_parser("token", help="工作人员的 API 访问令牌")
    actions = p.add_subparsers(dest="action", required=True)
    a = actions.add_parser("issue", help="签发令牌（只显示一次，只保存哈希）")
    add_data_and_acting(a)
    a.add_argument("--official", required=True, help="工作人员代码")
    a.add_argument(
        "--days",
        type=int,
        help="有效期天数（默认取规则的 [tokens] default_days，90 天；至多 max_days，365 天）",
    )
    a.add_argument("--label", help="令牌标签，便于所有者区分，例如 办公室电脑（至多 32 个字符）")
    a.set_defaults(func=cmd_token_issue)
    a = actions.add_parser(
        "list",
        help="列出未吊销的令牌：签发人、签发时间、标签、有效期；无有效期的旧令牌标为须重新签发",
    )
    a.add_argument("--data", required=True, help="账本的数据目录")
    a.add_argument("--official", help="只列出该工作人员的令牌")
    a.set_defaults(func=cmd_token_list)
    a = actions.add_parser("revoke", help="吊销令牌")
    add_data_and_acting(a)
    a.add_argument("--official", required=True, help="工作人员代码")
    a.add_argument("--token-id", required=True, help="令牌编号（令牌的第三段）")
    a.add_argument("--reason", required=True, help="理由（记入账本）")
    a.set_defaults(func=cmd_token_revoke)
