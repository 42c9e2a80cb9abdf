"""drawledger keeps a department's "double random, one public" (双随机、一公开) inspections on a
signed, append-only ledger: its registries of targets, inspectors and inspection items, its plans,
the random draws and their teams, the inspections, results and publications. Every step is a
signed event; an auditor checks all of it offline with 'python -m verify' on an exported bundle.

Start with 'drawledger init --data DIR' (or 'drawledger demo --data DIR' for a demo bureau), then
'drawledger serve --data DIR' for the HTTP service and its public column.

Exit status: 0 done, 1 the ledger refused (bad input, a broken rule, a missing key), 2 usage.
"""

from __future__ import annotations

import argparse
import os
import sys

from ledger.errors import LedgerError
from verify.chinese_parser import ChineseArgumentParser

from . import (
    cli_assessment,
    cli_demo,
    cli_dispute,
    cli_keys,
    cli_ledger,
    cli_personal_data,
    cli_plans,
    cli_policy,
    cli_registry,
    cli_witness,
)
from .cli_common import close_ledgers, seal_at_end

DESCRIPTION = """drawledger 把一个部门"双随机、一公开"抽查的全过程记在签名的、只增不改的账本上：
检查对象、执法人员和抽查事项名录，抽查计划，随机抽取及检查组，检查、结果和公示。每一步都是
一个签名事件；审计人员可用 'python -m verify' 离线核验导出包中的全部内容。

开始：'drawledger init --data DIR'（或用 'drawledger demo --data DIR' 建立演示账本），
然后 'drawledger serve --data DIR' 启动 HTTP 服务及其公示栏。

退出状态：0 完成；1 账本拒绝（输入有误、违反规则、缺少密钥）；2 用法错误。"""


def build_parser() -> argparse.ArgumentParser:
    parser = ChineseArgumentParser(
        prog="drawledger",
        description=DESCRIPTION,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    sub = parser.add_subparsers(dest="command", required=True)
    cli_ledger.add_commands(sub)
    cli_registry.add_commands(sub)
    cli_demo.add_commands(sub)
    cli_plans.add_commands(sub)
    cli_policy.add_commands(sub)
    cli_personal_data.add_commands(sub)
    cli_dispute.add_commands(sub)
    cli_assessment.add_commands(sub)
    cli_witness.add_commands(sub)
    cli_keys.add_commands(sub)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        try:
            status = int(args.func(args))
            seal_at_end(args)
        finally:
            close_ledgers(args)  # the command's ledgers and their connections, even on error
        return status
    except LedgerError as e:
        # In Chinese, as the service's problem details are, with the problem's English code
        # (``api/errors.refusal_text``); the English message is the logged form.
        from .errors import refusal_text

        print(f"drawledger {args.command}: {refusal_text(e)}", file=sys.stderr)
        return 1
    except BrokenPipeError:
        # The reader stopped reading (`drawledger policy show | head`): not a fault to trace.
        # Standard output goes to /dev/null so that the interpreter's last flush is quiet.
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 1
    except Exception as e:
        from .errors import file_refusal_text, store_refusal_text

        store = store_refusal_text(e)  # the database stopped, read-only or full: one line
        if store is not None:
            print(f"drawledger {args.command}: {store}", file=sys.stderr)
            return 1
        if not isinstance(e, OSError) or e.filename is None:
            raise  # not the store, not a file the command was given: a fault, with its trace
        # A file or folder the command was told to read or write (--out in a missing folder,
        # a file it may not write): named, exit 1, as any other bad input.
        print(f"drawledger {args.command}: {file_refusal_text(e)}", file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
