"""The Chinese text of each kind of rule finding: the one table the dispute file's report reads
(``projections/dispute_report.py``), kept beside the audit families that make the findings
(``audit_*.py``, each ``audit.find(rule, message, *events, kind=..., **facts)``).

A finding's ``rule`` and ``message`` (the verifier's English words) are its stable, printed and
JSON form (``python -m verify … --rules --json``, docs/FORMAT.md section 6) and do not change;
its ``kind`` and ``facts`` give the same finding in Chinese for people. Codes in the facts
(credit codes, inspector codes, record ids, dates) are shown as recorded.
``tests/verify/test_finding_texts.py`` fails if a kind an audit family names has no text here.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # the printed audit (audit_log.RuleAudit.lines) reads this module
    from .audit_log import RuleFinding

FINDING_TEXTS: dict[str, str] = {
    # audit_inspections.py
    "draw_team_too_small": (
        "{who} {draw} 要求的检查组为 {team_size} 人，现行制度要求至少 {minimum} 人"
    ),
    "visit_team_too_small": (
        "检查对象 {target} 于 {on} 的检查：到场执法人员为 {present}，"
        "制度要求至少 {minimum} 名不同的持证执法人员参加"
    ),
    "not_on_roster": "检查对象 {target} 于 {on} 的检查：执法人员 {code} 不在执法人员名录中",
    "not_on_team": (
        "检查对象 {target} 于 {on} 的检查：执法人员 {code} 不在抽取的检查组（{team}）中，"
        "也不是已记录的替换人员"
    ),
    "not_qualified": (
        "检查对象 {target} 于 {on} 的检查：执法人员 {code} 不具备抽查事项 {items} 的执法资格"
    ),
    "not_on_duty": "检查对象 {target} 于 {on} 的检查：执法人员 {code} 的状态为“{status}”，不在岗",
    "certificate_invalid": (
        "检查对象 {target} 于 {on} 的检查：执法人员 {code} 的执法证件{expired}，检查当日无效"
    ),
    "inspector_excluded": "检查对象 {target} 于 {on} 的检查：执法人员 {code}：{reason}",
    "yearly_cap": (
        "检查对象 {target} 于 {on} 再次接受检查：{year} 年已检查 {done} 次，"
        "达到制度规定的每年 {cap} 次上限"
    ),
    # audit_deadlines.py
    "plan_bounds": "抽取不符合抽查计划（抽取依计划且不超计划数量），详见核验程序的输出",
    "plan_not_uploaded": (
        "{division} 的{kind_zh}计划 {period} 未在 {upload_by} 前上传（截至 {as_of} 仍未上传）"
    ),
    "plan_period_unknown": "计划期间 {period} 无法按现行制度确定期限",
    "plan_deadlines_differ": (
        "{division} 的{kind_zh}计划 {period} 记录的期限为 {recorded}，"
        "现行制度规定的期限为 {expected}"
    ),
    "plan_step_deadline_differs": (
        "{division} 的{kind_zh}计划 {period}：{step}时记录的期限为 {named}，计划的期限为 {deadline}"
    ),
    "plan_step_late": "{division} 的{kind_zh}计划 {period} 逾期{doing}：晚于期限 {deadline}",
    "publication_uncountable": "无法计算其公示期限",
    "publication_late": (
        "于 {published_on} 在“{channel}”公示，晚于期限 {deadline}"
        "（自 {start} 起 {allowed} 个工作日）"
    ),
    "publication_missing": (
        "对检查对象 {target} 的检查结果未在“{channel}”公示；其期限 {deadline}"
        "（自 {start} 起 {allowed} 个工作日）已于 {as_of} 前届满"
    ),
    # audit_cycle.py
    "coverage_short": (
        "{division}：周期 {start} 至 {end}（计划 {period}）内，{targets} 个检查对象中有 "
        "{uncovered} 个未接受检查；前几个：{first}"
    ),
    "staff_short": (
        "{division} {year} 年：{whole} 名执法人员中有 {part} 名参加检查（{percent}），"
        "制度要求至少 {minimum}%；未参加：{absent}"
    ),
    "agency_rounds_short": (
        "{division} {year} 年：{whole} 轮检查中有 {part} 轮有机关人员参加（{percent}），"
        "制度要求至少 {minimum}%"
    ),
    # audit_selections.py
    "selection_not_inspected": (
        "抽取 {draw} 抽中的检查对象 {target} 未在 {period} 结束日 {end} 前接受检查{late}"
    ),
    # audit_steps.py
    "step_before_the_one_it_follows": (
        "记录 {id} 的“{step}”日期为 {day}，早于其前一环节“{after}”的日期 {after_day}："
        "检查各环节的日期不得早于其前一环节"
    ),
    # audit_substitutions.py
    "repeated_substitutions": (
        "抽取 {draw} 中{team}检查组（检查对象 {target}）被替补 {count} 次，"
        "现行制度允许至多 {allowed} 次：每次替补都沿随机顺序取下一人，"
        "反复替补可把顺序走到想要的人，须核实每次替补的理由"
    ),
    # audit_times.py
    "clock_stepped_back": (
        "事件时间为 {time}，早于其前一事件的时间 {before_time}：服务器时钟被调回；"
        "以时间认定的期限须对照见证方的时间核实"
    ),
    "timed_after_witnessed": (
        "事件时间为 {time}，而见证方 {witness} 已于 {witnessed} 联署了包含它的检查点"
        "（大小 {size}）：事件时间晚于见证时间，服务器时钟偏快"
    ),
    "timed_before_witnessed": (
        "事件时间为 {time}，而见证方 {witness} 于 {witnessed} 联署的检查点（大小 {size}）"
        "尚不包含它：该事件在其所记时间之后至少 {lag} 才记入账本——时钟被调回以倒签，"
        "或封存停滞了这么久"
    ),
}


def finding_text(finding: RuleFinding) -> str:
    """The finding in Chinese (its kind's text with its facts); a finding of no known kind is
    named by its rule in Chinese and referred to the verifier's words."""
    template = FINDING_TEXTS.get(finding.kind)
    if template is None:
        return "规则审查发现，详见核验程序的输出"
    facts: dict[str, Any] = {k: _shown(v) for k, v in finding.facts.items()}
    return template.format(**facts)


def _shown(value: Any) -> str:
    if isinstance(value, list | tuple):
        return "、".join(str(v) for v in value) or "无"
    return str(value)
