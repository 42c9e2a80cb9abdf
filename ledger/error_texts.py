"""The Chinese text of the ledger's errors: the one table the service's problem details
(``api/problem_texts.py``, ``api/errors.py``) and the legal office's pages read, kept beside the
rules that raise them (``ledger/errors.py`` and the aggregates, the registry, the draws).

An error's English message is its stable, logged form and does not change; its kind
(``BadInput``, ``Forbidden``…) gives the problem's machine-readable code. Here each message is
matched (whole) by a pattern and given in Chinese: the parameter, field, record or rule it names
and the value it quotes are kept as the message spells them (codes, positions, quoted values,
cut short later by ``ledger.errors.bounded``). A group whose name ends in ``_t`` is a message of
its own (a refusal quoted inside another) and is given in Chinese too. ``FIELD_TEXTS`` are the
rules of one field (``ledger.fields``), named after the field. A message no pattern matches is
shown by the service after the problem's Chinese title, in its own words.
"""

from __future__ import annotations

import re

# One field's rule (``ledger.fields.Fields``, ``text_problem``), after the field's name.
FIELD_TEXTS: list[tuple[str, str]] = [
    (r"is required", "必须填写"),
    (r"must not be empty", "不得为空"),
    (r"must be text", "应为文本"),
    (r"must be one of (?P<choices>.+)", "应为以下之一：{choices}"),
    (r"is longer than (?P<n>\d+) characters", "超过 {n} 个字符"),
    (r"must be true or false \(是/否\)", "应为 true 或 false（是/否）"),
    (r"must be a whole number", "应为整数"),
    (r"must be between (?P<low>\S+) and (?P<high>\S+)", "应在 {low} 到 {high} 之间"),
    (r"must be a date YYYY-MM-DD", "应为日期（YYYY-MM-DD）"),
    (
        r"(?P<code>'.*') is not a code \(letters, digits, \. _ -\)",
        "{code} 不是代码（字母、数字、. _ -）",
    ),
    (r"must not hold the control character (?P<u>U\+[0-9A-F]+)", "不得含控制字符 {u}"),
    (r"must not hold the lone surrogate (?P<u>U\+[0-9A-F]+)", "不得含孤立代理码位 {u}"),
    (r"is made only of invisible characters", "只有不可见字符（如零宽空格），读来为空"),
    (
        r"must be a code: lowercase letters, digits, \. _ - \(max 64\)",
        "应为代码：小写字母、数字、. _ -（至多 64 个字符）",
    ),
    (r"must be a table", "应为表（对象）"),
    (r"must be one of (?P<choices>.+) or absent", "应为以下之一：{choices}，或不填"),
    (
        r"must map each stratum \('all' without strata\) to a count from 0 to (?P<n>\d+)",
        "应为每个分层（不分层时为 'all'）给出 0 到 {n} 的数量",
    ),
    (r"a draw names at least one listed inspection item", "抽取须至少指明一项清单内的抽查事项"),
    (r"a plan names at least one listed inspection item", "计划须至少指明一项清单内的抽查事项"),
    (
        r"a partner names at least one of its own listed items",
        "联合检查部门须至少指明一项本部门清单内的抽查事项",
    ),
    (r"a new target is registered in business \(在营\)", "新登记的检查对象状态须为在营"),
    (r"a permit's validity dates need its number \(许可证号\)", "许可证有效期须同时填写许可证号"),
    (r"a required column is missing", "缺少必需的列"),
    (r"at least one role is required", "至少须有一个角色"),
    (
        r"is the certificate number of row (?P<row>\d+) too: certificate numbers are unique",
        "与第 {row} 行的执法证号相同：执法证号不得重复",
    ),
    (
        r"name at least one target \(credit code or kind:code\)",
        "须至少指明一个检查对象（统一社会信用代码或 类别:代码）",
    ),
    (r"name the listed inspection item\(s\)", "须指明清单内的抽查事项"),
    (r"no division or unit with code (?P<code>.+)", "没有代码为 {code} 的处室或单位"),
    (r"no inspection item (?P<item>.+)", "没有抽查事项 {item}"),
    (r"no such division", "没有此处室"),
    (r"no (?P<what>[a-z ]+) with code (?P<code>.+)", "没有代码为 {code} 的{what_zh}"),
    (r"repeats the column (?P<c>.+)", "与列 {c} 重复"),
    (
        r"the enforcement certificate expired on (?P<d>\S+); renew it before registering",
        "执法证已于 {d} 过期；请换证后再登记",
    ),
    (r"the permit starts after it ends \((?P<d>\S+)\)", "许可证起始日期晚于截止日期（{d}）"),
    (
        r"(?P<day>\S+) is in the future \(today is (?P<today>\S+)\)",
        "{day} 在未来（今天是 {today}）",
    ),
    (r"(?P<v>'.*') is not one of (?P<choices>.+)", "{v} 应为以下之一：{choices}"),
    (r"(?P<v>\S+) is before the order itself on (?P<on>\S+)", "{v} 早于该决定本身的日期 {on}"),
]

# A whole message of a domain error.
ERROR_TEXTS: list[tuple[str, str]] = [
    # who acts (ledger/registry/authority.py, ledger/registry/officials.py, api/deps.py)
    (
        r"this endpoint needs 'Authorization: Bearer <token>'",
        "此接口须带请求头 'Authorization: Bearer <令牌>'",
    ),
    (r"not a drawledger token", "不是本系统的访问令牌"),
    (r"unknown token", "未知的访问令牌"),
    (r"unknown or revoked token", "访问令牌未知或已吊销"),
    (r"official (?P<code>\S+) is deactivated and may not act", "工作人员 {code} 已停用，不得办理"),
    (r"official (?P<code>\S+) is deactivated", "工作人员 {code} 已停用"),
    (
        r"official (?P<code>\S+) \(roles: (?P<roles>.*)\) may not (?P<action>\S+): "
        r"it needs one of the roles (?P<allowed>.+)",
        "工作人员 {code}（角色：{roles}）无权办理 {action}：须具有以下角色之一：{allowed}",
    ),
    (
        r"official (?P<code>\S+) of division (?P<division>\S+) may not (?P<action>\S+): "
        r"(?P<whose_t>.+), which is not in their charge \(divisions in their charge: "
        r"(?P<under_t>.+)\)",
        "处室 {division} 的工作人员 {code} 无权办理 {action}：{whose_t}，不在其分管范围内"
        "（其分管处室：{under_t}）",
    ),
    (
        r"official (?P<code>\S+) of division (?P<division>\S+) may not (?P<action>\S+): "
        r"(?P<whose_t>.+); a division acts only on its own records \(谁审批谁监管\)",
        "处室 {division} 的工作人员 {code} 无权办理 {action}：{whose_t}；"
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
        r"official (?P<code>\S+) has no active token (?P<token>\S+)",
        "工作人员 {code} 没有有效的令牌 {token}",
    ),
    # the legal office's pages (api/legal/session.py)
    (
        r"a form of the legal pages is posted from their own pages only",
        "法制审核页面的表单只能从其自身页面提交",
    ),
    (
        r"a form of the legal pages is posted from (?P<own>\S+) only, not (?P<origin>\S+)",
        "法制审核页面的表单只能从 {own} 提交，而非 {origin}",
    ),
    (
        r"the form's csrf field is missing or wrong: reload the page and retry",
        "表单的 csrf 字段缺失或有误：请刷新页面后重试",
    ),
    # reading as of a position (api/as_of.py, ledger)
    (
        r"(?P<p>as_of|from position) (?P<as_of>\S+): the log has positions 1 to (?P<head>\d+)"
        r"(?P<more>; (?:positions start at 1|\S+ is beyond its head))?",
        "{p} {as_of}：日志的位置为 1 到 {head}{more_zh}",
    ),
    (
        r"as_of (?P<as_of>.+?): (?P<at>.+) is in the future \(now is (?P<now>.+)\); "
        r"the ledger can answer only for what is recorded",
        "as_of {as_of}：{at} 在未来（现在是 {now}）；账本只能回答已记录的内容",
    ),
    (r"as_of (?P<as_of>.+?): the ledger holds no event yet", "as_of {as_of}：账本尚无事件"),
    (
        r"as_of (?P<as_of>.+?): (?P<at>.+) is before the ledger existed \(its first event, at "
        r"position (?P<first>\d+), was recorded at (?P<when>.+)\)",
        "as_of {as_of}：{at} 早于账本的建立（其第一个事件位于位置 {first}，记录于 {when}）",
    ),
    (
        r"as_of (?P<as_of>.+?): not a ledger position \(1, 2, \.\.\.\), a date \(2026-11-30\) "
        r"or a date and time in China time \(2026-11-30T10:00\)",
        "as_of {as_of}：应为账本位置（1、2……）、日期（2026-11-30）或北京时间的日期和时刻"
        "（2026-11-30T10:00）",
    ),
    (r"as_of (?P<as_of>.+?): (?P<v>.+) is not a time of day", "as_of {as_of}：{v} 不是时刻"),
    (r"as_of (?P<as_of>.+?): (?P<v>.+) is not a date", "as_of {as_of}：{v} 不是日期"),
    (r"as_of (?P<as_of>.+?): (?P<v>.+) is not a UTC offset", "as_of {as_of}：{v} 不是 UTC 时差"),
    (
        r"the log holds no event at or before position (?P<p>\d+)",
        "日志在位置 {p} 及之前没有事件",
    ),
    (
        r"as_of is not supported on GET (?P<route>\S+): (?P<reason>.+)",
        "GET {route} 不支持 as_of（按历史位置查询）：{reason}",
    ),
    (r"no policy was in force at position (?P<at>\d+)", "位置 {at} 时尚无生效的制度"),
    # the read models (projections/follower.py)
    (
        r"the read models are catching up with the ledger \(at position (?P<at>[\d,]+) of "
        r"(?P<head>[\d,]+), (?P<behind>[\d,]+) events behind\): retry in about (?P<s>\d+) s",
        "读模型正在追赶账本（位于位置 {at}，账本共 {head}，落后 {behind} 个事件）："
        "请约 {s} 秒后重试",
    ),
    # transparency (api/routes/transparency.py, ledger/sealer.py, ledger/witnesses.py)
    (
        r"the ledger holds no event at position (?P<at>\d+) \(it ends at (?P<head>\d+)\)",
        "账本在位置 {at} 没有事件（账本止于位置 {head}）",
    ),
    (
        r"give either position \(a ledger position\) or index \(a leaf index\)",
        "position（账本位置）与 index（叶子序号）只能给其一",
    ),
    (
        r"give position \(a ledger position\) or index \(a leaf index\)",
        "请给出 position（账本位置）或 index（叶子序号）",
    ),
    (r"nothing has been sealed yet", "尚未封存任何内容"),
    (r"nothing is sealed yet: there is nothing to export", "尚未封存任何内容：没有可导出的内容"),
    (r"no checkpoint was signed at tree size (?P<size>\d+)", "没有在树大小 {size} 处签署的检查点"),
    (
        r"leaf (?P<leaf>\d+) is not in the tree of size (?P<size>\d+)",
        "叶子 {leaf} 不在大小为 {size} 的树中",
    ),
    (
        r"no consistency proof from size (?P<old>\d+) to (?P<new>\d+)",
        "没有从大小 {old} 到 {new} 的一致性证明",
    ),
    (r"not a signature line: (?P<e>.+)", "不是签名行：{e}"),
    (r"(?P<who>\S+) is not a witness of this ledger", "{who} 不是本账本的见证方"),
    (
        r"cosignature does not verify over checkpoint (?P<size>\d+): (?P<e>.*)",
        "对检查点 {size} 的联署签名验证不通过：{e}",
    ),
    (r"(?P<who>\S+) has cosigned checkpoint (?P<size>\d+) already", "{who} 已联署检查点 {size}"),
    (r"witness (?P<key>\S+) (?P<state>.+)", "见证方 {key}：{state}"),
    (
        r"reason: say why the witness is removed \(it is recorded\)",
        "reason：须说明移除见证方的理由（将被记录）",
    ),
    # queries (projections, api/routes/queries.py)
    (
        r"limit must be between 1 and (?P<n>\d+) and offset 0 or more",
        "limit 应在 1 到 {n} 之间，offset 应不小于 0",
    ),
    (
        r"show (?P<show>'.*'): must be one of (?P<choices>.+)",
        "show {show}：应为以下之一：{choices}",
    ),
    (r"items: no inspection item (?P<item>'.*')", "items：没有抽查事项 {item}"),
    (r"no item list has been published yet", "尚未公布抽查事项清单"),
    (r"there is no item to publish", "没有可公布的抽查事项"),
    # the registry (ledger/registry)
    (r"no division with code (?P<code>'.*'|\S+)", "没有代码为 {code} 的处室"),
    (
        r"no (?P<what>[a-z ]+) with (?:id or code|code|id) (?P<code>'.*'|\S+) at position "
        r"(?P<at>\d+)",
        "位置 {at} 时没有编号或代码为 {code} 的{what_zh}",
    ),
    (
        r"no (?P<what>[a-z ]+) with (?:id or code|code|id) (?P<code>'.*'|\S+)",
        "没有编号或代码为 {code} 的{what_zh}",
    ),
    (
        r"(?P<what>[a-z ]+) (?P<code>'.*'|\S+) did not exist yet at position (?P<at>\d+): it was "
        r"registered at position (?P<then>\d+)",
        "位置 {at} 时{what_zh} {code} 尚不存在：其登记于位置 {then}",
    ),
    (
        r"no act touches (?P<what>[a-z ]+?) (?P<code>\S+) \(as of position (?P<at>\d+)\)",
        "截至位置 {at}，没有涉及{what_zh} {code} 的行为",
    ),
    (r"no published item list number (?P<n>\d+)", "没有编号为 {n} 的已公布抽查事项清单"),
    (
        r"no plan, draw, inspection or publication of (?P<year>\d+) in the ledger as of position "
        r"(?P<at>\d+): nothing to assess",
        "截至位置 {at}，账本中没有 {year} 年的计划、抽取、检查或公示：无可考核的内容",
    ),
    (r"event at notification id (?P<n>\d+) is not sealed yet", "位置 {n} 的事件尚未封存"),
    (r"division (?P<code>\S+) exists already", "处室 {code} 已存在"),
    (r"official (?P<code>\S+) exists already", "工作人员 {code} 已存在"),
    (
        r"official code (?P<code>\S+) is the ledger's operator's",
        "工作人员代码 {code} 为账本运维人员专用",
    ),
    (
        r"target (?P<kind>\S+) (?P<key>\S+) is registered already; send a correction to change it",
        "检查对象（{kind}）{key} 已登记；如需修改请提交更正",
    ),
    (
        r"inspector (?P<code>\S+) is registered already; send a correction",
        "执法人员 {code} 已登记；如需修改请提交更正",
    ),
    (r"item (?P<code>\S+) is registered already", "抽查事项 {code} 已登记"),
    (r"item (?P<code>\S+) is withdrawn", "抽查事项 {code} 已撤销"),
    (
        r"the correction changes nothing on target (?P<code>\S+)",
        "此更正未改变检查对象 {code} 的任何信息",
    ),
    (
        r"the correction changes nothing on inspector (?P<code>\S+)",
        "此更正未改变执法人员 {code} 的任何信息",
    ),
    (
        r"target fields (?P<f>.+) cannot be changed; register another target",
        "检查对象的字段 {f} 不可更改；请登记另一检查对象",
    ),
    (r"inspector fields (?P<f>.+) cannot be changed", "执法人员的字段 {f} 不可更改"),
    (r"status (?P<s>'.*') is not one of (?P<choices>.+)", "状态 {s} 应为以下之一：{choices}"),
    (r"target (?P<code>\S+) is (?P<s>\S+) already", "检查对象 {code} 的状态已是 {s}"),
    (
        r"inspector (?P<code>\S+) has declared a conflict with (?P<t>\S+) already",
        "执法人员 {code} 已申报与 {t} 存在利害关系",
    ),
    (
        r"inspector (?P<code>\S+) has no declared conflict with (?P<t>\S+)",
        "执法人员 {code} 未申报与 {t} 存在利害关系",
    ),
    (
        r"target (?P<code>\S+) is a (?P<kind>\S+): only an individual's \(个人\) personal data "
        r"is kept, and can be erased",
        "检查对象 {code} 为{kind}：只有个人（个人）的个人信息才会保存，也才能删除",
    ),
    (r"the personal data of (?P<code>\S+) was erased already", "{code} 的个人信息已删除"),
    (
        r"no personal data is held for (?P<ref>\S+) \(never kept, or erased\)",
        "未保存 {ref} 的个人信息（从未保存或已删除）",
    ),
    (
        r"roles (?P<roles>.+): each must be one of (?P<choices>.+)",
        "角色 {roles}：每项应为以下之一：{choices}",
    ),
    (
        r"registry (?P<kind>'.*') is not one of (?P<choices>.+)",
        "名录 {kind} 应为以下之一：{choices}",
    ),
    (r"headers (?P<h>'.*') must be one of (?P<choices>.+)", "表头 {h} 应为以下之一：{choices}"),
    (r"actor\.official must not be empty", "actor.official 不得为空"),
    (r"actor\.department must not be empty", "actor.department 不得为空"),
    # plans and draws (ledger/plans, ledger/draws)
    (r"no draw with id (?P<id>\S+)", "没有编号为 {id} 的抽取"),
    (r"(?P<text>'.*') is not a draw id", "{text} 不是抽取编号"),
    (r"plan: (?P<p>'.*') is not a plan id", "plan：{p} 不是计划编号"),
    (
        r"cannot (?P<doing>.+): the plan is (?P<status>\S+); this step needs (?P<allowed>.+)",
        "无法{doing}：计划状态为 {status}；此步骤须为 {allowed}",
    ),
    (r"the plan is withdrawn already", "计划已撤回"),
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
        r"plan (?P<plan>\S+) is (?P<s>\S+); draws follow uploaded plans",
        "计划 {plan} 的状态为 {s}；只有已上传的计划才能抽取",
    ),
    (r"items (?P<items>.+) are not in plan (?P<plan>\S+)", "抽查事项 {items} 不在计划 {plan} 中"),
    (r"no targets were selected", "未抽中任何检查对象"),
    (r"target (?P<t>\S+) was not selected in this draw", "检查对象 {t} 未在本次抽取中被抽中"),
    (
        r"inspector (?P<i>\S+) is not on the team for (?P<t>\S+)",
        "执法人员 {i} 不在检查对象 {t} 的检查组中",
    ),
    (
        r"cannot (?P<doing>.+): the (?P<topic>\S+) is at step '(?P<step>[^']*)'"
        r"(?P<already>(?: already)?), this step needs '(?P<expected>[^']*)'",
        "无法{doing}：该{topic}处于步骤“{step}”，此步骤须为“{expected}”",
    ),
    (
        r"cannot (?P<doing>.+): the lead division has not selected the targets yet \(the draw "
        r"is at step '(?P<step>[^']*)'\); partners assign inspectors for selected targets",
        "无法{doing}：牵头处室尚未抽取检查对象（抽取处于步骤“{step}”）；联合检查部门只为已抽中的对象分配执法人员",
    ),
    (r"the draw was abandoned already \((?P<r>.*)\)", "抽取已终止（{r}）"),
    (
        r"cannot (?P<doing>.+): the draw was abandoned(?: at step '(?P<s>[^']*)')? \((?P<r>.*)\)",
        "无法{doing}：抽取已终止（{r}）",
    ),
    (r"the draw rolled over into (?P<m>\S+) already", "抽取已结转至 {m}"),
    (r"the plan rolled over into (?P<m>\S+) already", "计划已结转至 {m}"),
    (
        r"division (?P<d>\S+) was invited to this draw already \((?P<s>.*)\)",
        "处室 {d} 已被邀请参加本次抽取（{s}）",
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
    (r"division (?P<d>\S+) cannot (?P<doing>[^:]+): (?P<why>.+)", "处室 {d} 无法{doing}：{why}"),
    (
        r"items: item (?P<code>\S+) belongs to division (?P<d>\S+) (?P<rest>.+)",
        "items：抽查事项 {code} 属于处室 {d}（原文：{rest}）",
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
    # inspections and publications (ledger/inspections)
    (r"channel: must be one of (?P<choices>.+)", "channel：应为以下之一：{choices}"),
    (
        r"the correction publishes exactly the content already published",
        "此更正公示的内容与已公示的完全相同",
    ),
    (r"cannot (?P<doing>.+) the publication: it was withdrawn", "无法{doing}该公示：已撤回"),
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
}
_PROBLEM = re.compile(r"(?P<field>[^=;]+)=(?P<value>.*?): (?P<message>[^;]+)")


def field_text(message: str) -> str | None:
    """The Chinese text of one field's rule (``ledger.fields``), or None if not in the table."""
    return _fill(_FIELDS, message.strip())


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
                values[name] = error_text(value) or value
        values["what_zh"] = RECORDS.get(values.get("what", ""), values.get("what", ""))
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


__all__ = ["ERROR_TEXTS", "FIELD_TEXTS", "RECORDS", "error_text", "field_text"]
