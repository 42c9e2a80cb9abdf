"""The Chinese text of the ledger's errors: the one table the service's problem details
(``api/problem_texts.py``, ``api/errors.py``) and the legal office's pages read, kept beside the
rules that raise them (``ledger/errors.py`` and the aggregates, the registry, the draws).

An error's English message is its stable, logged form and does not change; its kind
(``BadInput``, ``Forbidden``…) gives the problem's machine-readable code. Here each message is
matched (whole) by a pattern and given in Chinese: the parameter, field, record or rule it names
and the value it quotes are kept as the message spells them (codes, positions, quoted values,
cut short later by ``ledger.errors.bounded``). A group whose name ends in ``_t`` is a message of
its own (a refusal quoted inside another) and is given in Chinese too; a group named
``zh_<table>`` holds the ledger's own words (roles, acts, statuses, steps…), each given from that
table of ``words.py``. ``FIELD_TEXTS`` are the
rules of one field (``ledger.fields``), named after the field. A message no pattern matches is
shown by the service after the problem's Chinese title, in its own words.
"""

from __future__ import annotations

import re

from .fields import FIELD_TEXTS
from .inspections import INSPECTIONS
from .plans_draws import PLANS_DRAWS
from .reading import READING
from .registry import REGISTRY
from .sealing import SEALING
from .setup import SETUP
from .who_acts import BOUND, SHARED, WHO_ACTS
from .words import in_chinese, table_of

# Tried in this order, each module's patterns in its own order: the first that matches the whole
# message gives its text.
ERROR_TEXTS: list[tuple[str, str]] = [
    *WHO_ACTS,
    *SEALING,
    *REGISTRY,
    *PLANS_DRAWS,
    *INSPECTIONS,
    *READING,
    *SETUP,
]
_FIELDS = [(re.compile(p, re.DOTALL), t) for p, t in FIELD_TEXTS]
_ERRORS = [(re.compile(p, re.DOTALL), t) for p, t in ERROR_TEXTS]
# Names of records a "no … with code" message names, in Chinese.
RECORDS = {
    "division": "处室",
    "official": "工作人员",
    "target": "检查对象",
    "inspector": "执法人员",
    "item": "抽查事项",
    "plan": "计划",
    "draw": "抽取",
    "inspection": "检查",
    "inspection item": "抽查事项",
    "publication": "公示",
    "position": "位置",
    "item list": "抽查事项清单",
    "roster inspector": "执法人员",
    "contact": "联络人（工作人员）",
}
# The steps a refusal names ("cannot {doing}: …"; the aggregates' check_step / check_status /
# check_partner and the publication's _check_live), in Chinese.
DOINGS = {
    "accept": "接受",
    "amend": "修改",
    "answer the checklist": "填写检查表",
    "assign a partner's inspectors": "分配联合检查部门的执法人员",
    "assign inspectors": "分配执法人员",
    "assign its inspectors": "分配本处室执法人员",
    "close the inspection": "结束检查",
    "consolidate the plan": "汇总计划",
    "correct": "更正",
    "decline": "拒绝",
    "freeze the population": "冻结抽取范围",
    "record a follow-up": "记录后续处理",
    "record a result": "记录检查结果",
    "record the inspection as carried out": "记录检查已实施",
    "record the party's confirmation": "记录当事人确认",
    "record what the inspection found": "记录检查发现",
    "reveal the seed": "公开随机种子",
    "review the plan": "审核计划",
    "roll the plan over": "结转计划",
    "select targets": "抽取检查对象",
    "submit the plan to the aggregator": "将计划报送汇总处室",
    "substitute an inspector": "替换执法人员",
    "upload the plan": "上传计划",
    "withdraw": "撤回",
}
_PROBLEM = re.compile(r"(?P<field>[^=;]+)=(?P<value>.*?): (?P<message>[^;]+)")


def field_text(message: str) -> str | None:
    """The Chinese text of one field's rule (``ledger.fields``; a rule of the domain quoted for a
    field), or None if not in the tables."""
    return _fill(_FIELDS, message.strip()) or _fill(_ERRORS, message.strip())


def error_text(message: str) -> str | None:
    """The Chinese text of a domain error's message, or None if not in the table."""
    return _fill(_ERRORS, message.strip())


def _fill(table: list[tuple[re.Pattern[str], str]], message: str) -> str | None:
    for pattern, template in table:
        match = pattern.fullmatch(message)
        if match is None:
            continue
        values = {k: v or "" for k, v in match.groupdict().items()}
        for name, value in list(values.items()):
            if name.endswith("_t"):
                values[name] = error_text(value) or field_text(value) or value
            elif (words := table_of(name)) is not None:
                values[name] = in_chinese(words, value)
        for name in ("s", "a"):
            values[f"{name}_zh"] = _subjects(values.get(name, ""))
        if "doing" in values:
            values["doing"] = DOINGS.get(values["doing"], values["doing"])
        values["k_zh"] = {"annual": "年度", "monthly": "月度"}.get(values.get("k", ""), "")
        values["form_zh"] = "年份（2027）" if values["k_zh"] == "年度" else "年月（2027-03）"
        for name in ("what", "kind", "other", "topic"):
            values[f"{name}_zh"] = RECORDS.get(values.get(name, ""), values.get(name, ""))
        more = values.get("more", "")
        values["more_zh"] = (
            "；位置从 1 开始"
            if "start" in more
            else f"；{more[2:].split()[0]} 超出其末尾"
            if more
            else ""
        )
        return template.format(**values)
    return None


SUBJECTS = {
    "one official's acts": "某一工作人员的行为",
    "an inspection": "检查",
    "a target": "检查对象",
    "a draw": "抽取",
    " or ": "或",
}


def _subjects(words: str) -> str:
    """The subjects of a dispute file ("a target or a draw") in Chinese."""
    for english, chinese in SUBJECTS.items():
        words = words.replace(english, chinese)
    return words


__all__ = [
    "BOUND",
    "DOINGS",
    "ERROR_TEXTS",
    "FIELD_TEXTS",
    "RECORDS",
    "SHARED",
    "error_text",
    "field_text",
]
