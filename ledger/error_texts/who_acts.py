"""The Chinese text of the refusals of who may act (``ledger/registry/authority.py``, tokens,
the legal office's pages, ``verify/identity_rules.py``): part of ``ledger.error_texts``."""

from __future__ import annotations

# The rules quoted inside refusals (verify/identity_rules.py), in Chinese.
BOUND = (
    "工作人员只能以人事部门为其绑定的那一名执法人员的身份办理"
    "（official.bound_to_inspector；执法身份不得借用）"
)
SHARED = (
    "工作人员代码与执法人员代码不得相同；工作人员与执法人员只通过 official.bound_to_inspector 关联"
)

WHO_ACTS: list[tuple[str, str]] = [
    # four eyes on a plan (ledger/plans/aggregate.py, verify/authority_rules.PLAN_AUTHORING)
    (
        r"official (?P<o>\S+) drafted or amended this plan and may not review it: a plan is "
        r"reviewed by another official",
        "工作人员 {o} 拟订或修改了该计划，不能审核：计划须由拟订、修改人以外的工作人员审核",
    ),
    # directed inspections (verify/authority_rules.py)
    (
        r"item (?P<c>'.*') is not a listed inspection item: no inspection without one",
        "{c} 不是清单内的抽查事项：没有事项不得检查",
    ),
    (
        r"item (?P<c>\S+) belongs to division (?P<o>\S+), and (?P<d>\S+) is not among its "
        r"executing units: a division inspects only under its own items \(谁审批谁监管\)",
        "抽查事项 {c} 属于处室 {o}，{d} 不是其执行单位：各处室只依本处室的事项检查（谁审批谁监管）",
    ),
    (r"target (?P<k>\S+) is not in the registry", "检查对象 {k} 不在名录中"),
    (
        r"target (?P<k>\S+) is in the charge of division (?P<o>\S+), not (?P<d>\S+), and no named "
        r"item that (?P=d) executes jointly with (?P=o) covers it \(谁审批谁监管\)",
        "检查对象 {k} 由处室 {o} 管辖，而非 {d}，且所列事项中没有 {d} 与 {o} 共同执行的事项"
        "（谁审批谁监管）",
    ),
    # who acts (ledger/registry/authority.py, ledger/registry/officials.py, api/deps.py)
    (
        r"this endpoint needs 'Authorization: Bearer <token>'",
        "此接口须带请求头 'Authorization: Bearer <令牌>'",
    ),
    (r"not a drawledger token", "不是本系统的访问令牌"),
    (r"unknown token", "未知的访问令牌"),
    (
        r"too many refused tokens from this address: try again in (?P<n>\d+) s",
        "该地址登录失败（访问令牌被拒绝）次数过多，请 {n} 秒后再试",
    ),
    (r"unknown or revoked token", "访问令牌未知或已吊销"),
    (r"official (?P<code>\S+) is deactivated and may not act", "工作人员 {code} 已停用，不得办理"),
    (r"official (?P<code>\S+) is deactivated", "工作人员 {code} 已停用"),
    (
        r"token (?P<t>\S+) of official (?P<code>\S+) expired on (?P<d>.+) \(China time\): "
        r"ask for a new one \(drawledger token issue\)",
        "工作人员 {code} 的访问令牌 {t} 已于 {d}（北京时间）过期：请向管理员申请新令牌"
        "（drawledger token issue）",
    ),
    (
        r"--days (?P<n>-?\d+): a token lives from 1 to (?P<m>\d+) days "
        r"\(the policy's tokens.max_days\)",
        "--days {n}：令牌有效期须为 1 至 {m} 天（规则的 tokens.max_days）",
    ),
    (
        r"--label (?P<l>.+): at most (?P<m>\d+) printable characters",
        "--label {l}：令牌标签至多 {m} 个可打印字符",
    ),
    (
        r"official (?P<code>\S+) \(roles: (?P<zh_roles>.*)\) may not (?P<zh_act>\S+): "
        r"it needs one of the roles (?P<zh_roles2>.+)",
        "工作人员 {code}（角色：{zh_roles}）无权{zh_act}：须具有以下角色之一：{zh_roles2}",
    ),
    (
        r"official (?P<code>\S+) of division (?P<division>\S+) may not (?P<zh_act>\S+): "
        r"(?P<whose_t>.+), which is not in their charge \(divisions in their charge: "
        r"(?P<under_t>.+)\)",
        "处室 {division} 的工作人员 {code} 无权{zh_act}：{whose_t}，不在其分管范围内"
        "（其分管处室：{under_t}）",
    ),
    (
        r"official (?P<code>\S+) of division (?P<division>\S+) may not (?P<zh_act>\S+): "
        r"(?P<whose_t>.+); a division acts only on its own records \(谁审批谁监管\)",
        "处室 {division} 的工作人员 {code} 无权{zh_act}：{whose_t}；"
        "各处室只办理本处室的记录（谁审批谁监管）",
    ),
    (
        r"move a record of division (?P<division>\S+) to division (?P<to>\S+) "
        r"\(an act over both\)",
        "将处室 {division} 的记录移至处室 {to}（须同时有权办理两处室的记录）",
    ),
    (r"act on a record of division (?P<division>\S+)", "办理处室 {division} 的记录"),
    (
        r"none besides their own: the policy's \[leaders\] names none",
        "仅本处室：制度的 [leaders] 未指定分管处室",
    ),
    (
        r"the operator acts on the request of (?P<code>\S+), who may not: (?P<why_t>.+)",
        "运维人员受 {code} 的书面请求办理，但 {code} 本人无权办理：{why_t}",
    ),
    (
        r"the ledger's operator records (?P<zh_act>\S+) only on a written request by an official "
        r"who may do it \(the policy in force: \[authority\] operator_on_request\): .+",
        "账本运维人员只有在有权办理的工作人员书面请求时才能{zh_act}（现行制度：[authority] "
        "operator_on_request）：请用 --on-request-of CODE 指明请求人（并用 --request-ref 指明书面"
        "请求），或持工作人员的凭据以其身份办理（--as CODE 并给出 --token-file FILE 或 "
        "DRAWLEDGER_TOKEN）",
    ),
    (
        r"the ledger's operator may not record (?P<zh_act>\S+) \(the policy in force: "
        r"\[authority\] operator lets it record (?P<zh_act2>.+) on its own, and "
        r"operator_on_request (?P<zh_act3>.+) on a written request\): .+",
        "账本运维人员不得{zh_act}（现行制度：[authority] operator 允许其自行记录：{zh_act2}；"
        "operator_on_request 允许其受书面请求记录：{zh_act3}）：请持工作人员的凭据以其身份办理"
        "（--as CODE 并给出 --token-file FILE 或 DRAWLEDGER_TOKEN）",
    ),
    (
        r"official (?P<code>\S+) has no active token (?P<token>\S+)",
        "工作人员 {code} 没有有效的令牌 {token}",
    ),
    # the service's own pages (api/page_session.py)
    (
        r"a form of the pages under (?P<path>\S+) is posted from their own pages only",
        "{path} 下页面的表单只能从其自身页面提交",
    ),
    (
        r"a form of the pages under (?P<path>\S+) is posted from (?P<own>\S+) only, "
        r"not (?P<origin>\S+)",
        "{path} 下页面的表单只能从 {own} 提交，而非 {origin}",
    ),
    (
        r"official (?P<code>\S+) \(roles: (?P<roles>.*)\) may not use the registry office's "
        r"pages: they are for the officials who may write a registry",
        "工作人员 {code}（角色：{roles}）不能使用登记办理页面：该页面供可维护检查对象、执法人员"
        "或抽查事项名录的工作人员使用",
    ),
    (
        r"the form's csrf field is missing or wrong: reload the page and retry",
        "表单的 csrf 字段缺失或有误：请刷新页面后重试",
    ),
    # who may act as an inspector (verify/identity_rules.py, ledger/registry/identities.py)
    (
        r"official (?P<o>\S+) is bound to no roster inspector and may not act in the inspector "
        r"role: .+",
        "工作人员 {o} 未绑定执法人员名录中的执法人员，不得以执法人员角色办理：" + BOUND,
    ),
    (
        r"official (?P<o>\S+) is bound to inspector (?P<i>\S+), who is not on this inspection's "
        r"team \((?P<team>.*)\): .+",
        "工作人员 {o} 绑定的执法人员 {i} 不在本次检查的检查组（{team}）中：" + BOUND,
    ),
    (
        r"official (?P<o>\S+) is bound to inspector (?P<i>\S+) and cannot record in the name of "
        r"(?P<n>\S+): .+",
        "工作人员 {o} 绑定的是执法人员 {i}，不能以 {n} 的名义记录：" + BOUND,
    ),
    (
        r"(?P<kind>official|inspector) code (?P<c>\S+) is the code of (?P<other>.+?) (?P=c): .+",
        "{kind_zh}代码 {c} 与{other_zh} {c} 的代码相同：" + SHARED,
    ),
    (
        r"official (?P<o>\S+) is bound to roster inspector (?P<i>\S+) of unit (?P<old>\S+) and may "
        r"not move to division (?P<new>\S+): .+",
        "工作人员 {o} 绑定了单位 {old} 的执法人员 {i}，不得调至处室 {new}：请注销该账号，"
        "在 {new} 另行绑定新账号（" + BOUND + "）",
    ),
    (
        r"roster inspector (?P<i>\S+) is bound to official (?P<o>\S+) of division (?P<old>\S+) and "
        r"may not move to unit (?P<new>\S+): .+",
        "执法人员 {i} 绑定了处室 {old} 的工作人员 {o}，不得调至单位 {new}：请先注销该账号，"
        "再在 {new} 另行绑定（" + BOUND + "）",
    ),
    (r"no inspector (?P<i>\S+) on the roster", "执法人员名录中没有 {i}"),
    (
        r"official (?P<o>\S+) does not hold the inspector role: only an official who acts as an "
        r"inspector is bound to one",
        "工作人员 {o} 不具有执法人员角色：只有以执法人员身份办理的工作人员才绑定执法人员",
    ),
    (
        r"official (?P<o>\S+) is bound to inspector (?P<i>\S+) already",
        "工作人员 {o} 已绑定执法人员 {i}",
    ),
    (
        r"inspector (?P<i>\S+) is bound to official (?P<o>\S+) already: one roster inspector, one "
        r"official",
        "执法人员 {i} 已绑定工作人员 {o}：一名执法人员只对应一名工作人员",
    ),
    (
        r"official (?P<o>\S+) is of division (?P<d>\S+), inspector (?P<i>\S+) of unit (?P<u>\S+): "
        r"an official is bound only to an inspector of their own unit \(.+\)",
        "工作人员 {o} 属处室 {d}，执法人员 {i} 属单位 {u}：工作人员只能绑定本单位的执法人员"
        "（" + BOUND + "）",
    ),
]
