"""``python -m verify BUNDLE``: check an exported bundle offline.

Prints ``OK``/``FAIL`` per numbered step (docs/FORMAT.md, "Verification"), with the event
position and what was expected and found, then the authority replay's findings and, with
``--rules``, the rule audit's (``verify/rule_audit.py``); ``--json`` prints the same as JSON.
Exit status: 0 the bundle verifies (intact, the rules kept, the key anchored); 1 a check failed
or a rule of authority was broken; 2 the input is unusable; 3 nothing failed but no ``--key`` or
``--trusted-checkpoint`` anchors the ledger's key, so the result proves only that the bundle is
internally consistent; 4 (only with ``--rules``) the bundle verifies, but the rule audit found
rules not kept.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from .bundle import BundleError
from .bundle_tail import open_bundle
from .checks import verify_bundle
from .chinese_parser import ChineseArgumentParser
from .errors import file_reason
from .keys import read_key_text
from .report import Report
from .rule_audit import audit_bundle
from .sampler import SamplerError, sample

# How a refusal of unusable input begins (stderr; the JSON form says it under "unusable").
UNUSABLE = "输入无法使用："
EXIT_OK, EXIT_FAILED, EXIT_UNUSABLE, EXIT_UNANCHORED, EXIT_RULE_FINDINGS = 0, 1, 2, 3, 4
EPILOG = """退出状态：
  0 导出包核验通过：每一步均通过，每一项行为均在行为人的权限之内，且账本公钥已锚定；
  1 有检查未通过，或有行为超出权限；
  2 输入无法使用；
  3 没有失败，但既未给出 --key 也未给出 --trusted-checkpoint 来锚定账本公钥：
    结果只证明导出包自身一致（持有任何密钥的人都能写出这样的导出包）；
  4（仅在 --rules 时）导出包核验通过（完整、未越权、已锚定），但规则审查发现有规则
    未遵守（计划或公示逾期、未执行回避、覆盖率或参与率不足）：这些是审查发现，
    不是完整性错误。
1 和 3 优先于 4；不加 --rules 时不进行规则审查，也不会出现 4。"""


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    if argv[:1] == ["sample"]:
        return sample_main(argv[1:])
    if argv[:1] == ["dispute"]:
        from .dispute import main as dispute_main

        return dispute_main(argv[1:])
    parser = ChineseArgumentParser(
        prog="python -m verify",
        description="离线核验 drawledger 账本的导出包。另有两个命令：\n"
        "  'python -m verify sample --seed S --count K' 按一致抽样法抽取编号，与抽取的做法相同"
        "\n  （见 'python -m verify sample --help'）；\n"
        "  'python -m verify dispute DIR --key KEY' 核验争议材料"
        "（见 'python -m verify dispute --help'）。",
        epilog=EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("bundle", help="'drawledger export' 写出的导出包文件")
    parser.add_argument(
        "--trusted-checkpoint",
        action="append",
        default=[],
        metavar="FILE",
        help="您此前保存的签名检查点：导出包必须是它的延续，签署它的密钥即被锚定（可重复）",
    )
    parser.add_argument(
        "--key",
        action="append",
        default=[],
        metavar="KEY",
        help="从导出包以外取得的账本公钥（name+hexid+base64，或存有它的文件，如 "
        "DIR/keys/ledger.pub）：用于锚定核验；没有它也没有 --trusted-checkpoint 时，"
        "只核验导出包自身是否一致（退出状态 3）",
    )
    parser.add_argument(
        "--witness",
        action="append",
        default=[],
        metavar="KEY",
        help="您信任其联署签名的见证方 cosignature/v1 公钥（或存有它的文件）（可重复）；"
        "见 --min-cosignatures",
    )
    parser.add_argument(
        "--min-cosignatures",
        type=int,
        metavar="N",
        help="要求每个事件都被一个带有 N 个 --witness 见证方有效联署签名的检查点覆盖"
        "（默认：给出 --witness 时为 1，否则为 0）",
    )
    parser.add_argument("--jobs", type=int, default=1, help="核验签名所用的进程数")
    parser.add_argument(
        "--evidence",
        metavar="DIR",
        help="要核验的证据文件目录（DIR/sha256/ab/abcd… 或 DIR/abcd…）",
    )
    parser.add_argument(
        "--rules",
        action="store_true",
        help="同时审查制度规则（检查次数上限、检查组、回避、执法资格、执法证件、期限、"
        "覆盖率、参与率）：审查发现与完整性分开报告（导出包核验通过但有规则未遵守时退出状态为 4）",
    )
    parser.add_argument("--json", action="store_true", help="以 JSON 输出报告")
    args = parser.parse_args(argv)

    try:
        # The file is read as a stream: its header and tail now, its lines in step 3's pass
        # (which is also the structural scan), again for each later pass: memory independent
        # of its size.
        bundle = open_bundle(args.bundle)
        trusted = [_read_text(f) for f in args.trusted_checkpoint]
        pinned = [_key_text(k) for k in args.key]
        witnesses = [_key_text(k) for k in args.witness]
    except BundleError as e:
        return _unusable(str(e), args.json)
    minimum = args.min_cosignatures if args.min_cosignatures is not None else min(1, len(witnesses))
    if not 0 <= minimum <= len(witnesses):
        return _unusable(
            f"--min-cosignatures {minimum}：请至少给出同样多的 --witness 公钥"
            f"（已给出 {len(witnesses)} 个）",
            args.json,
        )
    if args.jobs < 1:
        return _unusable("--jobs 至少应为 1", args.json)
    if args.evidence is not None and not Path(args.evidence).is_dir():
        return _unusable(f"--evidence {args.evidence}：不是目录", args.json)
    try:
        report = verify_bundle(
            bundle,
            pinned_keys=pinned,
            trusted_checkpoints=trusted,
            jobs=args.jobs,
            evidence_dir=args.evidence,
            witnesses=witnesses,
            min_cosignatures=minimum,
        )
        if args.rules:
            report.rule_audit = audit_bundle(bundle)
    except BundleError as e:  # found by the pass that scans the file, or the file changed
        return _unusable(str(e), args.json)
    except Exception as e:  # noqa: BLE001 - a verifier bug must not pass for "a check failed"
        return _unusable(f"核验程序无法处理该导出包：{e!r}", args.json)
    if args.json:
        print(json.dumps(report.to_json(), ensure_ascii=False, indent=2))
    else:
        print("\n".join(report.lines()))
    return exit_status(report)


def exit_status(report: Report) -> int:
    if not (report.intact and report.authority.ok):
        return EXIT_FAILED
    if not report.anchored:
        return EXIT_UNANCHORED
    return EXIT_OK if report.rules_kept else EXIT_RULE_FINDINGS


def sample_main(argv: list[str]) -> int:
    """``python -m verify sample``: the auditor's sampler, one line per draw: ticket TAB id."""
    parser = ChineseArgumentParser(
        prog="python -m verify sample",
        description="按一致抽样法抽取编号（与 consistent-sampler 1.0.10 兼容）。",
    )
    parser.add_argument("--seed", required=True, help="公开的随机种子字符串")
    parser.add_argument("--count", type=int, required=True, help="抽取的个数")
    parser.add_argument("--ids", help="每行一个编号的文件（默认：标准输入）")
    parser.add_argument("--with-replacement", action="store_true", help="有放回抽样")
    parser.add_argument("--digits", type=int, default=9, help="输出的抽签号位数")
    args = parser.parse_args(argv)
    try:
        text = Path(args.ids).read_text(encoding="utf-8") if args.ids else sys.stdin.read()
    except (OSError, UnicodeDecodeError) as e:
        print(f"{UNUSABLE}{args.ids}：{file_reason(e)}", file=sys.stderr)
        return EXIT_UNUSABLE
    ids = [line.rstrip("\r") for line in text.split("\n") if line.rstrip("\r")]
    try:
        draws = sample(
            ids,
            args.seed,
            args.count,
            with_replacement=args.with_replacement,
            digits=args.digits,
        )
    except SamplerError as e:
        print(f"{UNUSABLE}{e}", file=sys.stderr)
        return EXIT_UNUSABLE
    sys.stdout.write("".join(f"{ticket}\t{item}\n" for ticket, item, _ in draws))
    return EXIT_OK


def _key_text(value: str) -> str:
    """A verifier key given as itself or as the path of a file holding it (one line)."""
    try:
        return read_key_text(value)
    except FileNotFoundError:
        raise BundleError(f"{value}：文件不存在") from None
    except (OSError, UnicodeDecodeError) as e:
        raise BundleError(f"{value}：无法读取：{file_reason(e)}") from None


def _read_text(path: str) -> str:
    try:
        return Path(path).read_text(encoding="utf-8")
    except FileNotFoundError:
        raise BundleError(f"{path}：文件不存在") from None
    except (OSError, UnicodeDecodeError) as e:
        raise BundleError(f"{path}：无法读取：{file_reason(e)}") from None


def _unusable(reason: str, as_json: bool) -> int:
    if as_json:
        print(json.dumps({"ok": False, "unusable": reason}, ensure_ascii=False))
    else:
        print(f"{UNUSABLE}{reason}", file=sys.stderr)
    return EXIT_UNUSABLE


if __name__ == "__main__":
    sys.exit(main())
