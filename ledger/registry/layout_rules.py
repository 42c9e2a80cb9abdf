"""Each registry column's rule and an example, in Chinese and English, as the officer reads them.

The template workbook's second sheet (``drawledger template``, ``GET /imports/templates/{kind}``)
and docs/IMPORT.md say the same; a test holds the three together: every column of
``layouts.LAYOUTS`` has its rule here and its headers in docs/IMPORT.md. The rules themselves are
enforced by the parsers (``targets.parse_target``, ``inspectors.parse_inspector``,
``items.parse_item``) and the import (``importer.py``, ``changes.py``).
"""

from __future__ import annotations

from typing import NamedTuple

from .changes import CLEAR


class Rule(NamedTuple):
    zh: str
    en: str
    example: str


_CODE_ZH = "代码：小写字母、数字、. _ -，最长64位"
_CODE_EN = "a code: lowercase letters, digits, . _ -, at most 64"
_DATE_ZH = "日期 YYYY-MM-DD"
_DATE_EN = "a date YYYY-MM-DD"

RULES: dict[str, dict[str, Rule]] = {
    "targets": {
        "code": Rule(
            "必填。企业、机关事业单位：18位统一社会信用代码（GB 32100，校验码须正确）；"
            "项目：批准文号；个人：身份证号（只存入可删除的个人信息表）",
            "required. Enterprises and public bodies: the 18-character unified social credit "
            "code (GB 32100, check character verified); projects: the approval number; "
            "individuals: the ID number (kept only in the erasable personal-data table)",
            "91320411MA1N2P3Q04",
        ),
        "name": Rule(
            "必填，最长200字；已被抽中的对象不能通过导入改名（请以更正登记并说明理由）",
            "required, at most 200 characters; a target that has been drawn is not renamed by "
            "an import (record a correction with its reason)",
            "常州市新北区某某水务有限公司",
        ),
        "kind": Rule(
            "企业、机关事业单位、项目、个人之一；空白为企业",
            "one of enterprise, public_body, project, individual (or the Chinese label); "
            "blank: enterprise",
            "企业",
        ),
        "legal_representative": Rule("选填，最长64字", "optional, at most 64 characters", "王芳"),
        "address": Rule(
            "选填，最长500字", "optional, at most 500 characters", "常州市新北区滨河路1号"
        ),
        "district": Rule("必填，最长32字", "required, at most 32 characters", "新北区"),
        "grid": Rule("选填，最长64字", "optional, at most 64 characters", "G-07"),
        "division": Rule(
            "必填。责任处室的代码，须已登记；" + _CODE_ZH,
            "required. The responsible division's code, registered already; " + _CODE_EN,
            "gqc",
        ),
        "items": Rule(
            "选填。抽查事项编码，多个用逗号、顿号或空格分隔，须已登记",
            "optional. Inspection item codes, separated by , 、 ; or spaces; each registered",
            "hdjs,qsxk",
        ),
        "permit_number": Rule(
            "选填，最长64字；填写有效期时须填写许可证号；删除许可证时，许可证号和两个有效期"
            "都填写 <清空>",
            "optional, at most 64 characters; needed when a validity date is given; to remove "
            "a permit, write <clear> in its number and both dates",
            "常水许〔2024〕1号",
        ),
        "permit_valid_from": Rule(
            "选填，" + _DATE_ZH + "；不得晚于有效期至",
            "optional, " + _DATE_EN + "; not after the end of validity",
            "2024-01-01",
        ),
        "permit_valid_until": Rule(
            "有许可证号时必填，" + _DATE_ZH,
            "required with a permit number, " + _DATE_EN,
            "2029-12-31",
        ),
        "credit_class": Rule("A、B、C、D之一；空白为A", "one of A, B, C, D; blank: A", "B"),
        "risk_flags": Rule(
            "选填。投诉举报多、重大安全隐患、经营异常名录、失信主体、有违法记录，多个用顿号分隔",
            "optional. complaints, major_hazard, abnormal_operation, dishonest, "
            "past_violations (or the Chinese labels), separated by , or 、",
            "投诉举报多",
        ),
        "status": Rule(
            "选填。在营、已关闭停业、已注销、已被吊销、已迁出之一；导入只能重复已登记的状态"
            "（新对象为在营），状态变更请单独登记并说明理由",
            "optional. One of in_business, closed, deregistered, revoked, moved; an import may "
            "only repeat the recorded status (in_business for a new target): a status change "
            "is recorded on its own, with its reason",
            "在营",
        ),
    },
    "inspectors": {
        "code": Rule("必填。" + _CODE_ZH, "required. " + _CODE_EN, "i-001"),
        "name": Rule("必填，最长64字", "required, at most 64 characters", "赵六"),
        "certificate_number": Rule(
            "必填，最长64字；一个执法证号只属于一名执法人员",
            "required, at most 64 characters; a certificate number belongs to one inspector",
            "苏执-3204-10001",
        ),
        "certificate_valid_until": Rule(
            "必填，" + _DATE_ZH + "；新登记或变更的执法证不得已过期",
            "required, " + _DATE_EN + "; a new or changed certificate must not have expired",
            "2029-06-30",
        ),
        "unit": Rule(
            "必填。所在单位的代码，须已登记", "required. The unit's code, registered", "szy"
        ),
        "division": Rule(
            "必填。所属处室的代码，须已登记", "required. The division's code, registered", "gqc"
        ),
        "agency_staff": Rule("是或否；空白为否", "yes or no (是/否); blank: no", "是"),
        "qualifications": Rule(
            "选填。可检查的事项编码，多个用逗号分隔，须已登记",
            "optional. Codes of the items the inspector may inspect, each registered",
            "hdjs,qsxk",
        ),
        "status": Rule(
            "在岗、调离、退休、暂停执法之一；空白为在岗",
            "one of on_duty, transferred, retired, suspended (or the label); blank: on_duty",
            "在岗",
        ),
        "conflicts": Rule(
            "选填。已申报回避的检查对象（统一社会信用代码）；导入只能重复已登记的回避，"
            "申报或撤回回避请单独登记并说明理由",
            "optional. The declared conflicts, as the targets' codes; an import may only "
            "repeat them: each is declared or withdrawn on its own, with its reason",
            "",
        ),
    },
    "items": {
        "code": Rule("必填。" + _CODE_ZH, "required. " + _CODE_EN, "qsxk"),
        "name": Rule("必填，最长200字", "required, at most 200 characters", "取水许可监督检查"),
        "law": Rule(
            "必填，最长200字", "required, at most 200 characters", "《中华人民共和国水法》"
        ),
        "article": Rule("必填，最长64字", "required, at most 64 characters", "第四十八条"),
        "basis_text": Rule("选填，最长4000字", "optional, at most 4000 characters", ""),
        "division": Rule(
            "必填。责任处室的代码，须已登记", "required. The owning division's code", "szc"
        ),
        "executing_units": Rule(
            "选填。实施单位代码，多个用逗号分隔，须已登记",
            "optional. The executing units' codes, each registered",
            "szc,szy",
        ),
        "object_type": Rule("必填，最长64字", "required, at most 64 characters", "取水单位"),
        "checklist": Rule(
            "选填。检查内容，多条用分号分隔",
            "optional. Checklist lines, separated by ; or ；",
            "取水许可证；计量设施",
        ),
        "method": Rule(
            "现场检查、书面检查、网络检查、抽样检测，可多选；空白为现场检查",
            "on_site, documentary, online, sampling_test (or the labels); blank: on_site",
            "现场检查",
        ),
        "item_class": Rule(
            "重点事项或一般事项；空白为一般事项",
            "key or general (or the label); blank: general",
            "重点事项",
        ),
        "ratio_percent": Rule("选填，0到100的整数", "optional, a whole number 0 to 100", "10"),
        "frequency_per_year": Rule("选填，0到12的整数", "optional, a whole number 0 to 12", "1"),
    },
}

BLANK_AND_CLEAR = Rule(
    f"空白单元格不改变已登记的值；要清空一项，请填写 {CLEAR[0]}（或 {CLEAR[1]}）",
    f"a blank cell keeps the recorded value; to empty a field write {CLEAR[0]} (or {CLEAR[1]})",
    CLEAR[0],
)

__all__ = ["BLANK_AND_CLEAR", "RULES", "Rule"]
