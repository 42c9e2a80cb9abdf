"""The Chinese text of the errors of plans and draws (``ledger/plans``, ``ledger/draws``,
``verify/plan_rules.py``, ``verify/draw_rules.py``): part of ``ledger.error_texts``."""

from __future__ import annotations

PLANS_DRAWS: list[tuple[str, str],] = [
    # plans and draws (ledger/plans, ledger/draws)
    (r"no draw with id (?P<id>\S+)", "没有编号为 {id} 的抽取"),
    (r"(?P<text>'.*') is not a draw id", "{text} 不是抽取编号"),
    (r"plan: (?P<p>'.*') is not a plan id", "plan：{p} 不是计划编号"),
    (
        r"cannot (?P<doing>.+): the plan is (?P<zh_plan>\S+); this step needs (?P<zh_plan2>.+)",
        "无法{doing}：计划状态为{zh_plan}；此步骤须为{zh_plan2}",
    ),
    (r"the plan is withdrawn already", "计划已撤回"),
    (
        r"plan (?P<p>\S+) cannot be withdrawn: its draw (?P<d>\S+) revealed its seed, so its "
        r"outcome is known; drawing again under another plan is what a plan's bound stops",
        "计划 {p} 不能撤回：其抽取 {d} 已揭示种子，结果已知；撤回后另行计划再抽，"
        "正是计划数量所要阻止的重抽",
    ),
    (r"reason: an amendment states why", "reason：修改须说明理由"),
    (r"reason: a withdrawal states why", "reason：撤回须说明理由"),
    (r"reason: a correction states what was wrong", "reason：更正须说明错在何处"),
    (
        r"reason: a substitution states why \(recusal, absence, \.\.\.\)",
        "reason：替换须说明理由（回避、缺席等）",
    ),
    (r"reason: a division that declines says why", "reason：谢绝的处室须说明理由"),
    (
        r"reason: abandoning a draw states why \(it is published\)",
        "reason：终止抽取须说明理由（将公示）",
    ),
    (
        r"plan (?P<plan>\S+) belongs to division (?P<d>\S+); a division draws only for its own "
        r"plans \(谁审批谁监管\)",
        "计划 {plan} 属于处室 {d}；各处室只为本处室的计划抽取（谁审批谁监管）",
    ),
    (
        r"plan (?P<plan>\S+) is (?P<zh_plan>\S+); draws follow uploaded plans",
        "计划 {plan} 的状态为{zh_plan}；只有已上传的计划才能抽取",
    ),
    (r"items (?P<items>.+) are not in plan (?P<plan>\S+)", "抽查事项 {items} 不在计划 {plan} 中"),
    (r"no targets were selected", "未抽中任何检查对象"),
    (r"target (?P<t>\S+) was not selected in this draw", "检查对象 {t} 未在本次抽取中被抽中"),
    (
        r"inspector (?P<i>\S+) is not on the team for (?P<t>\S+)",
        "执法人员 {i} 不在检查对象 {t} 的检查组中",
    ),
    (
        r"cannot (?P<doing>.+): the (?P<topic>\S+) is at step '(?P<zh_step>[^']*)'"
        r"(?P<already>(?: already)?), this step needs '(?P<zh_step2>[^']*)'",
        "无法{doing}：该{topic_zh}处于步骤“{zh_step}”，此步骤须为“{zh_step2}”",
    ),
    (
        r"cannot (?P<doing>.+): the lead division has not selected the targets yet \(the draw "
        r"is at step '(?P<zh_step>[^']*)'\); partners assign inspectors for selected targets",
        "无法{doing}：牵头处室尚未抽取检查对象（抽取处于步骤“{zh_step}”）；"
        "联合检查部门只为已抽中的对象分配执法人员",
    ),
    (r"the draw was abandoned already \((?P<r>.*)\)", "抽取已终止（{r}）"),
    (
        r"cannot (?P<doing>.+): the draw was abandoned(?: at step '(?P<s>[^']*)')? \((?P<r>.*)\)",
        "无法{doing}：抽取已终止（{r}）",
    ),
    (r"the draw rolled over into (?P<m>\S+) already", "抽取已结转至 {m}"),
    (r"the plan rolled over into (?P<m>\S+) already", "计划已结转至 {m}"),
    (
        r"division (?P<d>\S+) was invited to this draw already \((?P<zh_partner>.*)\)",
        "处室 {d} 已被邀请参加本次抽取（{zh_partner}）",
    ),
    (
        r"division (?P<d>\S+) was not invited to this draw; only a division the lead "
        r"division \((?P<lead>\S+)\) invited takes part in its joint inspection",
        "处室 {d} 未被邀请参加本次抽取；只有牵头处室（{lead}）邀请的处室才参加联合检查",
    ),
    (
        r"division: (?P<d>\S+) leads this draw; it invites other divisions",
        "division：{d} 是本次抽取的牵头处室；由其邀请其他处室",
    ),
    (
        r"division (?P<d>\S+) cannot (?P<doing>[^:]+): (?P<why_t>.+)",
        "处室 {d} 无法{doing}：{why_t}",
    ),
    (r"it has not accepted the invitation", "尚未接受邀请"),
    (r"it has not assigned its inspectors", "尚未分配执法人员"),
    (r"it declined the invitation", "已谢绝邀请"),
    (r"it has assigned its inspectors already", "已分配执法人员"),
    (
        r"it has (?P<zh_partner>\S+) already; an invitation is answered once",
        "其状态已是“{zh_partner}”；邀请只能答复一次",
    ),
    (
        r"(?:entropy_sources: )?a draw commits to a public beacon round scheduled after the "
        r"freeze, or to a ceremony of at least (?P<n>\d+) parties, or both",
        "抽取须承诺冻结之后公布的公共信标轮次，或至少 {n} 方参与的仪式，或两者兼有",
    ),
    (
        r"items: item (?P<code>\S+) belongs to division (?P<d>\S+) \(executed by no unit\); "
        r"(?P<zh_who>.+) only for items it owns or executes \(谁审批谁监管\)",
        "items：抽查事项 {code} 属于处室 {d}（无其他执行单位）；"
        "只能就本处室所有或执行的事项{zh_who}（谁审批谁监管）",
    ),
    (
        r"items: item (?P<code>\S+) belongs to division (?P<d>\S+) \(executed by (?P<u>.+)\); "
        r"(?P<zh_who>.+) only for items it owns or executes \(谁审批谁监管\)",
        "items：抽查事项 {code} 属于处室 {d}（执行单位：{u}）；只能就本处室所有或执行的事项{zh_who}"
        "（谁审批谁监管）",
    ),
    (
        r"items: item (?P<code>\S+) is withdrawn from the list",
        "items：抽查事项 {code} 已从清单撤销",
    ),
    (
        r"items: no inspection item (?P<code>'.*'): (?P<rest>.+)",
        "items：没有抽查事项 {code}：没有事项不得检查",
    ),
    (r"targets: not in the registry: (?P<t>.+)", "targets：不在名录中：{t}"),
    # draws (ledger/draws, verify/draw_rules)
    (r"team_size: (?P<e_t>.+)", "team_size：{e_t}"),
    (
        r"beacon\.scheduled_at: round (?P<r>\S+) of (?P<s>\S+) is scheduled at (?P<at>\S+), not "
        r"after now \((?P<now>.+)\); name a round to be published after the freeze",
        "beacon.scheduled_at：{s} 的第 {r} 轮定于 {at}，不晚于现在（{now}）；"
        "请指定冻结之后才公布的轮次",
    ),
    (
        r"division (?P<d>\S+) may not record this directed inspection: (?P<why_t>.+)",
        "处室 {d} 不得登记此定向检查：{why_t}",
    ),
    (
        r"strata (?P<s>.+) have no eligible target; counts name (?P<c>.+)",
        "分层 {s} 没有符合条件的检查对象；counts 指定的是 {c}",
    ),
    (
        r"stratum (?P<s>'.*'): (?P<k>\d+) targets asked, only (?P<n>\d+) eligible(?: "
        r"\((?P<x>\d+) excluded in scope\))?",
        "分层 {s}：要求抽取 {k} 个检查对象，符合条件的只有 {n} 个",
    ),
    (
        r"this draw was opened without entropy sources \(a beacon round or ceremony "
        r"commitments\): its seed could be steered; abandon it and open a new draw",
        "本次抽取开启时没有熵源（信标轮次或仪式承诺）：其种子可能被操纵；请终止并重新开启抽取",
    ),
    (
        r"the draw was due to be revealed by (?P<t>.+); it can only be abandoned now \(.+\)",
        "抽取应在 {t} 之前揭示种子；现在只能终止（POST /draws/{{id}}/abandon，"
        "由处室负责人说明理由）",
    ),
    (r"the draw stops: (?P<e_t>.+)", "抽取停止：{e_t}"),
    (
        r"cannot abandon the draw: its teams are assigned; a member who cannot go is substituted "
        r"\(step 6\), nothing is re-drawn",
        "无法终止抽取：检查组已分配；不能到场的成员予以替换（第 6 步），不重新抽取",
    ),
    (r"the nonce of draw (?P<d>\S+) is not held by this ledger", "本账本未保存抽取 {d} 的随机数"),
    (r"beacon_value: this draw named no beacon round", "beacon_value：本次抽取未指定信标轮次"),
    (
        r"beacon_value: give the value published by (?P<s>\S+) for round (?P<r>\S+) \(scheduled "
        r"(?P<at>.+)\)",
        "beacon_value：请给出 {s} 第 {r} 轮公布的值（定于 {at}）",
    ),
    (
        r"contributions: must map each ceremony party to its contribution",
        "contributions：应为每个仪式参与方给出其贡献值",
    ),
    (
        r"contributions: parties (?P<g>.+) given, the draw committed to (?P<c>.+)",
        "contributions：给出的参与方为 {g}，抽取承诺的参与方为 {c}",
    ),
    (
        r"contribution of (?P<p>.+): must be 64 lowercase hex digits",
        "{p} 的贡献值：应为 64 位小写十六进制数",
    ),
    (
        r"contribution of (?P<p>.+) hashes to (?P<f>\S+); (?P=p) committed to (?P<c>\S+) before "
        r"the freeze",
        "{p} 的贡献值哈希为 {f}；{p} 在冻结前承诺的是 {c}",
    ),
    (
        r"public entropy has (?P<d>\d+) digits; at least (?P<m>\d+) are needed \(.+\)",
        "公开熵只有 {d} 位；至少需要 {m} 位（例如在见证下掷骰）",
    ),
    (
        r"weight of (?P<t>'.*') must be a whole number ≥ 1, got (?P<w>.+)",
        "{t} 的权重应为不小于 1 的整数，实为 {w}",
    ),
    (
        r"target (?P<t>\S+): only (?P<n>\d+) eligible inspectors for a team of (?P<s>\d+) "
        r"\(skipped: (?P<k>.*)\)",
        "检查对象 {t}：符合条件的执法人员只有 {n} 名，检查组需要 {s} 名（跳过：{k}）",
    ),
    (
        r"target (?P<t>\S+): no eligible inspector is left for a substitution",
        "检查对象 {t}：已没有可替换的符合条件的执法人员",
    ),
    # plans (ledger/plans)
    (r"period (?P<p>'.*'): (?P<e_t>.+)", "period {p}：{e_t}"),
    (r"month (?P<m>'.*'): (?P<e_t>.+)", "month {m}：{e_t}"),
    (r"only a monthly plan rolls over into the next month", "只有月度计划才结转至下月"),
    (
        r"plan (?P<p>\S+): draw (?P<d>\S+) drew this population already; .+",
        "计划 {p}：抽取 {d} 已抽过此总体；只有先前的抽取说明理由终止后才能重新抽取",
    ),
    (r"plan (?P<p>\S+) bounds its draws: (?P<o>.+?) \(.+\)", "计划 {p} 限定了其抽取数量：{o}"),
    (
        r"coverage_cycle_years (?P<y>'.*'): must be a whole number of years",
        "coverage_cycle_years {y}：应为整数年",
    ),
    (
        r"coverage_cycle_years (?P<y>\S+): the policy allows (?P<a>\d+) year\(s\), or up to "
        r"(?P<m>\d+) where a division's targets are many",
        "coverage_cycle_years {y}：制度允许 {a} 年，检查对象较多的处室至多 {m} 年",
    ),
    (
        r"the policy in force \((?P<v>.+)\) has plans\.monthly_rollover off",
        "现行制度（{v}）关闭了 plans.monthly_rollover（月度结转）",
    ),
    (
        r"month (?P<m>\S+) ends on (?P<d>\S+); its unfinished work rolls over after",
        "{m} 月止于 {d}；其未完成的工作在此之后结转",
    ),
    (r"plan fields (?P<f>.+) do not exist; fields: (?P<a>.+)", "计划没有字段 {f}；现有字段：{a}"),
    # plans' periods (verify/plan_rules.py)
    (
        r"a plan is annual or monthly, not (?P<k>'.*')",
        "计划应为年度（annual）或月度（monthly），而非 {k}",
    ),
    (
        r"an? (?P<k>annual|monthly) plan names (?:a year \(2027\)|a month of a year \(2027-03\)), "
        r"written exactly so \(a four-digit year, a two-digit month, no spaces, nothing else\)",
        "{k_zh}计划须写明{form_zh}，格式严格如此（四位年份、两位月份，不含空格及其他字符）",
    ),
    (
        r"the year must be from (?P<a>\d+) to (?P<b>\d+)",
        "年份应在 {a} 到 {b} 之间",
    ),
    (r"there is no month (?P<m>\d+): months are 01 to 12", "没有 {m} 月：月份为 01 到 12"),
]
