"""The registries' file layouts: one declaration per registry kind of its columns.

A registry file has one header row, then one row per entry; columns in any order, headed in
Chinese or in English (the field's name; English headers ignore case, spaces and hyphens).
A required column must be present (its cells may still be empty where the field is optional).
Each column also says how its cells are written: text, a choice (a code, or its Chinese label),
a list of codes in one cell (separated by ``,`` ``;`` ``、`` or spaces; Chinese labels accepted
too), checklist lines (separated by ``;`` or ``；``) or yes/no (是/否).

targets (检查对象名录库)
    统一社会信用代码/code*, 名称/name*, 类型/kind, 法定代表人/legal_representative,
    地址/address, 所属区/district*, 网格/grid, 责任处室/division*, 抽查事项/items,
    许可证号/permit_number, 许可有效期起/permit_valid_from, 许可有效期至/permit_valid_until,
    信用等级/credit_class, 风险标记/risk_flags, 状态/status (as recorded: an import may
    repeat it, not change it)
inspectors (执法人员名录库)
    编号/code*, 姓名/name*, 执法证号/certificate_number*,
    执法证有效期至/certificate_valid_until*, 单位/unit*, 处室/division*,
    机关人员/agency_staff, 执法资格/qualifications, 状态/status, 回避对象/conflicts (the
    declared conflicts, as targets' codes: an import may repeat them, not change them)
items (随机抽查事项清单)
    事项编码/code*, 事项名称/name*, 法律依据/law*, 条款/article*, 依据原文/basis_text,
    责任处室/division*, 实施单位/executing_units, 检查对象类型/object_type*,
    检查内容/checklist, 检查方式/method, 事项类别/item_class, 抽查比例/ratio_percent,
    抽查频次/frequency_per_year

Chinese labels of choice values (``LABELS``):

- 类型: 企业, 机关事业单位, 项目, 个人 (enterprise, public_body, project, individual);
- 风险标记: 投诉举报多, 重大安全隐患, 经营异常名录, 失信主体, 有违法记录;
- 状态: 在岗, 调离, 退休, 暂停执法; 机关人员: 是, 否;
- 检查方式: 现场检查, 书面检查, 网络检查, 抽样检测; 事项类别: 重点事项, 一般事项;
- a target's 状态: 在营, 已关闭停业, 已注销, 已被吊销, 已迁出.

A blank cell keeps what is recorded; ``<清空>`` (or ``<clear>``) empties the field
(``changes.py``). The whole description, with examples: docs/IMPORT.md.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from typing import Literal

from .inspectors import STATUSES as INSPECTOR_STATUSES
from .items import CLASSES, METHOD_LABELS
from .targets import KINDS as TARGET_KINDS
from .targets import RISK_FLAGS
from .targets import STATUSES as TARGET_STATUSES

HEADERS = ("zh", "en")  # the languages of a file's headers
Cells = Literal["text", "choice", "codes", "lines", "yes_no"]


@dataclass(frozen=True)
class Column:
    field: str  # the Registry's field name, which is also the English header
    zh: str
    required: bool = False
    cells: Cells = "text"
    labels: dict[str, str] = dataclasses.field(default_factory=dict)  # code → Chinese label

    def header(self, language: str) -> str:
        return self.zh if language == "zh" else self.field


def _labelled(codes: tuple[str, ...], *labels: str) -> dict[str, str]:
    return dict(zip(codes, labels, strict=True))


# A target's status is changed by its own command, not by a registry file (an import may repeat
# it, as an export writes it); its Chinese labels are what the public column shows (an exclusion
# "状态为“已注销”").
TARGET_STATUS_LABELS = _labelled(
    TARGET_STATUSES, "在营", "已关闭停业", "已注销", "已被吊销", "已迁出"
)
# (The same labels give these words in the ledger's messages: ``ledger/error_texts/words.py``.)
TARGET_KIND_LABELS = _labelled(TARGET_KINDS, "企业", "机关事业单位", "项目", "个人")
INSPECTOR_STATUS_LABELS = _labelled(INSPECTOR_STATUSES, "在岗", "调离", "退休", "暂停执法")

LAYOUTS: dict[str, tuple[Column, ...]] = {
    "targets": (
        Column("code", "统一社会信用代码", True),
        Column("name", "名称", True),
        Column(
            "kind",
            "类型",
            cells="choice",
            labels=TARGET_KIND_LABELS,
        ),
        Column("legal_representative", "法定代表人"),
        Column("address", "地址"),
        Column("district", "所属区", True),
        Column("grid", "网格"),
        Column("division", "责任处室", True),
        Column("items", "抽查事项", cells="codes"),
        Column("permit_number", "许可证号"),
        Column("permit_valid_from", "许可有效期起"),
        Column("permit_valid_until", "许可有效期至"),
        Column("credit_class", "信用等级"),
        Column(
            "risk_flags",
            "风险标记",
            cells="codes",
            labels=_labelled(
                RISK_FLAGS, "投诉举报多", "重大安全隐患", "经营异常名录", "失信主体", "有违法记录"
            ),
        ),
        Column("status", "状态", cells="choice", labels=TARGET_STATUS_LABELS),
    ),
    "inspectors": (
        Column("code", "编号", True),
        Column("name", "姓名", True),
        Column("certificate_number", "执法证号", True),
        Column("certificate_valid_until", "执法证有效期至", True),
        Column("unit", "单位", True),
        Column("division", "处室", True),
        Column("agency_staff", "机关人员", cells="yes_no"),
        Column("qualifications", "执法资格", cells="codes"),
        Column(
            "status",
            "状态",
            cells="choice",
            labels=INSPECTOR_STATUS_LABELS,
        ),
        Column("conflicts", "回避对象", cells="codes"),
    ),
    "items": (
        Column("code", "事项编码", True),
        Column("name", "事项名称", True),
        Column("law", "法律依据", True),
        Column("article", "条款", True),
        Column("basis_text", "依据原文"),
        Column("division", "责任处室", True),
        Column("executing_units", "实施单位", cells="codes"),
        Column("object_type", "检查对象类型", True),
        Column("checklist", "检查内容", cells="lines"),
        Column(
            "method",
            "检查方式",
            cells="codes",
            labels=METHOD_LABELS,
        ),
        Column(
            "item_class",
            "事项类别",
            cells="choice",
            labels=_labelled(CLASSES, "重点事项", "一般事项"),
        ),
        Column("ratio_percent", "抽查比例"),
        Column("frequency_per_year", "抽查频次"),
    ),
}
KINDS = tuple(LAYOUTS)


# Chinese labels of choice values: accepted on import beside the codes, written by zh exports.
LABELS: dict[str, dict[str, str]] = {
    c.field: c.labels for layout in LAYOUTS.values() for c in layout if c.labels
}

__all__ = [
    "HEADERS",
    "INSPECTOR_STATUS_LABELS",
    "KINDS",
    "LABELS",
    "LAYOUTS",
    "TARGET_KIND_LABELS",
    "TARGET_STATUS_LABELS",
    "Column",
]
