"""The Chinese text of the errors of inspections and publications (``ledger/inspections``,
``ledger/publications``, ``verify/inspection_rules.py``): part of ``ledger.error_texts``."""

from __future__ import annotations

INSPECTIONS: list[tuple[str, str]] = [
    # inspections and publications (ledger/inspections, ledger/publications)
    (r"unknown result category (?P<c>'.*')", "未知的检查结果类别 {c}"),
    (
        r"confirmed on (?P<a>\S+), before the inspection on (?P<b>\S+)",
        "确认日期 {a} 早于检查日期 {b}",
    ),
    (r"unknown follow-up (?P<f>'.*')", "未知的后续处理 {f}"),
    (
        r"result (?P<r>'.*') found a problem: its follow-up cannot be 'none'",
        "检查结果 {r} 发现了问题：后续处理不能为 'none'",
    ),
    (
        r"'corrected' needs an 'order_to_correct' follow-up first",
        "'corrected'（已整改）之前须先有 'order_to_correct'（责令整改）",
    ),
    (
        r"'penalty_decided' needs a 'case_filed' follow-up first",
        "'penalty_decided'（已作处罚决定）之前须先有 'case_filed'（已立案）",
    ),
    (r"the inspection is closed: evidence can no longer be added", "检查已办结：不能再添加证据"),
    (
        r"result (?P<r>'.*') found a problem: record its follow-up before closing",
        "检查结果 {r} 发现了问题：办结前须记录后续处理",
    ),
    (
        r"sha256: (?P<v>'.*') is not 64 lower-case hex digits",
        "sha256：{v} 不是 64 位小写十六进制数",
    ),
    (r"file: the evidence file is empty", "file：证据文件为空"),
    (
        r"file: (?P<n>\S+) bytes is more than the (?P<m>\S+) allowed",
        "file：{n} 字节，超过允许的 {m}",
    ),
    (
        r"sha256: the file's SHA-256 is (?P<a>\S+), not the declared (?P<b>\S+): .+",
        "sha256：文件的 SHA-256 为 {a}，而非申报的 {b}：文件在传输中被改动或截断；未存储任何内容",
    ),
    (
        r"no evidence file with SHA-256 (?P<h>\S+) in the store",
        "存储中没有 SHA-256 为 {h} 的证据文件",
    ),
    (
        r"source: (?P<s>'.*') is not a draw or directed-inspection id",
        "source：{s} 不是抽取或定向检查的编号",
    ),
    (r"(?P<s>\S+) is neither a draw nor a directed inspection", "{s} 既不是抽取，也不是定向检查"),
    (r"notified_on: (?P<e_t>.+)", "notified_on：{e_t}"),
    (
        r"the inspection of (?P<t>\S+) by (?P<s>\S+) is open already \((?P<i>.+)\)",
        "{s} 对 {t} 的检查已开启（{i}）",
    ),
    (
        r"draw (?P<d>\S+) has not assigned inspectors yet \(at '(?P<zh_step>[^']*)'\)",
        "抽取 {d} 尚未分配执法人员（处于“{zh_step}”）",
    ),
    (
        r"division (?P<v>\S+) has drawn no inspectors in draw (?P<d>\S+) \(partner status: "
        r"(?P<zh_partner>.+)\)",
        "处室 {v} 未在抽取 {d} 中抽取执法人员（联合检查状态：{zh_partner}）",
    ),
    (r"target (?P<t>\S+) was not drawn in draw (?P<d>\S+)", "检查对象 {t} 未在抽取 {d} 中被抽中"),
    (r"present: (?P<e_t>.+)", "present：{e_t}"),
    (
        r"answers: a list of \{question, answer, note\} is required",
        "answers：须为 {{question, answer, note}} 的列表",
    ),
    (r"answers(?P<i>\[\d+\])?: (?P<e_t>.*)", "answers{i}：{e_t}"),
    (
        r"recorded_by: name the inspector present who records the result",
        "recorded_by：须指明记录结果的到场执法人员",
    ),
    (
        r"this ledger has no evidence store \(no data directory\)",
        "本账本没有证据存储（无数据目录）",
    ),
    (
        r"the (?P<zh_channel>\S+) publication of inspection (?P<i>\S+) exists \((?P<k>.+)\); "
        r"correct or withdraw it instead",
        "检查 {i} 的{zh_channel}公示已存在（{k}）；请更正或撤回",
    ),
    (
        r"cannot count the publication deadline: (?P<e_t>.+); the result stays confirmed and "
        r"is published once an administrator records that year's table with 'drawledger "
        r"policy set' \(docs/POLICY.md\)",
        "无法计算公示期限：{e_t}。结果仍为已确认，待系统管理员用 drawledger policy set 记录该年的"
        "工作日表（见 docs/POLICY.md）后即可公示",
    ),
    (r"cannot count the publication deadline: (?P<e_t>.+)", "无法计算公示期限：{e_t}"),
    (
        r"no working-day calendar for (?P<y>\d+): chinesecalendar (?P<v>\S+) does not know it "
        r"and the policy has no override for it \(add \[calendar\.years\.\"\d+\"\] "
        r"holidays = \[\.\.\.\], workdays = \[\.\.\.\]\)",
        "没有 {y} 年的工作日历：chinesecalendar {v} 不含该年，现行制度也没有该年的表"
        '（须按国务院办公厅 {y} 年部分节假日安排增加 [calendar.years."{y}"] 的 holidays 放假日期'
        "和 workdays 调休上班日期）",
    ),
    (
        r"cannot publish the result of inspection (?P<i>\S+): it is at step "
        r"'(?P<zh_step>[^']*)'; .+",
        "无法公示检查 {i} 的结果：其处于步骤“{zh_step}”；"
        "结果须经被检查方确认（或记录其拒绝确认）后才公示",
    ),
    (
        r"cannot publish to the double-publicity column: inspection (?P<i>\S+) has no penalty "
        r"decision \(follow-up 'penalty_decided'\)",
        "无法在“双公示”栏目公示：检查 {i} 没有处罚决定（后续处理 'penalty_decided'）",
    ),
    # an inspection's steps (verify/inspection_rules.py, ledger/inspections/service.py)
    (
        r"(?P<day>\S+) is before (?P<what_t>.+) on (?P<on>\S+): no step of an inspection is dated "
        r"before the step it follows(?P<more> \(a target is notified once it was drawn\))?",
        "{day} 早于{what_t}的日期 {on}：检查的各步骤不得早于其前一步骤",
    ),
    (r"draw (?P<d>\S+) assigned its inspectors", "抽取 {d} 分配执法人员"),
    (r"directed inspection (?P<d>\S+) was decided", "定向检查 {d} 作出决定"),
    (r"the notice", "告知"),
    (r"the visit", "实施检查"),
    (r"the party's confirmation", "被检查方确认"),
    (r"the follow-up (?P<k>'.*')", "后续处理 {k}"),
    (
        r"(?P<m>'.*') is not a method of this inspection's items \(they allow (?P<a>.+)\)",
        "{m} 不是本次检查事项允许的方式（允许：{a}）",
    ),
    (r"not answered: (?P<q>.+)", "未回答：{q}"),
    (r"not a question of this inspection's items: (?P<q>.+)", "不是本次检查事项的问题：{q}"),
    (r"answered more than once: (?P<q>.+)", "重复回答：{q}"),
    (
        r"teams of (?P<n>\d+): the policy in force asks at least (?P<m>\d+) inspectors",
        "检查组为 {n} 人：现行制度要求至少 {m} 名执法人员",
    ),
    (
        r"at least (?P<m>\d+) different certified inspectors take part in an inspection; got "
        r"(?P<g>.+)",
        "每次检查须有至少 {m} 名不同的持证执法人员参加；实为 {g}",
    ),
    (r"no inspector (?P<c>\S+) in the roster", "执法人员名录中没有 {c}"),
    (
        r"inspector (?P<c>\S+) is not on the drawn team \((?P<t>.*)\)(?P<rest>.*)",
        "执法人员 {c} 不在抽取的检查组（{t}）中，也不是已记录的替换人员",
    ),
    (r"inspector (?P<c>\S+) is not qualified for (?P<i>.+)", "执法人员 {c} 不具备 {i} 的执法资格"),
    (
        r"inspector (?P<c>\S+) is (?P<zh_inspector>\S+), not on duty",
        "执法人员 {c} 的状态为{zh_inspector}，不在岗",
    ),
    (
        r"inspector (?P<c>\S+)'s enforcement certificate (?:expired on (?P<d>\S+)|states no "
        r"validity date), so it is not valid for the inspection on (?P<on>\S+)",
        "执法人员 {c} 的执法证已过期或未注明有效期，{on} 的检查当日无效",
    ),
    (
        r"(?P<r>\S+) was not on the team present at this inspection \((?P<p>.*)\): only they may "
        r"record what it found",
        "{r} 不在本次检查的到场检查组（{p}）中：只有到场人员才能记录检查发现",
    ),
    (
        r"target (?P<t>\S+) is not named in directed inspection (?P<s>\S+)",
        "定向检查 {s} 未指明检查对象 {t}",
    ),
    (
        r"directed inspection (?P<s>\S+) is for division (?P<d>\S+)",
        "定向检查 {s} 属于处室 {d}",
    ),
    # inspections and publications (ledger/inspections)
    (r"channel: must be one of (?P<choices>.+)", "channel：应为以下之一：{choices}"),
    (
        r"the correction publishes exactly the content already published",
        "此更正公示的内容与已公示的完全相同",
    ),
    (r"cannot (?P<doing>.+) the publication: it was withdrawn", "无法{doing}该公示：已撤回"),
]
