"""The Chinese text of the registry's errors and of its import files (``ledger/registry``,
``api/importing.py``): part of ``ledger.error_texts``."""

from __future__ import annotations

REGISTRY: list[tuple[str, str]] = [
    # credit codes (verify/uscc.py); the organisation code's warnings
    (
        r"credit code (?P<c>\S+): organisation code check digit is (?P<d>'.'), GB 11714 "
        r"expects (?P<e>'.') \(kept: some issued codes fail this check\)",
        "统一社会信用代码 {c}：组织机构代码的校验位为 {d}，GB 11714 规定应为 {e}"
        "（仍予保留：部分已核发的代码不符合此校验）",
    ),
    (
        r"credit code (?P<c>\S+): positions 9-16 are not a GB 11714 organisation code",
        "统一社会信用代码 {c}：第 9 至 16 位不是 GB 11714 组织机构代码",
    ),
    (
        r"credit code (?P<c>\S+): expected 18 characters, got (?P<n>\d+)",
        "统一社会信用代码 {c}：应为 18 个字符，实为 {n} 个",
    ),
    (
        r"credit code (?P<c>\S+): character (?P<x>'.*') at position (?P<p>\d+) is not in the "
        r"GB 32100 alphabet \(0-9 and A-Y without I, O, S, V, Z\)",
        "统一社会信用代码 {c}：第 {p} 位的字符 {x} 不在 GB 32100 字符集中（0-9 及除 I、O、S、V、Z "
        "外的 A-Y）",
    ),
    (
        r"credit code (?P<c>\S+): check character is (?P<x>'.*'), expected (?P<e>'.*')",
        "统一社会信用代码 {c}：校验码为 {x}，应为 {e}",
    ),
    # an individual's cells that are personal data (ledger/registry/targets.py, parse_target)
    (
        r"legal_representative is not kept for an individual \(personal data\): the cell is "
        r"left out",
        "个人（自然人）目标不记录法定代表人（个人信息）：该格未予记录",
    ),
    (
        r"address is not kept for an individual \(personal data\): the cell is left out",
        "个人（自然人）目标不记录地址（个人信息）：该格未予记录",
    ),
    # the registry (ledger/registry)
    (r"no division with code (?P<code>'.*'|\S+)", "没有代码为 {code} 的处室"),
    (
        r"no individual with reference (?P<ref>\S+)",
        "没有编号为 {ref} 的个人（个体工商户）：请核对 person-… 编号或本人身份证号码",
    ),
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
    (
        r"the file chosen is not the file previewed \(its SHA-256 differs\): preview it "
        r"first, then record it from the preview's page",
        "所选文件与预览的文件不同（SHA-256 不一致）：请先预览该文件，再在预览页上确认记录",
    ),
    (r"official (?P<code>\S+) exists already", "工作人员 {code} 已存在"),
    (
        r"official code (?P<code>\S+) is the ledger's operator's",
        "工作人员代码 {code} 为账本运维人员专用",
    ),
    (
        r"target (?P<zh_kind>\S+) (?P<key>\S+) is registered already; send a correction to "
        r"change it",
        "检查对象（{zh_kind}）{key} 已登记；如需修改请提交更正",
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
    (
        r"target (?P<code>\S+) is (?P<zh_target>\S+) already",
        "检查对象 {code} 的状态已是“{zh_target}”",
    ),
    (
        r"inspector (?P<code>\S+) has declared a conflict with (?P<t>\S+) already",
        "执法人员 {code} 已申报与 {t} 存在利害关系",
    ),
    (
        r"inspector (?P<code>\S+) has no declared conflict with (?P<t>\S+)",
        "执法人员 {code} 未申报与 {t} 存在利害关系",
    ),
    (
        r"target (?P<code>\S+) is a (?P<zh_kind>\S+): only an individual's \(个人\) personal data "
        r"is kept, and can be erased",
        "检查对象 {code} 为{zh_kind}：只有个人的个人信息才会保存，也才能删除",
    ),
    (r"the personal data of (?P<code>\S+) was erased already", "{code} 的个人信息已删除"),
    (
        r"individual (?P<code>\S+): personal data erased, not exported",
        "个人 {code} 的个人信息已删除，未导出",
    ),
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
    # the registry (ledger/registry)
    (
        r"the (?P<zh_registry>\S+) file is refused and nothing of it was recorded: (?P<why_t>.+)",
        "{zh_registry}名录文件被拒绝，未记录任何内容：{why_t}",
    ),
    (
        r"rows (?P<r>\d+ \([^)]*\)(?:, \d+ \([^)]*\))*) and (?P<n>\d+) more: (?P<m_t>.+)",
        "第 {r} 行及另外 {n} 行：{m_t}",
    ),
    (
        r"rows? (?P<r>\d+ \([^)]*\)(?:, \d+ \([^)]*\))*): (?P<m_t>.+)",
        "第 {r} 行：{m_t}",
    ),
    (
        r"(?P<zh_registry>\S+) (?P<c>\S+) is registered already; send a correction to change it",
        "{zh_registry} {c} 已登记；如需修改请提交更正",
    ),
    (
        r"the erasure's (?P<n>\S+) is empty: say why, and on whose request",
        "删除个人信息的 {n} 为空：须说明理由及应谁的请求",
    ),
    (
        r"the erasure's (?P<n>\S+) (?P<p_t>.+): say why, and on whose request",
        "删除个人信息的 {n} {p_t}：须说明理由及应谁的请求",
    ),
    (r"item (?P<c>\S+) is withdrawn already", "抽查事项 {c} 已撤销"),
    (
        r"another command recorded some of the same (?P<zh_registry>\S+) at the same time; "
        r"nothing of this import was recorded: import the file again",
        "另一命令同时记录了部分相同的{zh_registry}；本次导入未记录任何内容：请重新导入该文件",
    ),
    (r"actor\.role (?P<r>'.*') is not one of (?P<c>.+)", "actor.role {r} 应为以下之一：{c}"),
    # import files (api/importing.py, ledger/registry/sheets.py)
    (
        r"the file reads as GB18030 only into uncommon characters \((?P<n>\d+) of (?P<m>\d+) in "
        r"GB2312\): it is probably Big5 or Shift-JIS\. .+",
        "按 GB18030 读取只得到生僻字（{m} 个中有 {n} 个不在 GB2312 中）：文件可能是 Big5 或 "
        "Shift-JIS 编码。"
        "请另存为“CSV UTF-8”，或声明其编码（--encoding，?encoding=）",
    ),
    (
        r"the file is neither UTF-8 nor GB18030 text \(byte (?P<b>.+)\); save it as 'CSV UTF-8' "
        r"or as \.xlsx",
        "文件既不是 UTF-8 也不是 GB18030 文本（第 {b} 字节）；请另存为“CSV UTF-8”或 .xlsx",
    ),
    (
        r"the file is not (?P<e>.+?) text \(byte (?P<b>.+)\); save it as 'CSV UTF-8' or as \.xlsx",
        "文件不是 {e} 文本（第 {b} 字节）；请另存为“CSV UTF-8”或 .xlsx",
    ),
    (r"row (?P<r>\d+) is not valid CSV: (?P<e_t>.+)", "第 {r} 行不是有效的 CSV：{e_t}"),
    (r"the file is empty: it needs a header row", "文件为空：须有表头行"),
    (
        r"the file is not a readable \.xlsx workbook: (?P<e_t>.+)",
        "文件不是可读取的 .xlsx 工作簿：{e_t}",
    ),
    # what zipfile and openpyxl say of such a file (the inner part of the refusal above)
    (
        r"File is not a zip file",
        "它不是 zip 压缩包（.xlsx 工作簿是 zip 压缩包：此文件可能不完整，"
        "或是改了扩展名的其他文件）",
    ),
    (
        r"\"?There is no item named (?P<n>'.*') in the archive\"?",
        "压缩包中没有 {n}（不是 Excel 工作簿）",
    ),
    (
        r"the workbook expands to (?P<n>\S+) MiB \(at most (?P<m>\S+)\): split it or save it as "
        r"CSV",
        "工作簿解压后为 {n} MiB（至多 {m}）：请拆分或另存为 CSV",
    ),
    (
        r"the workbook's part (?P<p>'.*') expands (?P<x>\S+) times to (?P<n>\S+) MiB: .+",
        "工作簿的部件 {p} 解压后膨胀 {x} 倍至 {n} MiB：其中单元格远超 Excel 的 32,767 个字符；"
        "文件被拒绝",
    ),
    (
        r"the first sheet \((?P<s>.+)\) is empty: it needs a header row",
        "第一个工作表（{s}）为空：须有表头行",
    ),
    (r"the file is larger than (?P<n>\S+) MiB; split it", "文件大于 {n} MiB；请拆分"),
    (
        r"old Excel \.xls files are not read: save the sheet as \.xlsx or CSV",
        "不读取旧版 Excel .xls 文件：请另存为 .xlsx 或 CSV",
    ),
    (r"export format (?P<f>'.*'): it must be \.csv or \.xlsx", "导出格式 {f}：应为 .csv 或 .xlsx"),
    (
        r"export file (?P<f>'.*'): the name must end in \.csv or \.xlsx",
        "导出文件 {f}：文件名应以 .csv 或 .xlsx 结尾",
    ),
    (
        r"the (?P<zh_registry>\S+) file's header row is not the documented layout: (?P<why_t>.*)",
        "{zh_registry}名录文件的表头行不符合规定的格式：{why_t}",
    ),
    (
        r"(?P<v>'.*') is not a column of the (?P<zh_registry>\S+) layout; the columns are "
        r"(?P<c>.+)",
        "{v} 不是{zh_registry}名录格式中的列；规定的列为：{c}",
    ),
    (r"the file has more than (?P<n>\S+) rows: split it", "文件超过 {n} 行：请拆分"),
    (
        r"row (?P<r>\d+), column (?P<c>\S+): a cell of (?P<n>\S+) characters \((?P<v>.*)\); a cell "
        r"holds at most (?P<m>\S+)",
        "第 {r} 行第 {c} 列：单元格有 {n} 个字符（{v}）；单元格至多 {m} 个字符",
    ),
    (
        r"row (?P<r>\d+) has a value in column (?P<c>\S+), which has no header: name the column or "
        r"clear it",
        "第 {r} 行在没有表头的第 {c} 列有值：请为该列命名或清空",
    ),
    (
        r"rows (?P<a>\d+) to (?P<b>\d+) are blank, more than (?P<n>\S+) in a row: .+",
        "第 {a} 至 {b} 行为空行，连续超过 {n} 行：请删除空行（或使其保留的格式）后重新导入",
    ),
    (r"(?P<v>'.*') is not a column", "{v} 不是规定的列"),
    (
        r"the store holds (?P<n>\d+) events already \(.+\): a new ledger needs an empty database "
        r"or SQLite file",
        "存储中已有 {n} 个事件（此前建立的账本，可能属于另一数据目录）：新账本须使用空数据库或空 "
        "SQLite 文件",
    ),
]
