"""The Chinese names of event types, roles and the rule audit's rules: the one table every page,
report and file that shows them to people reads (the verifier's report, the dispute file's
report, the annual assessment, the legal office's pages, the public column's draw record;
the ledger reads it as ``ledger.labels``).
``tests/ledger/test_labels.py`` fails if an event type of the catalogue, a role or a rule of the
audit (``verify/audit_log.RULES``) has no name here.
"""

from __future__ import annotations

EVENT_LABELS: dict[str, str] = {
    "ledger.created": "创建账本",
    "ledger.key_rotated": "轮换账本签名密钥",
    "ledger.key_revoked": "吊销账本签名密钥",
    "policy.set": "发布制度版本",
    "witness.added": "增加见证方",
    "witness.removed": "移除见证方",
    "division.created": "设立处室（单位）",
    "division.contact_named": "指定处室联络人",
    "official.registered": "登记工作人员",
    "official.roles_changed": "变更工作人员角色",
    "official.deactivated": "停用工作人员",
    "official.token_issued": "签发访问令牌",
    "official.token_revoked": "吊销访问令牌",
    "official.bound_to_inspector": "绑定执法人员身份",
    "item.registered": "登记抽查事项",
    "item.amended": "修改抽查事项",
    "item.withdrawn": "撤销抽查事项",
    "itemlist.published": "公布抽查事项清单",
    "target.registered": "登记检查对象",
    "target.updated": "更正检查对象信息",
    "target.status_changed": "变更检查对象状态",
    "target.personal_data_erased": "删除个人信息",
    "inspector.registered": "登记执法人员",
    "inspector.updated": "变更执法人员信息",
    "inspector.conflict_declared": "申报利害关系（回避）",
    "inspector.conflict_withdrawn": "撤回利害关系申报",
    "plan.drafted": "拟订抽查计划",
    "plan.amended": "修改抽查计划",
    "plan.reviewed": "分管领导审核计划",
    "plan.submitted": "报送计划至汇总处室",
    "plan.consolidated": "汇总计划",
    "plan.uploaded": "上传计划至省平台",
    "plan.withdrawn": "撤回抽查计划",
    "plan.rolled_over": "计划结转下月",
    "draw.opened": "开启抽取，承诺秘密随机数",
    "draw.population_frozen": "冻结抽取总体",
    "draw.seed_revealed": "揭示种子",
    "draw.targets_selected": "抽取检查对象",
    "draw.inspectors_assigned": "分配执法人员",
    "draw.inspector_substituted": "执法人员替换",
    "draw.partner_invited": "邀请联合检查部门",
    "draw.partner_accepted": "联合检查部门接受",
    "draw.partner_declined": "联合检查部门谢绝",
    "draw.partner_inspectors_assigned": "联合检查部门分配执法人员",
    "draw.partner_inspector_substituted": "联合检查部门执法人员替换",
    "draw.rolled_over": "未完成，结转下月",
    "draw.abandoned": "终止抽取",
    "directed.recorded": "登记定向（非随机）检查",
    "inspection.notified": "告知检查",
    "inspection.carried_out": "实施检查",
    "inspection.checklist_answered": "填写检查清单",
    "inspection.evidence_added": "添加检查证据",
    "inspection.result_recorded": "记录检查结果",
    "inspection.confirmation_recorded": "记录被检查对象确认",
    "inspection.followed_up": "后续处理",
    "inspection.closed": "检查办结",
    "publication.published": "公示检查结果",
    "publication.corrected": "更正公示",
    "publication.withdrawn": "撤回公示",
}

ROLE_LABELS: dict[str, str] = {
    "clerk": "经办人员",
    "division_head": "处室负责人",
    "leader_in_charge": "分管领导",
    "plan_aggregator": "计划汇总处室",
    "inspector": "执法人员",
    "auditor": "审计人员",
    "legal_office": "法制处",
    "admin": "系统管理员",
    "system": "系统（账本运营方）",
}


RULE_LABELS: dict[str, str] = {
    "frequency_cap": "年度检查频次上限",
    "team_size": "检查组人数",
    "team_composition": "检查组组成（名录内、抽中、在岗）",
    "recusal": "回避",
    "substitutions": "检查组替补次数",
    "qualification": "执法资格",
    "certificate": "执法证件当日有效",
    "plan_deadline": "计划报送与上传期限",
    "publication_deadline": "结果公示期限（工作日）",
    "plan_bounds": "抽取依计划且不超计划数量",
    "selection_inspected": "抽中对象在计划期内完成检查",
    "step_dates": "检查各环节日期先后有序",
    "coverage": "周期内检查全覆盖",
    "participation_staff": "执法人员参与比例",
    "participation_agency_rounds": "机关人员参与轮次比例",
    "event_time_order": "事件时间先后有序（服务器时钟未被调回）",
    "witnessed_time": "事件时间与见证方所见相符（未倒签）",
}


def event_label(event_type: str) -> str:
    """The Chinese name of an event type; an unknown type is shown as it is recorded."""
    return EVENT_LABELS.get(event_type, event_type)


def role_label(role: str) -> str:
    """The Chinese name of a role; an unknown role is shown as it is recorded."""
    return ROLE_LABELS.get(role, role)


# What each rule asks, in Chinese (the verifier's words in English: ``audit_log.RULES``).
RULE_ASKS: dict[str, str] = {
    "frequency_cap": "同一对象一年内被检查的次数不超过制度规定的上限",
    "team_size": "每个检查组、每次检查至少有制度规定人数的不同执法人员",
    "team_composition": "到场人员在执法人员名录内、在抽中的检查组内、在岗",
    "recusal": "任何人不检查其申报有利害关系的对象",
    "substitutions": "抽中的检查组替补次数不超过制度允许的次数",
    "qualification": "到场人员具备所检查每一事项的执法资格",
    "certificate": "执法证件在检查当日有效",
    "plan_deadline": "计划在制度规定的期限内报送和上传",
    "publication_deadline": "检查结果在制度规定的工作日内公示",
    "plan_bounds": "抽取依据计划，且不超过计划的数量",
    "selection_inspected": "抽中的对象在计划期结束前完成检查",
    "step_dates": "检查各环节的日期不早于其前一环节",
    "coverage": "处室的检查对象在周期内全部检查到",
    "participation_staff": "处室足够比例的执法人员参加了检查",
    "participation_agency_rounds": "足够比例的检查轮次有机关人员参加",
    "event_time_order": "事件时间不早于其前一事件（服务器时钟未被调回）",
    "witnessed_time": "事件时间不晚于见证方看到包含它的检查点，也不远早于见证方看到不含它的检查点",
}


def rule_label(rule: str) -> str:
    """The Chinese name of a rule of the audit; an unknown rule is shown as it is named."""
    return RULE_LABELS.get(rule, rule)
