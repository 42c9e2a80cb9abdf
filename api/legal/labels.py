"""What the legal pages call things, in Chinese, and where each entity's trail is."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from ..public_column.pages import EVENT_NAMES, china_time

# The trail page's entities: the path's plural → (the trail's kind, its name).
ENTITIES: dict[str, tuple[str, str]] = {
    "targets": ("target", "检查对象"),
    "draws": ("draw", "随机抽取"),
    "directed": ("directed", "定向检查记录"),
    "inspections": ("inspection", "检查"),
    "publications": ("publication", "公示"),
    "plans": ("plan", "抽查计划"),
    "inspectors": ("inspector", "执法检查人员"),
    "items": ("item", "抽查事项"),
    "officials": ("official", "工作人员（其所办事项）"),
}
# The trail's kind → its page's plural (the entities an act touches, and records).
PLURAL = {kind: path for path, (kind, _) in ENTITIES.items()}
# What a dispute file may be about, and the page's plural of each.
DISPUTE_KINDS = {"targets": "target", "draws": "draw", "inspections": "inspection"}
DISPUTE_KINDS["officials"] = "official"

ROLES = {
    "admin": "系统管理员",
    "auditor": "审计人员",
    "legal_office": "法制处",
    "clerk": "经办人员",
    "division_head": "处室负责人",
    "leader_in_charge": "分管领导",
    "plan_aggregator": "计划汇总处室",
    "inspector": "执法检查人员",
    "system": "账本运行方",
}
EVENTS = {
    **EVENT_NAMES,
    "directed.recorded": "记录定向（非随机）检查",
    "inspection.notified": "下达检查通知",
    "inspection.carried_out": "实施检查",
    "inspection.checklist_answered": "填写检查清单",
    "inspection.result_recorded": "记录检查结果",
    "inspection.confirmation_recorded": "记录被检查对象确认",
    "inspection.followed_up": "后续处置",
    "inspection.closed": "检查办结",
    "inspection.evidence_added": "添加证据",
    "publication.published": "公示结果",
    "publication.corrected": "更正公示",
    "publication.withdrawn": "撤回公示",
    "plan.drafted": "起草计划",
    "plan.reviewed": "审核计划",
    "plan.submitted": "报送计划",
    "plan.consolidated": "汇总计划",
    "plan.uploaded": "上传计划",
    "plan.amended": "修改计划",
    "plan.withdrawn": "撤回计划",
    "plan.rolled_over": "计划结转",
    "draw.abandoned": "终止抽取",
    "target.registered": "登记检查对象",
    "target.updated": "更新检查对象",
    "target.status_changed": "检查对象状态变更",
    "target.personal_data_erased": "删除个人信息",
    "inspector.registered": "登记执法检查人员",
    "inspector.updated": "更新执法检查人员",
    "inspector.conflict_declared": "申报回避",
    "inspector.conflict_withdrawn": "撤回回避申报",
    "item.registered": "登记抽查事项",
    "item.amended": "修改抽查事项",
    "item.withdrawn": "撤销抽查事项",
    "itemlist.published": "公布抽查事项清单",
    "policy.set": "设定政策版本",
}


def event_name(kind: str) -> str:
    """An event type in Chinese (the type itself when it has no name here)."""
    return EVENTS.get(kind, kind)


def role_name(role: str) -> str:
    return ROLES.get(role, role)


def links(touches: dict[str, list[str]]) -> list[dict[str, str]]:
    """The entities an act touches that have a trail page: ``{"path", "kind", "key"}``."""
    found = []
    for kind, keys in sorted(touches.items()):
        if kind not in PLURAL:
            continue
        for key in keys:
            found.append({"path": f"/legal/trail/{PLURAL[kind]}/{key}", "kind": kind, "key": key})
    return found


def record_path(record: dict[str, Any]) -> str | None:
    """The trail page of an act's own record, for the records that have one by id."""
    kind = record["kind"]
    if kind in ("draw", "directed", "inspection", "publication", "plan"):
        return f"/legal/trail/{PLURAL[kind]}/{record['id']}"
    return None


def current_year() -> int:
    """This year in China time (the annual assessment's default)."""
    return int(china_time(datetime.now().astimezone())[:4])


def commitment(acts: list[dict[str, Any]]) -> str | None:
    """The latest commitment to an individual's personal data among a trail's acts (their
    registration or correction), or None."""
    found = None
    for act in acts:
        person = act["payload"].get("person") if isinstance(act["payload"], dict) else None
        if isinstance(person, dict) and person.get("commitment"):
            found = str(person["commitment"])
    return found
