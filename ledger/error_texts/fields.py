"""The Chinese text of one field's rule (``ledger.fields``, ``ledger/policy_rules.py``),
after the field's name: part of ``ledger.error_texts``."""

from __future__ import annotations

FIELD_TEXTS: list[tuple[str, str]] = [
    (
        r"is not a column of the (?P<zh_registry>\S+) layout; the columns are (?P<c>.+)",
        "不是{zh_registry}名录格式中的列；规定的列为：{c}",
    ),
    (
        r"is recorded already with another document; a new version needs a new name",
        "已以另一份文件记录；新版本须使用新的名称",
    ),
    (r"is required", "必须填写"),
    (r"is empty", "为空"),
    (r"must not be empty", "不得为空"),
    (r"must be text", "应为文本"),
    (
        r"must be one of (?P<choices>.+) \(or their labels (?P<labels>.+)\)",
        "应为以下之一：{labels}（或其代码 {choices}）",
    ),
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
    # the policy's rules (ledger/policy_rules.py)
    (
        r"is a weekday: workdays lists only the weekend days worked \(调休\)",
        "是工作日：workdays 只列出调休上班的周末",
    ),
    (r"is listed both as a holiday and as a make-up working day", "同时被列为假日和调休工作日"),
    (r"is listed twice", "重复列出"),
    (r"is missing \(write \[\] for none\)", "缺失（没有时写 []）"),
    (r"is not a quoted date 'YYYY-MM-DD'", "不是带引号的日期 'YYYY-MM-DD'"),
    (r"must be a day of the year as 'MM-DD'", "应为 'MM-DD' 格式的日期"),
    (r"must be a list of dates 'YYYY-MM-DD'", "应为日期 'YYYY-MM-DD' 的列表"),
    (r"must be a list of texts", "应为文本的列表"),
    (r"must be a list of the keys whose values are inferred", "应为其值为推定的键的列表"),
    (
        r"must be a non-empty text naming this version \(max 100\)",
        "应为命名此版本的非空文本（至多 100 个字符）",
    ),
    (r"must be a non-empty text", "应为非空文本"),
    (r"must be a table of credit class = weight", "应为“信用等级 = 权重”的表"),
    (r"must be a table with holidays and workdays", "应为含 holidays 和 workdays 的表"),
    (
        r"must be a year from 2004 to 2100, written as '2027'",
        "应为 2004 到 2100 之间的年份，写作 '2027'",
    ),
    (r"must list the year's holidays \(元旦 at least\)", "须列出该年的假日（至少有元旦）"),
    (r"names a division twice", "重复指明同一处室"),
    (r"names no key of the policy", "未指明制度中的任何键"),
    (
        r"say override = true \(and source = the State Council notice it follows\)",
        "请写明 override = true（并以 source 注明所依据的国务院通知）",
    ),
    (
        r"chinesecalendar already knows (?P<y>\d+); a table that replaces its schedule must "
        r"(?P<r>.+)",
        "chinesecalendar 已有 {y} 年的安排；替换其安排的表须写明 override = true 及依据",
    ),
    (r"must not be more than (?P<k>\S+) \((?P<v>.+)\)", "不得大于 {k}（{v}）"),
    (
        r"the weight of class (?P<c>\S+) must be a whole number from 1 to 10",
        "信用等级 {c} 的权重应为 1 到 10 之间的整数",
    ),
    (r"unknown key \((?:a policy holds|known:) (?P<k>.+)\)", "未知的键（可用的键：{k}）"),
    (r"(?P<v>'.*') is not one of (?P<choices>.+)", "{v} 应为以下之一：{choices}"),
    (r"(?P<u>.+) not one of (?P<a>.+)", "{u} 不是以下之一：{a}"),
    (r"(?P<c>'.*') is not a credit class \((?P<a>.+)\)", "{c} 不是信用等级（{a}）"),
    (r"(?P<m_t>.+) \(the divisions in their charge\)", "{m_t}（其分管的处室）"),
    (
        r"credit code (?P<c>'.*'): expected 18 characters, got (?P<n>\d+)",
        "统一社会信用代码 {c}：应为 18 个字符，实为 {n} 个",
    ),
    (r"credit code (?P<c>'.*'): (?P<why_t>.+)", "统一社会信用代码 {c}：{why_t}"),
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
        r"is the certificate of inspector (?P<holder>\S+): certificate numbers are unique",
        "是执法人员 {holder} 的执法证号：执法证号不得重复",
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
    # an import's rows (ledger/registry/importer.py, changes.py)
    (r"duplicate of row (?P<row>\d+)", "与第 {row} 行重复（同一对象在文件中出现两次）"),
    (
        r"differs from the recorded status (?P<s>'.*'): a status is changed with its reason "
        r"\(POST /targets/\{id\}/status\), not by an import",
        "与已记录的状态 {s} 不同：状态须连同理由另行变更（POST /targets/{{id}}/status），"
        "不能通过导入变更",
    ),
    (
        r"differs from the recorded conflicts: each is declared or withdrawn with its reason "
        r"\(POST /inspectors/\{code\}/conflicts\), not by an import",
        "与已记录的利害关系不同：每项利害关系须连同理由申报或撤回"
        "（POST /inspectors/{{code}}/conflicts），不能通过导入变更",
    ),
    (
        r"a new inspector has no declared conflicts yet: declare each with its reason",
        "新登记的执法人员尚无已申报的利害关系：请连同理由逐项申报",
    ),
    (
        r"renames (?P<old>'.*'), a target that has been drawn: the published draw names it; "
        r"record the rename as a correction with its reason \(POST /targets/\{id\}/corrections\)",
        "将已被抽中的检查对象 {old} 改名：已公示的抽取结果载有原名称；请以更正连同理由记录改名"
        "（POST /targets/{{id}}/corrections）",
    ),
    (
        r"differs from the individual's recorded name (?P<old>'.*'): an individual's name is "
        r"personal data that an import does not correct",
        "与已记录的个人姓名 {old} 不同：个人姓名属个人信息，导入不予更正",
    ),
    (
        r"the enforcement certificate expired on (?P<d>\S+); renew it before registering",
        "执法证已于 {d} 过期；请换证后再登记",
    ),
    (r"the permit starts after it ends \((?P<d>\S+)\)", "许可证起始日期晚于截止日期（{d}）"),
    (
        r"(?P<day>\S+) is in the future \(today is (?P<today>\S+)\)",
        "{day} 在未来（今天是 {today}）",
    ),
    (r"(?P<v>\S+) is before the order itself on (?P<on>\S+)", "{v} 早于该决定本身的日期 {on}"),
]
