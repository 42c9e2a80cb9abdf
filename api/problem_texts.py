"""The Chinese words of every problem the service answers: the one table ``api/errors.py`` (and
the body limit, the upload gate and the routes that answer a problem themselves) read.

A problem's ``code`` (and its ``type``, ``urn:drawledger:problem:<code>``) is its stable,
English, machine-readable name: clients and tests match on it, never on the words. Its
``title`` and ``detail`` are for people, in Chinese: the title from ``TITLES`` by code; the
detail of a domain error from ``ledger.error_texts`` (beside the rules that raise them), of a
refused parameter or body from ``VALIDATION`` (by the validator's own error type), and of the
service's own refusals (the store, the router, the body limit) from here. A parameter, field,
record or rule is named as the service spells it (``limit``, ``target 9132…``); values are
quoted cut short (``ledger.errors.bounded``).
"""

from __future__ import annotations

import re
from typing import Any

from ledger.error_texts import error_text, field_text
from ledger.error_texts.words import OS_ERRORS
from ledger.registry.reports import ImportReport

TYPE_PREFIX = "urn:drawledger:problem:"

# code -> (status, title)
TITLES: dict[str, tuple[int, str]] = {
    "not_authenticated": (401, "未认证"),
    "forbidden": (403, "无权办理"),
    "too_many_failures": (429, "登录失败次数过多"),
    "not_found": (404, "未找到"),
    "no_such_path": (404, "没有此地址"),
    "method_not_allowed": (405, "不支持此请求方法"),
    "conflict": (409, "与已记录的内容冲突"),
    "body_too_large": (413, "请求体过大"),
    "bad_input": (422, "请求有误"),
    "as_of_not_supported": (422, "此处不支持按历史位置查询"),
    "import_refused": (422, "导入文件有误，未记录任何内容"),
    "tampered_event": (500, "存储的事件未通过校验"),
    "ledger_misconfigured": (500, "账本配置有误"),
    "read_model_mismatch": (500, "读模型与日志不一致"),
    "error": (500, "服务出错"),
    "read_models_behind": (503, "读模型正在追赶账本"),
    "not_sealed_yet": (503, "尚未封存"),
    "store_read_only": (503, "存储只读"),
    "store_full": (503, "存储已满"),
    "store_unavailable": (503, "存储不可用"),
    "read_models_damaged": (503, "读取模型已损坏"),
}

# The router's own answers (no such path, method not allowed, ...), by status.
ROUTER: dict[int, tuple[str, str]] = {
    404: ("no_such_path", "没有此地址：请核对路径（接口列表见 /docs）"),
    405: ("method_not_allowed", "此地址不接受该请求方法（接口列表见 /docs）"),
}

# The store's failures, told apart by the database's own words (SQLite: "attempt to write a
# readonly database", "database or disk is full"; PostgreSQL: "read-only transaction", "No space
# left on device", "could not extend file").
STORE: list[tuple[tuple[str, ...], str, str]] = [
    (
        ("readonly", "read-only", "read only"),
        "store_read_only",
        "数据库拒绝写入（文件、文件系统或服务器为只读）：请恢复为可写；已记录的内容仍可读取",
    ),
    (
        ("disk is full", "no space left", "could not extend file", "disk full"),
        "store_full",
        "存放数据库的磁盘已满：请释放空间或迁移数据目录；已记录的内容仍可读取",
    ),
]
STORE_UNAVAILABLE = "无法连接或使用数据库"
# The read models' SQLite file damaged under a running service (its pages overwritten, a disk
# fault): derived data; a start sets it aside and rebuilds it from the log.
READ_MODELS_DAMAGED = (
    "读取模型文件已损坏（它由账本日志派生，账本本身未受影响，命令照常记录）：请重启服务，"
    "启动时会把它另存为 readmodels.sqlite.damaged-<时间> 并从账本重建"
)
# SQLite's words for a damaged file
DAMAGED_WORDS = ("malformed", "not a database")

# A refused parameter or body field, by the validator's error type (pydantic's ``type``), its
# context (``ctx``) filling the braces.
VALIDATION: dict[str, str] = {
    "missing": "必须提供",
    "extra_forbidden": "不是可接受的字段（请检查拼写）",
    "string_type": "应为文本",
    "string_unicode": "应为有效的 Unicode 文本（不能解析为 Unicode）",
    "string_too_short": "至少 {min_length} 个字符",
    "string_too_long": "至多 {max_length} 个字符",
    "string_pattern_mismatch": "格式不符（应匹配 {pattern}）",
    "int_type": "应为整数",
    "int_parsing": "应为整数",
    "int_from_float": "应为整数，不能有小数",
    "int_parsing_size": "整数过大",
    "float_type": "应为数字",
    "float_parsing": "应为数字",
    "finite_number": "应为有限的数字",
    "bool_type": "应为 true 或 false",
    "bool_parsing": "应为 true 或 false",
    "greater_than": "应大于 {gt}",
    "greater_than_equal": "应不小于 {ge}",
    "less_than": "应小于 {lt}",
    "less_than_equal": "应不大于 {le}",
    "literal_error": "应为以下之一：{expected}",
    "enum": "应为以下之一：{expected}",
    "date_type": "应为日期（YYYY-MM-DD）",
    "date_parsing": "应为日期（YYYY-MM-DD）",
    "date_from_datetime_parsing": "应为日期（YYYY-MM-DD）",
    "date_from_datetime_inexact": "应为日期，不含时刻",
    "datetime_type": "应为时间（ISO 8601）",
    "datetime_parsing": "应为时间（ISO 8601）",
    "datetime_from_date_parsing": "应为时间（ISO 8601）",
    "timezone_aware": "应为带时区的时间",
    "uuid_type": "应为 UUID",
    "uuid_parsing": "应为 UUID",
    "list_type": "应为列表",
    "dict_type": "应为对象",
    "model_type": "应为对象",
    "model_attributes_type": "应为对象",
    "too_short": "至少 {min_length} 项",
    "too_long": "至多 {max_length} 项",
    "json_invalid": "不是有效的 JSON",
    "json_type": "应为 JSON 文本",
    "bytes_type": "应为文件或字节",
    "url_parsing": "应为网址",
    "url_type": "应为网址",
    "url_scheme": "网址协议应为 {expected_schemes}",
    "none_required": "应为空",
    "multiple_of": "应为 {multiple_of} 的倍数",
    "decimal_parsing": "应为数字",
}


def os_error_text(exc: OSError) -> str:
    """The Chinese reason a file or folder could not be used (``ledger.error_texts.words``; the
    system's own words, marked 原文, for an error number not in its table)."""
    text = OS_ERRORS.get(exc.errno or 0)
    return text if text is not None else f"系统错误（原文：{exc.strerror or exc}）"


def title(code: str) -> str:
    return TITLES[code][1]


def validation_text(error: dict[str, Any]) -> str:
    """The Chinese message of one refused parameter or field (a pydantic error)."""
    kind = str(error.get("type", ""))
    context = {k: _plain(v) for k, v in (error.get("ctx") or {}).items()}
    if kind == "value_error":  # one of the service's own text rules (``ledger.fields``)
        inner = str(context.get("error", "")) or re.sub(r"^Value error, ", "", error["msg"])
        return field_text(inner) or f"不符合规则（{inner}）"
    template = VALIDATION.get(kind)
    if template is None:
        return f"不符合规则（{error.get('msg', kind)}）"
    try:
        return template.format(**context)
    except (KeyError, IndexError):
        return template.split("{")[0].rstrip("：（ ") or template


def _plain(value: Any) -> Any:
    """A context value as the message names it: an expected choice list without English glue."""
    if isinstance(value, str):
        return re.sub(r"' or '", "'、'", value).replace(", '", "、'")
    return value


def domain_detail(code: str, message: str) -> str:
    """The Chinese detail of a domain error: its text from ``ledger.error_texts``; a message the
    table does not know yet is given after the title, in its own words (marked 原文)."""
    text = error_text(message)
    return text if text is not None else f"{title(code)}（原文：{message}）"


# The service's own faults (5xx), by code: what a person can do about them. What went wrong,
# in the program's English, is in the service's log only.
FAULTS: dict[str, str] = {
    "tampered_event": "存储中的事件或检查点未通过签名校验，可能被绕过账本改动：已停止处理此请求，"
    "请通知系统管理员核查（详情见服务日志）",
    "ledger_misconfigured": "账本的配置或密钥有误：请系统管理员核查数据目录与配置"
    "（详情见服务日志）",
    "read_model_mismatch": "读模型与账本日志不一致：请系统管理员重建读模型（详情见服务日志）",
    "error": "服务内部出错，请稍后重试；如仍出错，请联系系统管理员（详情见服务日志）",
}


def fault_detail(status: int, code: str, message: str) -> str:
    """The Chinese detail of a fault of the service: for a 500, what to do about a fault of its
    kind (what went wrong, which may name the store's insides, is for the log); for a 503 (the
    read models behind), the message's text if the tables know it. Never the English message."""
    text = error_text(message) if status != 500 else None
    if text is not None:
        return text
    if code == "read_model_mismatch":  # the read model's row the log disowns, by its position
        found = _MISMATCH_AT.search(message)
        if found:
            return f"账本位置 {found.group(1)} 处{FAULTS[code]}"
    return FAULTS.get(code, FAULTS["error"])


# "… at ledger position 247 …", "… position 12 is version …", "… the record at 31": the position
_MISMATCH_AT = re.compile(r"(?:position|record at|act at) (\d+)")


def rule_text(message: str) -> str:
    """The Chinese words of a rule a field, a cell or a row broke (a field's rule from
    ``ledger.error_texts.FIELD_TEXTS``, any other from its error table): what the CLI prints and
    the service answers for each bad row or field. A message the tables do not know yet is
    given in its own words, marked 原文, never passed off as Chinese."""
    return field_text(message) or error_text(message) or f"不符合规则（原文：{message}）"


_ROW = re.compile(r"row (?P<row>\d+): (?P<rest>.*)", re.DOTALL)


def warning_text(warning: str) -> str:
    """A warning (``row N: …`` for a row's) in Chinese; one the tables do not know yet is given
    in its own words, marked 原文."""
    match = _ROW.fullmatch(warning)
    rest = warning if match is None else match["rest"]
    text = field_text(rest) or error_text(rest) or f"提示（原文：{rest}）"
    return text if match is None else f"第 {match['row']} 行：{text}"


def report_answer(report: ImportReport) -> dict[str, Any]:
    """An import's report as the service answers it: the report's shape, each bad row's
    ``message`` and each warning in Chinese (``rule_text``, ``warning_text``: the words the CLI
    prints); codes, field names, columns and values as they were."""
    body = report.to_json()
    for problem in body["problems"]:
        problem["message"] = rule_text(problem["message"])
    body["warnings"] = [warning_text(w) for w in body["warnings"]]
    return body


def store_problem(text: str) -> tuple[str, str]:
    """The code and Chinese detail of a failed store, from the database's own words."""
    lowered = text.lower()
    for words, code, detail in STORE:
        if any(w in lowered for w in words):
            return code, detail
    return "store_unavailable", STORE_UNAVAILABLE


__all__ = [
    "ROUTER",
    "TITLES",
    "TYPE_PREFIX",
    "VALIDATION",
    "FAULTS",
    "domain_detail",
    "fault_detail",
    "os_error_text",
    "report_answer",
    "rule_text",
    "store_problem",
    "title",
    "validation_text",
    "warning_text",
]
