"""The dispute file's story for a court (案情经过): what its signed records say, told in Chinese and
China time, each fact with the ledger position of the record it comes from — the subject as
registered, who made each plan, each draw (who opened, froze and revealed it, the seed and how to
replay it, whether the subject was in the population and why or why not, what was selected, the
teams and who was passed over and why), and each inspection (notice, visit, result, confirmation,
publication against its working-day deadline).

Read from the file's own records (``(position, leaf index, event)`` as the writer decoded them)
and its population files, never from the read models, except for the names of divisions,
officials and items (``dispute_names.py``). An individual target is named by its pseudonymous
reference only: its name and ID number are not in the records (a commitment is), nor here.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from ledger.labels import event_label
from ledger.registry.items import METHOD_LABELS
from ledger.registry.layouts import TARGET_KIND_LABELS, TARGET_STATUS_LABELS
from verify.events import SignedEvent
from verify.results import CATEGORIES, FOLLOW_UPS
from verify.workdays import china_time

from .dispute_names import Events, Names, Register
from .pdf import Section

HEADER = ("事项", "内容", "依据（账本位置）")
WIDTHS = (2.2, 9.0, 1.6)


def _target_changes(
    key: str, register: Register, names: Names, events: Events
) -> list[tuple[str, str, str]]:
    """Each status change and correction of the subject's record, with its reason and source."""
    rows = []
    for position, _, e in events:
        if register.target_ids.get(e.aggregate) != key:
            continue
        p = e.envelope["payload"]
        said = f"；原因：{p.get('reason') or '—'}；来源：{p.get('source') or '—'}"
        if e.type == "target.status_changed":
            status = str(p.get("status"))
            rows.append(
                (
                    "状态变更",
                    f"{names.actor(e.envelope['actor'])}；{_when(e)}；变更为"
                    f"“{TARGET_STATUS_LABELS.get(status, status)}”{said}",
                    str(position),
                )
            )
        elif e.type == "target.updated":
            changed = "、".join(sorted((p.get("changes") or {}).keys()))
            rows.append(
                (
                    "信息更正",
                    f"{names.actor(e.envelope['actor'])}；{_when(e)}；更正项目：{changed}{said}",
                    str(position),
                )
            )
    return rows


_PLAN_KINDS = {"annual": "年度计划", "monthly": "月度计划"}
_YES_NO = {True: "是", False: "否"}


def story(
    kind: str,
    key: str,
    events: Events,
    populations: dict[str, dict[str, Any]],
    names: Names,
) -> list[Section]:
    """The story's sections, in order: the subject, then each plan, draw and inspection of
    the file in log order."""
    register = Register(events)
    by_record: dict[str, list[tuple[int, SignedEvent]]] = {}
    for position, _, e in events:
        by_record.setdefault(e.aggregate, []).append((position, e))
    sections = [_subject(kind, key, register, names, events)]
    for record, chain in by_record.items():
        first = chain[0][1].type
        if first == "plan.drafted":
            sections.append(_plan(record, chain, names))
        elif first == "draw.opened":
            sections.append(
                _draw(record, chain, populations.get(record), kind, key, register, names)
            )
        elif first == "inspection.notified":
            publications = [
                (p, e)
                for r in by_record.values()
                for p, e in r
                if r[0][1].type == "publication.published"
                and r[0][1].envelope["payload"].get("inspection") == record
            ]
            sections.append(_inspection(record, chain, publications, register, names))
    return sections


def _subject(kind: str, key: str, register: Register, names: Names, events: Events) -> Section:
    rows: list[tuple[str, str, str]] = []
    if kind == "target":
        found = register.targets.get(key)
        where = next(
            (str(p) for p, _, e in events if register.target_ids.get(e.aggregate) == key), ""
        )
        if found is None:
            rows.append(("检查对象", f"{key}（本材料没有其登记记录）", ""))
        else:
            rows.append(("检查对象", register.target(key), where))
            rows.append(
                (
                    "类型",
                    TARGET_KIND_LABELS.get(str(found.get("kind")), str(found.get("kind"))),
                    where,
                )
            )
            rows.append(("所属处室", names.division(str(found.get("division"))), where))
            rows.append(
                ("抽查事项", "、".join(names.item(str(i)) for i in found.get("items") or []), where)
            )
            rows += _target_changes(key, register, names, events)
            status = str(found.get("status") or "in_business")
            rows.append(("截至本材料时点的状态", TARGET_STATUS_LABELS.get(status, status), ""))
            if found.get("kind") == "individual":
                rows.append(
                    (
                        "个人信息",
                        "本材料及报告不含该个人的姓名和身份证号码：记录中只有化名编号和对其个人信息的"
                        "承诺值（SHA-256）。核对身份须另经个人信息查阅程序。",
                        where,
                    )
                )
    else:
        shown = names.official(key) if kind == "official" else key
        rows.append((_KINDS.get(kind, kind), shown, ""))
    return Section(heading="一、本材料所涉事项", header=HEADER, rows=rows, widths=WIDTHS)


_KINDS = {"target": "检查对象", "draw": "抽取", "inspection": "检查", "official": "工作人员"}


def _when(e: SignedEvent) -> str:
    return f"{china_time(str(e.envelope['time']))}（北京时间，记录时间）"


def _plan(record: str, chain: list[tuple[int, SignedEvent]], names: Names) -> Section:
    rows = []
    for position, e in chain:
        p = e.envelope["payload"]
        who = names.actor(e.envelope["actor"])
        if e.type == "plan.drafted":
            content = p.get("content") or {}
            items = "、".join(names.item(str(i)) for i in content.get("items") or [])
            rows.append(
                (
                    "拟订计划",
                    f"{who}；{_when(e)}；{_PLAN_KINDS.get(str(p.get('kind')), p.get('kind'))}"
                    f"，期间 {p.get('period')}；所属处室 {names.division(str(p.get('division')))}；"
                    f"抽查事项 {items}；抽取数量 {_counts(content.get('counts'))}；"
                    f"检查组人数 {content.get('team_size')}；"
                    f"安排：{content.get('schedule') or '—'}",
                    str(position),
                )
            )
        elif e.type == "plan.reviewed":
            verdict = "同意" if p.get("approved") else "不同意"
            rows.append(
                (
                    "分管领导审核",
                    f"{who}；{_when(e)}；{verdict}；意见：{p.get('comment') or '—'}",
                    str(position),
                )
            )
        elif e.type in ("plan.submitted", "plan.uploaded"):
            late = "逾期" if p.get("late") else "未逾期"
            what = "报送汇总处室" if e.type == "plan.submitted" else "上传省平台"
            rows.append(
                (what, f"{who}；{_when(e)}；期限 {p.get('deadline')}，{late}", str(position))
            )
        else:
            rows.append((_label(e.type), f"{who}；{_when(e)}", str(position)))
    return Section(heading=f"抽查计划 {record}", header=HEADER, rows=rows, widths=WIDTHS)


def _counts(counts: Any) -> str:
    if not isinstance(counts, dict):
        return "—"
    return "、".join(f"{'全部' if s == 'all' else s} {n} 个" for s, n in counts.items())


def _label(event_type: str) -> str:
    return event_label(event_type)


def _draw(
    record: str,
    chain: list[tuple[int, SignedEvent]],
    population: dict[str, Any] | None,
    kind: str,
    key: str,
    register: Register,
    names: Names,
) -> Section:
    rows = []
    subject = key if kind == "target" else None
    for position, e in chain:
        p = e.envelope["payload"]
        who = names.actor(e.envelope["actor"])
        at = str(position)
        if e.type == "draw.opened":
            parties = "、".join(
                names.party(str(c.get("party")))
                for c in (p.get("entropy_sources") or {}).get("ceremony") or []
            )
            rows.append(
                (
                    "开启抽取",
                    f"{who}；{_when(e)}；依据计划 {p.get('plan') or '—'}；抽查事项 "
                    f"{'、'.join(names.item(str(i)) for i in p.get('items') or [])}；抽取数量 "
                    f"{_counts(p.get('counts'))}；事先承诺秘密随机数（承诺值 "
                    f"{p.get('commitment')}，即其 SHA-256，揭示前任何人不能更改）；"
                    f"参与生成种子的各方：{parties or '—'}",
                    at,
                )
            )
        elif e.type == "draw.population_frozen":
            rows.append(
                (
                    "冻结抽取总体",
                    f"{who}；{_when(e)}；总体 {p.get('count')} 个检查对象，排除 "
                    f"{len(p.get('exclusions') or [])} 个（各附原因）；总体编号的摘要 "
                    f"{p.get('digest')}（全部编号见 draws/{record}.json，核验第 5 步比对）",
                    at,
                )
            )
            if subject is not None:
                rows.append(("本对象是否在总体中", _eligibility(subject, p, population, names), at))
        elif e.type == "draw.seed_revealed":
            rows.append(
                (
                    "揭示种子",
                    f"{who}；{_when(e)}；种子 {p.get('seed')}（由揭示的秘密随机数与各方贡献"
                    "按公开算法得出，核验第 5 步重算）",
                    at,
                )
            )
        elif e.type == "draw.targets_selected":
            for stratum in p.get("strata") or []:
                picked = "；".join(
                    register.target(str(s["target"]))
                    + ("【本对象】" if s["target"] == subject else "")
                    + f"（抽签号 {s['ticket']}）"
                    for s in stratum.get("selected") or []
                )
                name = "全部" if stratum.get("stratum") == "all" else stratum.get("stratum")
                rows.append(
                    (
                        "抽中检查对象",
                        f"{who}；{_when(e)}；分层 {name}：自 {stratum.get('population')} 个中抽取 "
                        f"{stratum.get('count')} 个，抽签号最小者中选：{picked}",
                        at,
                    )
                )
            rows.append(("如何重现抽取", *_replay(record, chain)))
        elif e.type in ("draw.inspectors_assigned", "draw.partner_inspectors_assigned"):
            partner = p.get("division") if e.type == "draw.partner_inspectors_assigned" else None
            for team in p.get("teams") or []:
                if subject is not None and team.get("target") != subject:
                    continue
                rows.append(
                    (
                        "联合检查部门检查组" if partner else "检查组",
                        f"{who}；{_when(e)}；检查日 {p.get('on_date')}；"
                        + (f"部门 {names.division(str(partner))}；" if partner else "")
                        + f"检查对象 {register.target(str(team.get('target')))}；成员 "
                        + "、".join(register.inspector(str(m)) for m in team.get("members") or [])
                        + f"；按抽签顺序依次审视 {team.get('walked')} 人，跳过："
                        + _skips(team.get("skips") or [], register, names),
                        at,
                    )
                )
        elif e.type in ("draw.inspector_substituted", "draw.partner_inspector_substituted"):
            if subject is not None and p.get("target") != subject:
                continue
            rows.append(
                (
                    "替换执法人员",
                    f"{who}；{_when(e)}；检查对象 {register.target(str(p.get('target')))}；"
                    f"{register.inspector(str(p.get('replaced')))} 由 "
                    f"{register.inspector(str(p.get('substitute')))} 替换，"
                    f"原因：{names.reason(str(p.get('reason')))}；"
                    f"跳过：{_skips(p.get('skips') or [], register, names)}",
                    at,
                )
            )
        else:
            rows.append((_label(e.type), f"{who}；{_when(e)}", at))
    return Section(heading=f"随机抽取 {record}", header=HEADER, rows=rows, widths=WIDTHS)


def _eligibility(
    subject: str, frozen: dict[str, Any], population: dict[str, Any] | None, names: Names
) -> str:
    for excluded in frozen.get("exclusions") or []:
        if excluded.get("target") == subject:
            return f"否：被排除，原因：{names.reason(str(excluded.get('reason')))}"
    rows = (population or {}).get("eligible")
    if rows is None:
        return "本材料没有该次抽取的总体文件"
    for row in rows:
        if row.get("target") == subject:
            weight = f"，权重 {row['weight']}" if "weight" in row else ""
            name = "全部" if row.get("stratum") == "all" else row.get("stratum")
            return (
                f"是：在抽取总体中（分层 {name}{weight}）。在总体中即表示冻结时符合抽取条件"
                "（属本处室、涉及所抽事项、状态为可抽取的状态），未被排除"
            )
    return "否：不在抽取范围内（不属本处室或不涉及所抽事项），既不在总体中也不在排除名单中"


def _replay(record: str, chain: list[tuple[int, SignedEvent]]) -> tuple[str, str]:
    """How to replay the draw by hand, citing the record that reveals its seed."""
    revealed = [(p, e) for p, e in chain if e.type == "draw.seed_revealed"]
    if not revealed:
        return "本材料没有该次抽取揭示种子的记录，无法重算", ""
    position, event = revealed[-1]
    seed = event.envelope["payload"].get("seed")
    return (
        "核验程序（python -m verify dispute 本目录 --key 账本公钥）第 5 步已自动重算。手工重算："
        f"把 draws/{record}.json 中 eligible 所列某一分层的 target 逐行写入文件 ids.txt，执行 "
        f"python -m verify sample --seed {seed} --count 该分层抽取数量 --ids ids.txt，"
        "所得编号与抽签号应与上行所列相同（加权抽取另须按权重，以核验程序为准）",
        str(position),
    )


def _skips(skips: Iterable[dict[str, Any]], register: Register, names: Names) -> str:
    said = [
        f"{register.inspector(str(s.get('inspector')))}（{names.reason(str(s.get('reason')))}）"
        for s in skips
    ]
    return "、".join(said) if said else "无"


def _inspection(
    record: str,
    chain: list[tuple[int, SignedEvent]],
    publications: list[tuple[int, SignedEvent]],
    register: Register,
    names: Names,
) -> Section:
    rows = []
    for position, e in sorted([*chain, *publications], key=lambda pe: pe[0]):
        p = e.envelope["payload"]
        who = names.actor(e.envelope["actor"])
        at = str(position)
        if e.type == "inspection.notified":
            source = "随机抽取 " if p.get("random") else "定向检查记录 "
            rows.append(
                (
                    "告知检查",
                    f"{who}；{_when(e)}；检查对象 {register.target(str(p.get('target')))}；依据 "
                    f"{source}{p.get('source')}；告知日 {p.get('notified_on')}"
                    f"（{p.get('notice') or '—'}）",
                    at,
                )
            )
        elif e.type == "inspection.carried_out":
            rows.append(
                (
                    "实施检查",
                    f"{who}；{_when(e)}；检查日 {p.get('on')}；方式 "
                    f"{METHOD_LABELS.get(str(p.get('method')), str(p.get('method')))}；"
                    "到场执法人员 "
                    + "、".join(register.inspector(str(c)) for c in p.get("present") or []),
                    at,
                )
            )
        elif e.type == "inspection.result_recorded":
            category = str(p.get("category"))
            rows.append(
                (
                    "检查结果",
                    f"{who}；{_when(e)}；{CATEGORIES.get(category, category)}；"
                    f"记录人 {register.inspector(str(p.get('recorded_by')))}"
                    + (f"；发现：{p['findings']}" if p.get("findings") else ""),
                    at,
                )
            )
        elif e.type == "inspection.confirmation_recorded":
            rows.append(
                (
                    "被检查对象确认",
                    f"{who}；{_when(e)}；{p.get('on')}；确认：{_YES_NO.get(bool(p.get('confirmed')))}；"
                    f"{p.get('note') or ''}",
                    at,
                )
            )
        elif e.type == "inspection.followed_up":
            follow = str(p.get("kind"))
            rows.append(
                (
                    "后续处理",
                    f"{who}；{_when(e)}；{p.get('on')}；{FOLLOW_UPS.get(follow, follow)}",
                    at,
                )
            )
        elif e.type in ("publication.published", "publication.corrected"):
            what = "公示结果" if e.type == "publication.published" else "更正公示"
            deadline = (
                f"；公示期限：自 {p.get('start')} 起 {p.get('working_days_allowed')} 个工作日，"
                f"最迟 {p.get('deadline')}；{'按期' if p.get('on_time') else '逾期'}"
                if p.get("deadline")
                else ""
            )
            rows.append(
                (what, f"{who}；{_when(e)}；公示日 {p.get('published_on', '—')}{deadline}", at)
            )
        elif e.type == "inspection.closed":
            rows.append(("检查办结", f"{who}；{_when(e)}；办结日 {p.get('on')}", at))
        else:
            rows.append((_label(e.type), f"{who}；{_when(e)}", at))
    return Section(heading=f"检查 {record}", header=HEADER, rows=rows, widths=WIDTHS)
