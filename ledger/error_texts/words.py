"""The ledger's own words that its messages fill in — roles, acts, statuses and steps, registries,
kinds and channels, the system's reasons a file could not be used — in Chinese: the one table a
pattern of ``ledger.error_texts`` reads for a group named ``zh_<table>`` (a digit after it for a
second group of the same table: ``zh_roles2``). A group's value may be one word or a list of
them (``clerk, division_head``, ``'drafted' or 'reviewed'``); each word is given from its table,
joined with 、 (or 或). ``tests/api/test_error_words.py`` collects every word the ledger can put
there (its roles, acts, statuses and steps) and requires each in its table.
"""

from __future__ import annotations

import os
import re

from verify.errors import OS_ERRORS

from ..labels import ROLE_LABELS
from ..registry.layouts import INSPECTOR_STATUS_LABELS as INSPECTOR_STATUSES
from ..registry.layouts import TARGET_KIND_LABELS as TARGET_KINDS
from ..registry.layouts import TARGET_STATUS_LABELS as TARGET_STATUSES

# The acts an official may be allowed (``verify/authority_rules.PERMISSIONS`` and the operator's
# scheduled rollover), as a refusal names them: the Chinese, then the act's own name.
ACTS: dict[str, str] = {
    "division.manage": "管理处室",
    "official.manage": "管理工作人员",
    "official.bind": "绑定执法人员身份",
    "token.manage": "管理访问令牌",
    "policy.set": "发布制度版本",
    "witness.manage": "管理见证方",
    "target.write": "登记或更正检查对象",
    "item.write": "登记或修改抽查事项",
    "inspector.write": "登记或变更执法人员",
    "itemlist.publish": "公布抽查事项清单",
    "draw.run": "开展抽取",
    "draw.abandon": "终止抽取",
    "plan.write": "拟订或报送抽查计划",
    "plan.review": "审核抽查计划",
    "plan.consolidate": "汇总或上传抽查计划",
    "plan.rollover": "结转计划",
    "inspection.notify": "告知检查",
    "inspection.record": "记录检查",
    "inspection.result": "记录检查结果",
    "publication.publish": "公示检查结果",
    "personal_data.erase": "删除个人信息",
    "worklist.read": "查阅待办清单",
    "trail.read": "查阅行为记录",
    "assessment.read": "查阅年度考核",
    "oversight.read": "查阅监督页面",
    "oversight.personal_data": "查看个人信息",
    "dispute.write": "编写争议材料",
}
# A plan's status (``ledger/plans/aggregate.py``).
PLAN_STATUSES: dict[str, str] = {
    "drafted": "已拟订",
    "reviewed": "已审核",
    "submitted": "已报送",
    "consolidated": "已汇总",
    "uploaded": "已上传",
    "withdrawn": "已撤回",
}
# The steps of a draw and of an inspection (their ``STEPS``).
STEPS: dict[str, str] = {
    "opened": "已开启",
    "frozen": "已冻结抽取范围",
    "revealed": "已公开随机种子",
    "selected": "已抽取检查对象",
    "assigned": "已分配执法人员",
    "notified": "已告知",
    "carried_out": "已实施检查",
    "result_recorded": "已记录检查结果",
    "confirmation_recorded": "已记录当事人确认",
    "closed": "已办结",
}
# A target's and an inspector's status and a target's kind: the registry files' labels
# (``ledger/registry/layouts.py``), imported above.
# A partner division's answer to a joint draw's invitation (``ledger/draws/aggregate.py``).
PARTNER_STATUSES: dict[str, str] = {
    "invited": "已邀请",
    "accepted": "已接受",
    "declined": "已谢绝",
    "assigned": "已分配执法人员",
}
# The registries (a file's kind, plural) and their entries (singular).
REGISTRIES: dict[str, str] = {
    "targets": "检查对象",
    "inspectors": "执法人员",
    "items": "抽查事项",
    "target": "检查对象",
    "inspector": "执法人员",
    "item": "抽查事项",
}
# A publication's channel (``ledger/publications``).
CHANNELS: dict[str, str] = {
    "results": "检查结果",
    "double_publicity": "双公示",
}
# What a directed inspection's items are checked for (``ledger/draws/service.check_own_items``).
WHO: dict[str, str] = {
    "a division draws": "抽取",
    "a partner inspects": "联合检查",
}
# The system's reason a file or folder could not be used, by error number; ``OS_REASONS`` by the
# system's own words (``os.strerror``), as a message quotes them.
# (the verifier's table, ``verify/errors.py``: it names a file it cannot read in the same words)
OS_REASONS: dict[str, str] = {os.strerror(number): text for number, text in OS_ERRORS.items()}

TABLES: dict[str, dict[str, str]] = {
    "roles": ROLE_LABELS,
    "act": {"nothing": "无", **{act: f"{text}（{act}）" for act, text in ACTS.items()}},
    "plan": PLAN_STATUSES,
    "step": STEPS,
    "target": TARGET_STATUSES,
    "inspector": INSPECTOR_STATUSES,
    "partner": PARTNER_STATUSES,
    "registry": REGISTRIES,
    "kind": TARGET_KINDS,
    "channel": CHANNELS,
    "who": WHO,
    "os": OS_REASONS,
}
_GROUP = re.compile(r"zh_(?P<table>[a-z]+)\d*")
_LIST = re.compile(r"(, | or |、)")
_JOINS = {", ": "、", " or ": "或", "、": "、"}


def table_of(group: str) -> dict[str, str] | None:
    """The table a pattern's group reads (None: not a group of words)."""
    match = _GROUP.fullmatch(group)
    return None if match is None else TABLES.get(match["table"])


def in_chinese(table: dict[str, str], value: str) -> str:
    """``value`` (a word, or a list of them, quoted or not) with each word from ``table``; a word
    not in it kept as written."""
    if value in table:
        return table[value]
    parts = _LIST.split(value)
    return "".join(
        _JOINS[part] if i % 2 else table.get(part.strip("'"), part) for i, part in enumerate(parts)
    )


def words_of(value: str) -> list[str]:
    """The words of a group's value (a list split at its commas and "or"s, unquoted)."""
    return [part.strip("'") for i, part in enumerate(_LIST.split(value)) if not i % 2 and part]


__all__ = [
    "ACTS",
    "CHANNELS",
    "INSPECTOR_STATUSES",
    "OS_ERRORS",
    "PARTNER_STATUSES",
    "PLAN_STATUSES",
    "REGISTRIES",
    "STEPS",
    "TABLES",
    "TARGET_KINDS",
    "TARGET_STATUSES",
    "WHO",
    "in_chinese",
    "table_of",
    "words_of",
]
