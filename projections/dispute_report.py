"""The dispute file's reports for people (``report.html``, ``report.pdf``; docs/DISPUTE.md): the
story in Chinese, in log order — each record's time (China time), what it was and in which role
(the Chinese names of ``ledger/labels.py``), who, in which division, its position and digest —
then the rule audit the check makes (``verify.dispute_rules.audit_file``, run by the writer over
the same records): as of when, the rules judged and those a file cannot judge, and each finding
in Chinese (``verify/finding_texts.py``) with the events behind it. The check does not read
them: they tell, the records prove.
"""

from __future__ import annotations

import html
import json
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, select

from ledger.labels import event_label, role_label, rule_label
from verify.dispute_rules import DisputeAudit
from verify.finding_texts import finding_text
from verify.workdays import china_time

from . import tables as t
from .dispute_names import Events, Names
from .dispute_story import story
from .pdf import Section, pdf_bytes

_LABELS = {
    "target": "检查对象",
    "draw": "抽取",
    "inspection": "检查",
    "official": "执法人员/工作人员",
}


def write_reports(
    engine: Engine,
    manifest: dict[str, Any],
    acts: set[int],
    audit: DisputeAudit,
    out: Path,
    events: Events,
    as_of_time: str,
) -> None:
    """``report.html`` and ``report.pdf`` of the dispute file in ``out``, whose records are
    ``events``, whose population files are already written and whose ``as_of`` is the record
    of UTC time ``as_of_time``."""
    names = Names.read(engine)
    populations = {
        path.stem: json.loads(path.read_text(encoding="utf-8"))
        for path in sorted((out / "draws").glob("*.json"))
    }
    subject = manifest["subject"]
    told = story(subject["kind"], str(subject["key"]), events, populations, names)
    rows = _report_rows(engine, manifest, names)
    (out / "report.html").write_text(
        _report_html(manifest, acts, rows, audit, engine, told, as_of_time), encoding="utf-8"
    )
    (out / "report.pdf").write_bytes(
        _report_pdf(manifest, acts, rows, audit, engine, told, as_of_time)
    )


def _report_rows(engine: Engine, manifest: dict[str, Any], names: Names) -> list[tuple[Any, ...]]:
    """One row per record, in log order: number, position, China time, the event in Chinese
    (``ledger/labels.py``), who, their role in Chinese, division, digest, and the event type."""
    a = t.trail_acts
    with engine.connect() as conn:
        found = conn.execute(
            select(a).where(a.c.position.in_([r["position"] for r in manifest["records"]]))
        ).all()
    by_position = {r.position: r for r in found}
    rows = []
    for n, record in enumerate(manifest["records"], 1):
        row = by_position.get(record["position"])
        mark = "" if record["act"] else "（核验所需：同一记录的前序事件或相关登记记录）"
        kind = row.type if row is not None else ""
        rows.append(
            (
                n,
                record["position"],
                china_time(row.time) if row is not None else "",
                (event_label(kind) if kind else "") + mark,
                names.official(row.official) if row is not None else "",
                role_label(row.role) if row is not None else "",
                names.division(row.department) if row is not None else "",
                record["digest"],
                kind,
            )
        )
    return rows


STORY = "案情经过（依据本材料的签名记录）"
_HEADER = (
    "序号",
    "账本位置",
    "时间（北京时间）",
    "事件",
    "办理人",
    "角色",
    "处室",
    "事件摘要（SHA-256）",
)


def _title(manifest: dict[str, Any]) -> str:
    subject = manifest["subject"]
    return f"争议材料：{_LABELS[subject['kind']]} {subject['key']}"


def _intro(manifest: dict[str, Any], acts: set[int], as_of_time: str) -> list[str]:
    count = len(manifest["records"])
    return [
        f"账本：{manifest['origin']}；截至账本位置 {manifest['as_of']}（该位置的事件记录于北京时间 "
        f"{china_time(as_of_time)}）；签名检查点的树大小 {manifest['checkpoint']['size']}；"
        f"本材料写出于北京时间 {china_time(manifest['written_at'])}。",
        f"本材料收录 {count} 条签名事件记录（其中 {len(acts)} 条直接涉及本事项，其余为核验所需的"
        "同一记录的前序事件，以及复核抽取、检查组和规则所需的政策、检查对象、执法人员和抽取记录），"
        "每条均附有至该检查点的包含证明。核验方法（无需联网、无需访问本系统）："
        "python -m verify dispute 本目录 --key 账本公钥。",
        "本材料证明所列每一事件均已记入该检查点所承诺的账本且未被改动，并证明所涉每条记录从创建起的"
        "事件完整无缺；不能证明账本中没有其他涉及本事项的事件——如需证明，请核验完整的账本导出文件。",
        "核验时还将重算每次抽取（检查对象与检查组），并就本材料所含事项审查规则执行情况（检查频次、"
        "检查组人数与组成、回避、资格、执法证件有效期、期限）；覆盖率和参与率须以完整账本审查。"
        "规则审查发现不属于完整性错误，单独列出。",
        "术语：账本位置是事件在账本中的顺序号（从 1 起，只增不改）；事件摘要是该事件签名内容的 "
        "SHA-256 值，同一事件在账本导出文件、公示栏和本材料中摘要相同，任何改动都会使其改变；"
        "签名检查点是账本对其前若干事件整体所作的签名承诺，包含证明表明某一事件在其中。",
        "本报告不是证据：它是账本运营方依据签名记录所作的说明。证据是 evidence.jsonl 中的签名记录、"
        "checkpoint.note（签名检查点）、draws/ 中的抽取总体与名录、as_of.json，以及经账本签署的"
        "清单 manifest.json（manifest.sig）；清单记有本报告的摘要，核验程序据此确认本报告是"
        "随材料出具的原件，并核对本报告网页版事件记录表及案情经过中的每一日期、时间、编号、摘要"
        "与所引用的签名记录相符；其余文字不经核验——如有出入，以签名记录为准。",
    ]


_FINDINGS_HEADER = ("序号", "规则", "发现", "相关事件（账本位置、事件、记录）")


def _findings_intro(audit: DisputeAudit) -> list[str]:
    """The rule audit in Chinese: as of when, the verdict, what was judged and what cannot be."""
    found = audit.audit
    judged = "；".join(f"{rule_label(r)} {found.checked[r]} 项" for r in audit.judged)
    verdict = (
        "本材料所含事项未发现违反规则的情况"
        if found.ok
        else f"共 {len(found.findings)} 项发现，逐项列于下表，并列出每项发现所依据的事件"
    )
    return [
        f"规则执行情况审查（截至 {found.as_of}，即本材料截止账本位置 {audit.as_of_position} 的"
        "北京时间日期；"
        "尚未届满的期限不计为发现）：" + verdict + "。",
        f"已审查：{judged}。",
        "无法仅凭本材料审查（须以完整账本审查）："
        + "、".join(rule_label(r) for r in audit.not_judged)
        + "。",
        "发现不属于完整性错误：账本是否完整由核验步骤 1–6 判定，规则是否得到遵守另行列出。"
        "核验程序（python -m verify dispute）从签名记录重新得出同样的发现，不读取本报告。",
    ]


def _finding_rows(audit: DisputeAudit, engine: Engine) -> list[tuple[Any, ...]]:
    """One row per finding: number, the rule in Chinese, the finding in Chinese
    (``verify/finding_texts.py``; the verifier prints the same text), and each event behind it
    by position, its Chinese name, its record and its time (China time)."""
    positions = {e.position for f in audit.audit.findings for e in f.events}
    with engine.connect() as conn:
        a = t.trail_acts
        times = {
            int(r.position): r.time
            for r in conn.execute(select(a.c.position, a.c.time).where(a.c.position.in_(positions)))
        }
    rows = []
    for n, f in enumerate(audit.audit.findings, 1):
        events = "；".join(
            f"位置 {e.position} {event_label(e.type)}（记录 {e.id}"
            + (f"，{china_time(times[e.position])}" if e.position in times else "")
            + "）"
            for e in f.events
        )
        rows.append((n, rule_label(f.rule), finding_text(f), events or "无"))
    return rows


def _report_html(
    manifest: dict[str, Any],
    acts: set[int],
    rows: list[tuple[Any, ...]],
    audit: DisputeAudit,
    engine: Engine,
    told: list[Section],
    as_of_time: str,
) -> str:
    esc = html.escape
    findings = "\n".join(
        f'<tr data-rule="{esc(f.rule)}" data-kind="{esc(f.kind)}">'
        + "".join(f"<td>{esc(str(c))}</td>" for c in row)
        + "</tr>"
        for f, row in zip(audit.audit.findings, _finding_rows(audit, engine), strict=True)
    )
    body = "\n".join(
        "<tr>"
        + "".join(
            f'<td title="{esc(row[-1])}">{esc(str(c))}</td>'
            if i == 3
            else f"<td>{esc(str(c))}</td>"
            for i, c in enumerate(row[:-1])
        )
        + "</tr>"
        for row in rows
    )
    return _PAGE.format(
        title=esc(_title(manifest)),
        story_heading=esc(STORY),
        story="\n".join(_section_html(section) for section in told),
        intro="\n".join(f"<p>{esc(p)}</p>" for p in _intro(manifest, acts, as_of_time)),
        header="".join(f"<th>{esc(h)}</th>" for h in _HEADER),
        rows=body,
        findings_intro="\n".join(f"<p>{esc(p)}</p>" for p in _findings_intro(audit)),
        findings_header="".join(f"<th>{esc(h)}</th>" for h in _FINDINGS_HEADER),
        findings=findings or '<tr><td colspan="4">无。</td></tr>',
    )


def _report_pdf(
    manifest: dict[str, Any],
    acts: set[int],
    rows: list[tuple[Any, ...]],
    audit: DisputeAudit,
    engine: Engine,
    told: list[Section],
    as_of_time: str,
) -> bytes:
    table = Section(
        heading="事件记录（按账本顺序）",
        paragraphs=_intro(manifest, acts, as_of_time),
        header=_HEADER,
        rows=[(*row[:7], f"{row[7][:32]}\n{row[7][32:]}") for row in rows],  # digest on two lines
        widths=(0.6, 0.9, 1.8, 2.6, 1.4, 1.2, 0.8, 4.2),
    )
    findings = Section(
        heading="规则执行情况审查",
        paragraphs=_findings_intro(audit),
        header=_FINDINGS_HEADER,
        rows=_finding_rows(audit, engine) or [("", "", "无。", "")],
        widths=(0.6, 2.0, 5.0, 5.0),
    )
    return pdf_bytes(_title(manifest), [Section(heading=STORY), *told, table, findings])


def _section_html(section: Section) -> str:
    esc = html.escape
    head = "".join(f"<th>{esc(h)}</th>" for h in section.header)
    body = "\n".join(
        "<tr>" + "".join(f"<td>{esc(str(c))}</td>" for c in row) + "</tr>" for row in section.rows
    )
    return (
        f"<h3>{esc(section.heading)}</h3>\n"
        + "".join(f"<p>{esc(p)}</p>" for p in section.paragraphs)
        + f'<table class="story" border="1" cellpadding="4" style="border-collapse:collapse;'
        f'font-size:90%"><thead><tr>{head}</tr></thead>\n<tbody>\n{body}\n</tbody></table>'
    )


_PAGE = """<!doctype html>
<html lang="zh-CN"><head><meta charset="utf-8"><title>{title}</title>
<style>td{{vertical-align:top}} table.story{{width:100%}}
table.story td:first-child,table.story td:last-child{{white-space:nowrap}}</style></head>
<body style="font-family:sans-serif;margin:2em">
<h1>{title}</h1>
<h2 id="story">{story_heading}</h2>
{story}
<h2 id="records">事件记录（按账本顺序）</h2>
{intro}
<table id="acts" style="border-collapse:collapse;font-size:90%" border="1" cellpadding="4">
<thead><tr>{header}</tr></thead>
<tbody>
{rows}
</tbody></table>
<h2 id="rules">规则执行情况审查</h2>
{findings_intro}
<table id="findings" style="border-collapse:collapse;font-size:90%" border="1" cellpadding="4">
<thead><tr>{findings_header}</tr></thead>
<tbody>
{findings}
</tbody></table></body></html>
"""
