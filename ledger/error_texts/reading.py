"""The Chinese text of the errors of reading: as of a position, lists, trails, dispute files
(``ledger/as_of.py``, ``projections``): part of ``ledger.error_texts``."""

from __future__ import annotations

READING: list[tuple[str, str]] = [
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
    # reading (projections)
    (
        r"no state 'as of' a position is kept for (?P<zh_registry>\S+) entries",
        "{zh_registry}条目不保存按位置的历史状态",
    ),
    (
        r"no division (?P<d>'.*') in the ledger as of position (?P<p>\d+)",
        "截至位置 {p}，账本中没有处室 {d}",
    ),
    (r"format (?P<f>'.*'): must be one of (?P<c>.+)", "format {f}：应为以下之一：{c}"),
    (
        r"a dispute file is about one of (?P<c>.+), not (?P<k>'.*')",
        "争议文件只能针对 {c} 之一，而非 {k}",
    ),
    (r"name the (?P<what>\S+) the dispute file is about", "须指明争议文件针对的{what_zh}"),
    (r"official (?P<o>\S+): (?P<why_t>.+)", "工作人员 {o}：{why_t}"),
    (r"a checkpoint to prove consistency with: (?P<e_t>.+)", "用于证明一致性的检查点：{e_t}"),
    (
        r"a checkpoint to prove consistency with must be one of this ledger's \((?P<l>.+)\) of "
        r"size "
        r"1 to (?P<n>\d+); found (?P<f>.+) of size (?P<s>\d+)",
        "用于证明一致性的检查点须为本账本（{l}）大小 1 到 {n} 的检查点；实为 {f}，大小 {s}",
    ),
    (r"limit (?P<l>\S+): must be between 1 and (?P<n>\d+)", "limit {l}：应在 1 到 {n} 之间"),
    (r"offset (?P<o>\S+): must not be negative", "offset {o}：不得为负数"),
    (
        r"after and offset cannot be combined: after already says where to start",
        "after 与 offset 不能同时使用：after 已指明从何处开始",
    ),
    (
        r"offset (?P<o>\S+): at most (?P<m>\S+) \(an offset page reads every entry it skips\); "
        r"for deeper pages pass after= the next of the page before",
        "offset {o}：至多 {m}（按 offset 翻页会读取跳过的每一条）；更深的页请用 after= "
        "上一页给出的 next",
    ),
    (
        r"after (?P<a>'.*'): no (?P<what>[a-z ]+) with that id or code",
        "after {a}：没有此编号或代码的{what_zh}",
    ),
    (r"no (?P<what>[a-z ]+) number (?P<n>\d+)", "没有编号为 {n} 的{what_zh}"),
    (
        r"q (?P<q>'.*'): at least (?P<n>\d+) characters to look inside names and codes .+",
        "q {q}：在名称和代码中查找至少需要 {n} 个字符（更短的文字会读遍所有检查对象）；"
        "或用 district、division、kind、status、credit_class 或 item 缩小范围",
    ),
    (r"q (?P<q>'.*'): (?P<e_t>.+)", "q {q}：{e_t}"),
    (r"kind (?P<k>'.*'): must be one of (?P<c>.+)", "kind {k}：应为以下之一：{c}"),
    (
        r"no act touches (?P<x>\S+) \(as of position (?P<p>\d+)\)",
        "截至位置 {p}，没有涉及 {x} 的行为",
    ),
    (
        r"official (?P<o>\S+) of division (?P<d>\S+) may read only their own division's trail: "
        r"no act of (?P<what>[a-z ]+?) (?P<x>\S+) is in division (?P<e>\S+)",
        "处室 {d} 的工作人员 {o} 只能查阅本处室的行为记录：{what_zh} {x} 的行为都不在处室 {e}",
    ),
    (
        r"official (?P<o>\S+) of division (?P<d>\S+) may read only the trails of their own "
        r"division and those in their charge: no act of (?P<what>[a-z ]+?) (?P<x>\S+) is in "
        r"divisions (?P<e>.+)",
        "处室 {d} 的工作人员 {o} 只能查阅本处室及其分管处室的行为记录："
        "{what_zh} {x} 的行为都不在处室 {e}",
    ),
    (
        r"no policy version (?P<v>'.*') was set \(versions: (?P<a>.*)\)",
        "没有设定过制度版本 {v}（已有版本：{a}）",
    ),
    (r"(?P<n>\S+) (?P<v>'.*'): must be one of (?P<c>.+)", "{n} {v}：应为以下之一：{c}"),
    (
        r"encoding (?P<e_t>'.*'): it must be one of (?P<c>.+)",
        "encoding {e_t}：应为以下之一：{c}",
    ),
    # dispute files (verify/authority_rules.py)
    (
        r"a dispute file is written by (?P<zh_roles>.+?) only \(dispute\.write\); roles held: "
        r"(?P<zh_roles2>.+)",
        "争议文件只能由{zh_roles}编写（dispute.write）；所具有的角色：{zh_roles2}",
    ),
    (
        r"a dispute file about (?P<s>.+?) is written by (?P<zh_roles>.+?) only: the roles held "
        r"\((?P<zh_roles2>.*)\) write one about (?P<a>.+)",
        "关于{s_zh}的争议文件只能由{zh_roles}编写：所具有的角色（{zh_roles2}）只能编写关于{a_zh}的争议文件",
    ),
]
