"""``python -m verify dispute DIR --key KEY``: check a dispute file offline (docs/DISPUTE.md).

The checks, in order (each prints ``OK`` or ``FAIL`` with what was expected and found):

1. the checkpoint (``checkpoint.note``) is signed by the anchored ledger key, for the origin and
   tree size the manifest names;
2. every record in ``evidence.jsonl`` is well formed, signed by that key, and its leaf (at the
   index given) is in the checkpoint's tree: its inclusion proof leads to the signed root;
3. the manifest lists exactly those records (position, leaf index, digest), in log order —
   nothing added, nothing removed;
4. each record's chain is whole from its creation: versions 1, 2, … with each event naming the
   digest of the one before, so no event of a record in between was left out;
5. every draw replays: its frozen population (``draws/<id>.json``) and its rosters are what
   the signed freeze committed to, the seed re-derives from the signed reveal, the selection
   and the team walks recompute (verify/dispute_draws.py); a freeze recorded before freezes
   committed to the rosters is named ("roster not committed");
6. with ``--trusted-checkpoint``: the file's checkpoint is consistent with each checkpoint the
   holder trusts, older or newer (verify/dispute_anchor.py);
7. the checkpoints witnesses cosigned around the records (``witnessed.jsonl``, if the file has
   it) are the ledger's and consistent with the file's (verify/dispute_witnessed.py).

Then, if all of these hold, the rule audit of the file's acts (verify/dispute_rules.py), the
records' times judged against the cosignatures of those checkpoints, the file's own and the
trusted ones: its findings are reported apart and do not change the exit status (``--json``
gives both parts).

What it does not prove: that the log holds no other act about the subject (that needs the whole
log: ``python -m verify BUNDLE``), or anything after the checkpoint. Exit status as the bundle
check's: 0 verified, 1 a check failed, 2 unusable input, 3 no ``--key`` anchors the ledger's key.
"""

from __future__ import annotations

import base64
import binascii
import json
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from . import (
    dispute_anchor,
    dispute_draws,
    dispute_manifest,
    dispute_report_check,
    dispute_rules,
    dispute_witnessed,
)
from .errors import VerifyError, file_reason
from .events import SignedEvent, check_signature, decode_record
from .keys import VerifierKey
from .merkle import leaf_hash, verify_inclusion
from .note import parse_checkpoint, verify_note

FORMAT = "drawledger-dispute/v1"
# What a dispute file is about (its subject's kind), as its report's first line names it.
SUBJECTS = {
    "target": "检查对象",
    "inspector": "执法人员",
    "official": "工作人员",
    "draw": "抽取",
    "inspection": "检查",
    "plan": "计划",
}
NOT_VERIFIED = "争议材料未通过核验"
# Why a record of evidence.jsonl fails step 2, in Chinese (the check's detail follows).
MALFORMED = "不是完整的签名记录（格式错误或被改动）"
UNSIGNED = "记录的签名不是所给账本公钥的有效签名（公钥不是本账本的，或记录被改动）"
NOT_INCLUDED = "包含证明不能通向签名检查点的根（记录或证明被改动，或检查点不是写出材料时的）"
AS_OF = "as_of.json"  # the signed record at the file's as_of: the moment the audit judges at


class DisputeFileError(Exception):
    """The dispute file cannot be read at all (missing files, not JSON, wrong format)."""


@dataclass
class DisputeReport:
    steps: list[tuple[str, list[str]]] = field(default_factory=list)  # (name, failures)
    subject: dict[str, Any] = field(default_factory=dict)
    records: int = 0
    audit: dispute_rules.DisputeAudit | None = None  # run only on a file that verifies
    audit_problem: str = ""  # why the audit could not run
    unlisted: list[str] = field(default_factory=list)  # files the signed manifest does not list

    @property
    def ok(self) -> bool:
        return all(not failures for _, failures in self.steps)

    def lines(self) -> list[str]:
        kind = self.subject.get("kind")
        out = [f"关于{SUBJECTS.get(str(kind), str(kind))} {self.subject.get('key')} 的争议材料"]
        for n, (name, failures) in enumerate(self.steps, 1):
            out.append(f"{'通过' if not failures else '失败'}：({n}) {name}")
            out += [f"    {f}" for f in failures[:20]]
            if len(failures) > 20:
                out.append(f"    …… 另有 {len(failures) - 20} 项")
        verdict = "核验通过" if self.ok else "核验未通过"
        out.append(f"{'通过' if self.ok else '失败'}：争议材料{verdict}（{self.records} 条记录）")
        out += _what_is_evidence(self.unlisted)
        if self.audit is not None:
            out += self.audit.lines()
        else:
            out.append(f"未进行规则审查：{self.audit_problem or NOT_VERIFIED}")
        return out

    def to_json(self) -> dict[str, Any]:
        return {
            "subject": self.subject,
            "records": self.records,
            "integrity": {
                "ok": self.ok,
                "steps": [
                    {"step": n, "name": name, "ok": not failures, "failures": failures}
                    for n, (name, failures) in enumerate(self.steps, 1)
                ],
            },
            "unlisted_files": self.unlisted,
            "rules": None if self.audit is None else self.audit.to_json(),
            "rules_not_run": None if self.audit is not None else self.audit_problem or NOT_VERIFIED,
        }


def _what_is_evidence(unlisted: list[str]) -> list[str]:
    """What the check proved with which files, and what it did not read."""
    out = [
        "       证据：evidence.jsonl 中的签名记录（第 2–4 步）、checkpoint.note（第 1 步）、"
        "draws/ 中的抽取总体与名录（第 5 步）、as_of.json（第 2 步）、"
        f"{dispute_witnessed.WITNESSED} 中见证方联署的检查点（核验其一致性的一步），"
        f"以及经账本签署的清单 {dispute_manifest.MANIFEST}（第 3 步）。",
        "       报告（report.html、report.pdf）不是证据：核验程序核对它们与账本签署的清单所记"
        "摘要一致，即为账本运营方随材料出具的原件，并核对 report.html 的事件记录表及案情经过中"
        "每一日期、时间、编号、摘要与所引用的签名记录相符，report.pdf 所示的日期、时间、编号、"
        "摘要均见于 report.html 且含每条记录；报告的其余文字不经核验，须以签名记录为准。",
    ]
    if unlisted:
        out.append("       未列入清单、未经核验的文件（不属于本材料）：" + "、".join(unlisted[:20]))
    return out


def _read(directory: Path) -> tuple[dict[str, Any], str, list[dict[str, Any]]]:
    try:
        manifest = json.loads((directory / "manifest.json").read_text(encoding="utf-8"))
        note = (directory / "checkpoint.note").read_text(encoding="utf-8")
        lines = (directory / "evidence.jsonl").read_text(encoding="utf-8").splitlines()
        evidence = [json.loads(line) for line in lines if line.strip()]
    except (OSError, UnicodeDecodeError) as e:
        where = getattr(e, "filename", None) or directory
        raise DisputeFileError(f"{where}：无法读取：{file_reason(e)}") from None
    except json.JSONDecodeError as e:
        raise DisputeFileError(f"{directory}：不是 JSON：{e}") from None
    if not isinstance(manifest, dict) or manifest.get("format") != FORMAT:
        raise DisputeFileError(f"{directory}/manifest.json：不是 {FORMAT} 格式的清单")
    return manifest, note, evidence


def _as_of(
    directory: Path,
    manifest: dict[str, Any],
    decoded: list[tuple[int, int, SignedEvent]],
    keys: dict[bytes, VerifierKey],
    checkpoint: Any,
) -> tuple[int, str]:
    """The file's ``as_of`` as the signed record at it proves it: (its position, its time).
    The record must be signed, in the checkpoint's tree, at or before the manifest's ``as_of``
    and not before any of the file's records (the log's last event when the file was asked
    for). ValueError or VerifyError naming what is wrong."""
    doc = json.loads((directory / AS_OF).read_text(encoding="utf-8"))
    record = base64.b64decode(doc["record"], validate=True)
    event = decode_record(record)
    check_signature(event, keys)
    if checkpoint is not None:
        proof = [base64.b64decode(h, validate=True) for h in doc["proof"]]
        verify_inclusion(leaf_hash(record), doc["index"], checkpoint.size, proof, checkpoint.root)
    position, index = int(doc["position"]), int(doc["index"])
    if not isinstance(manifest.get("as_of"), int) or position > manifest["as_of"]:
        raise ValueError(f"其记录位于位置 {position}，而清单的 as_of 为 {manifest.get('as_of')!r}")
    later = [p for p, i, _ in decoded if i > index]
    if later:
        raise ValueError(
            f"其记录（叶子 {index}）早于材料中位置 {later[0]} 的记录："
            "它不是截至材料时点的最后一个事件"
        )
    return position, str(event.envelope["time"])


def check_dispute(
    directory: Path,
    key: VerifierKey,
    trusted: list[str] | None = None,
    proofs: dispute_anchor.Proofs | None = None,
) -> DisputeReport:
    """Check the dispute file in ``directory`` against the anchored ledger ``key``; with
    ``trusted`` checkpoint notes, also its consistency with each (``proofs``: consistency
    proofs given beside the file, for checkpoints newer than its own)."""
    manifest, note, evidence = _read(directory)
    report = DisputeReport(subject=dict(manifest.get("subject") or {}), records=len(evidence))

    # (1): the checkpoint, signed by the anchored key
    failures: list[str] = []
    checkpoint = None
    try:
        checkpoint = parse_checkpoint(verify_note(note, [key])[0].text)
        if checkpoint.origin != manifest.get("origin"):
            failures.append(
                f"应为来源 {manifest.get('origin')!r}，检查点写的是 {checkpoint.origin!r}"
            )
        size = (manifest.get("checkpoint") or {}).get("size")
        if checkpoint.size != size:
            failures.append(f"应为树大小 {size}，检查点为 {checkpoint.size}")
    except VerifyError as e:
        failures.append(
            f"checkpoint.note 没有所给账本公钥（{key.name}+{key.key_id.hex()}）的有效签名："
            f"所给公钥不是本账本的，或检查点被改动（{e}）"
        )
    report.steps.append(("检查点由账本公钥签名", failures))

    # (2): each record signed, and included in the checkpoint's tree
    failures = []
    decoded: list[tuple[int, int, SignedEvent]] = []
    keys = {key.key_id: key}
    for n, line in enumerate(evidence, 1):
        said = MALFORMED  # what failed, as far as the check got
        try:
            record = base64.b64decode(line["record"], validate=True)
            proof = [base64.b64decode(h, validate=True) for h in line["proof"]]
            event = decode_record(record)
            said = UNSIGNED
            check_signature(event, keys)
            if checkpoint is not None:
                said = NOT_INCLUDED
                verify_inclusion(
                    leaf_hash(record), line["index"], checkpoint.size, proof, checkpoint.root
                )
            decoded.append((int(line["position"]), int(line["index"]), event))
        except (KeyError, TypeError, ValueError, binascii.Error, VerifyError) as e:
            where = line.get("position", "?") if isinstance(line, dict) else "?"
            why = said if isinstance(e, VerifyError) else MALFORMED
            failures.append(f"evidence.jsonl 第 {n} 行（位置 {where}）：{why}（{e}）")
    as_of = None
    if (directory / AS_OF).exists():
        try:
            as_of = _as_of(directory, manifest, decoded, keys, checkpoint)
        except (KeyError, TypeError, ValueError, binascii.Error, VerifyError) as e:
            failures.append(f"{AS_OF}: {e}")
    report.steps.append(("每条记录均已签名，且在检查点的树中", failures))

    # (3): the manifest lists exactly these records
    failures = []
    listed = [
        (r.get("position"), r.get("index"), r.get("digest")) for r in manifest.get("records", [])
    ]
    found = [(p, i, e.digest.hex()) for p, i, e in decoded]
    if found != listed or len(decoded) != len(evidence):
        missing = sorted(set(listed) - set(found), key=str)
        extra = sorted(set(found) - set(listed), key=str)
        failures.append(
            f"应为清单所列的 {len(listed)} 条记录，实有 {len(evidence)} 条；"
            f"缺少或被改动：{missing[:5]}；清单未列：{extra[:5]}"
        )
    if [p for p, _, _ in found] != sorted({p for p, _, _ in found}):
        failures.append("记录未按账本顺序排列，或有记录重复")
    signed, report.unlisted = dispute_manifest.check(directory, manifest.get("files"), key)
    failures += signed + dispute_report_check.check_report(directory, decoded)
    report.steps.append(
        ("清单经账本签署，所列恰为这些记录，材料中的文件未被改动，报告所示与签名记录相符", failures)
    )

    # (4): each record's chain is whole from its creation
    failures = []
    chains: dict[str, list[SignedEvent]] = defaultdict(list)
    for _, _, event in decoded:
        chains[event.aggregate].append(event)
    for aggregate, events in sorted(chains.items()):
        previous: SignedEvent | None = None
        for expected, event in enumerate(sorted(events, key=lambda e: e.version), 1):
            if event.version != expected:
                failures.append(f"记录 {aggregate}：应为版本 {expected}，实为 {event.version}")
                break
            want = None if previous is None else previous.digest
            if event.prev != want:
                failures.append(
                    f"记录 {aggregate} 版本 {event.version}：prev 为 "
                    f"{event.prev.hex() if event.prev else None}，应为 "
                    f"{want.hex() if want else None}"
                )
            previous = event
    report.steps.append(("每条记录自创建起的事件完整无缺", failures))

    # (5): every draw replays from its frozen population
    drawn, failures = dispute_draws.replay(directory, decoded)
    unproven = dispute_draws.rosters_not_committed(decoded)
    named = f"；冻结时未承诺名录（roster not committed）：{'、'.join(unproven)}" if unproven else ""
    report.steps.append((f"每次抽取均可由其冻结的总体重现（{drawn} 次抽取{named}）", failures))

    # (6): consistent with the checkpoints the holder trusts
    if trusted:
        if checkpoint is None:
            failures = ["材料自身的检查点未通过核验（第 1 步）"]
        else:
            try:
                known = {**dispute_anchor.read_proof_file(directory), **(proofs or {})}
                failures = dispute_anchor.check_anchors(checkpoint, trusted, key, known)
            except VerifyError as e:
                failures = [str(e)]
        report.steps.append((f"与 {len(trusted)} 个受信任的检查点一致", failures))

    # (7): the checkpoints witnesses cosigned around the records, the ledger's and consistent
    witnessed: list[str] = []
    if (directory / dispute_witnessed.WITNESSED).exists():
        failures = ["材料自身的检查点未通过核验（第 1 步）"]
        if checkpoint is not None:
            witnessed, failures = dispute_witnessed.check_witnessed(directory, checkpoint, key)
        report.steps.append(
            (f"见证方联署的 {len(witnessed)} 个检查点为本账本所签，且与材料的检查点一致", failures)
        )
    if report.ok:
        try:
            subject = report.subject
            report.audit = dispute_rules.audit_file(
                str(subject.get("kind")),
                decoded,
                as_of,
                str(subject.get("key", "")) or None,
                checkpoints=[note, *witnessed, *(trusted or [])],
            )
        except (KeyError, TypeError, ValueError, VerifyError) as e:
            report.audit_problem = f"无法审查材料中的行为：{e!r}"
    return report


def main(argv: list[str]) -> int:
    """``python -m verify dispute DIR --key KEY``; exit 0, 1, 2 or 3 (the module docstring)."""
    import sys

    from .chinese_parser import ChineseArgumentParser
    from .keys import parse_verifier_key, read_key_text

    parser = ChineseArgumentParser(
        prog="python -m verify dispute",
        description="离线核验 'drawledger dispute' 写出的争议材料。",
        epilog="退出状态：0 核验通过；1 有检查未通过；2 输入无法使用；3 未给出 --key"
        "（争议材料只能依据从材料以外取得的账本公钥核验）",
    )
    parser.add_argument("directory", help="争议材料所在的目录")
    parser.add_argument(
        "--key",
        metavar="KEY",
        help="从争议材料以外取得的账本公钥（name+hexid+base64，或存有它的文件，如 "
        "DIR/keys/ledger.pub）",
    )
    parser.add_argument(
        "--trusted-checkpoint",
        action="append",
        default=[],
        metavar="NOTE",
        help="您保存的同一账本的签名检查点（存有该签名注记的文件）；"
        "材料的检查点必须与之一致（可重复）",
    )
    parser.add_argument(
        "--consistency-proof",
        action="append",
        default=[],
        metavar="FILE",
        help="从材料的检查点到一个更新的受信任检查点的一致性证明，"
        "即 GET /proofs/consistency 的应答（可重复）",
    )
    parser.add_argument(
        "--json",
        action="store_true",
        help="以 JSON 输出报告：完整性各步骤，以及另列的规则审查",
    )
    args = parser.parse_args(argv)
    if args.key is None:
        print(
            "未核验：未给出 --key：没有从材料以外取得的账本公钥，争议材料什么也证明不了",
            file=sys.stderr,
        )
        return 3
    try:
        key = parse_verifier_key(read_key_text(args.key))
        trusted = [Path(f).read_text(encoding="utf-8") for f in args.trusted_checkpoint]
        proofs = dispute_anchor.read_proofs(
            [Path(f).read_text(encoding="utf-8") for f in args.consistency_proof],
            "--consistency-proof",
        )
        report = check_dispute(Path(args.directory), key, trusted, proofs)
    except (OSError, UnicodeDecodeError) as e:
        where = getattr(e, "filename", None)
        said = f"{where}：" if where else ""
        print(f"输入无法使用：{said}无法读取：{file_reason(e)}", file=sys.stderr)
        return 2
    except (VerifyError, DisputeFileError) as e:
        print(f"输入无法使用：{e}", file=sys.stderr)
        return 2
    if args.json:
        print(json.dumps(report.to_json(), ensure_ascii=False, indent=1))
    else:
        print("\n".join(report.lines()))
    return 0 if report.ok else 1
