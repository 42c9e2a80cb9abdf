"""The Chinese text of the refusals of the ledger's setup (its key, configuration, store and data
directory: ``ledger/keyfile.py``, ``ledger/config.py``, ``ledger/storage.py``, ``ledger/setup.py``,
``ledger/datadir.py``) and of the command line's own options (``api/cli_*.py``): part of
``ledger.error_texts``. A group ``zh_os`` is the system's reason a file could not be read
(``words.OS_REASONS``)."""

from __future__ import annotations

SETUP: list[tuple[str, str]] = [
    # the ledger's public key for auditors (ledger/setup.py)
    (
        r"(?P<p>.+) is not the key the ledger was created with \((?P<k>.+)\): auditors who pin "
        r"it would trust another key; put back the ledger's public key from the key store",
        "{p} 不是建立账本时的密钥（{k}）：以它为准的审计人员会信任另一把密钥；"
        "请从密钥保管处放回账本的公钥",
    ),
    # persons' references' key (ledger/person_refs.py)
    (
        r"(?P<p>.+) is missing and the ledger's first key \((?P<k>.+)\) is not in (?P<q>.+): "
        r"persons' references were made with it; put back that key or the file from a backup",
        "缺少 {p}，且账本的第一个密钥（{k}）不在 {q}：个人的假名引用由它生成；"
        "请放回该密钥，或从备份中恢复该文件",
    ),
    (
        r"(?P<p>.+) is malformed: expected 64 hexadecimal digits",
        "{p} 格式有误：应为 64 位十六进制数字",
    ),
    # the demo's size (ledger/demo/year.py) and where it goes (api/cli_demo.py)
    (
        r"(?P<d>.+) holds a ledger of (?P<n>\d+) events already: the demo is recorded only in a "
        r"new data directory \(or one 'drawledger init' has just made\), never beside records "
        r"it could not be taken out of",
        "{d} 中的账本已有 {n} 个事件：演示名录只记录在新的数据目录（或刚由 'drawledger init' "
        "建立的账本）中，不会与无法再删除的本单位记录混在一起",
    ),
    (
        r"a demo needs at least one target and one inspector",
        "演示至少需要一个检查对象和一名执法人员",
    ),
    (
        r"a demo year of plans and draws needs at least (?P<m>\d+) targets, so that every "
        r"division has some \(asked for (?P<n>-?\d+)\); a smaller registry without the year: "
        r"--registry-only",
        "演示的一年计划和抽取至少需要 {m} 个检查对象，使每个处室都有（所给为 {n} 个）；"
        "更小的名录请加 --registry-only（不记录这一年）",
    ),
    # the ledger's key (ledger/keyfile.py)
    (
        r"(?P<p>.+) exists already; refusing to overwrite a ledger key",
        "{p} 已存在；不会覆盖账本密钥",
    ),
    (
        r"no ledger key at (?P<p>.+): run 'drawledger init --data DIR' to create one",
        "{p} 处没有账本密钥：请先运行 'drawledger init --data DIR' 创建",
    ),
    (
        r"ledger key (?P<p>.+) has mode (?P<m>\d+); it must be readable by its owner only "
        r"\(chmod 600 (?P<n>.+)\)",
        "账本密钥 {p} 的权限为 {m}；只能由其所有者读取（chmod 600 {n}）",
    ),
    (r"ledger key (?P<p>.+?) is malformed: (?P<e>.+)", "账本密钥 {p} 格式有误（{e}）"),
    # the configuration (ledger/config.py, ledger/storage.py)
    (
        r"(?P<p>.+) not found: run 'drawledger init --data (?P<d>.+)' first",
        "未找到 {p}：请先运行 'drawledger init --data {d}'",
    ),
    (
        r"(?P<p>.+?) is not a valid drawledger config: (?P<e>.+)",
        "{p} 不是有效的 drawledger 配置文件（{e}）",
    ),
    (
        r"(?P<w>\S+) must be a number of seconds, got (?P<v>.+)",
        "{w} 应为秒数，实为 {v}",
    ),
    (
        r"(?P<w>\S+) must be between 0 and (?P<m>\S+) seconds, got (?P<v>.+)",
        "{w} 应在 0 到 {m} 秒之间，实为 {v}",
    ),
    (
        r"(?P<w>\S+) must be a whole number of MiB, 1 to 4096, got (?P<v>.+)",
        "{w} 应为 1 到 4096 之间的整数（MiB），实为 {v}",
    ),
    (
        r"database URL (?P<u>.+) names no user for its password",
        "数据库地址 {u} 未指明其密码所属的用户",
    ),
    (
        r"database URL (?P<u>.+) needs a host \(or \?host=/socket/dir\) and a database name",
        "数据库地址 {u} 须指明主机（或 ?host=/socket/dir）和数据库名",
    ),
    (
        r"database URL (?P<u>.+): expected sqlite:///FILE or postgresql://\.\.\.",
        "数据库地址 {u}：应为 sqlite:///FILE 或 postgresql://...",
    ),
    (
        r"(?P<p>.+) \(database_password_file\) not found",
        "未找到 {p}（database_password_file）",
    ),
    (
        r"(?P<p>.+) is readable by others: chmod 600 (?P<q>.+)",
        "{p} 可被他人读取：请执行 chmod 600 {q}",
    ),
    (r"(?P<p>.+?) is malformed: (?P<e>.+)", "{p} 格式有误（{e}）"),
    # the store and the data directory (ledger/setup.py, ledger/datadir.py, ledger/demo)
    (
        r"(?P<d>.+) holds a ledger already \(drawledger\.toml exists\)",
        "{d} 中已有账本（drawledger.toml 已存在）",
    ),
    (
        r"this ledger holds the demo registry already \(division 'bgs' exists\): build the demo "
        r"in a new data directory",
        "本账本已有演示名录（处室 'bgs' 已存在）：请在新的数据目录中建立演示",
    ),
    (
        r"demo (?P<what>target|inspector)s refused: (?P<p>.+)",
        "演示的{what_zh}未被接受：{p}",
    ),
    (
        r"the demo roster is too small for a joint inspection's teams of two",
        "演示的执法人员库太小，联合检查凑不齐两人一组的检查组",
    ),
    # the read models' database (projections/__init__.py, projections/database.py)
    (
        r"(?P<p>.+) is the ledger itself: read models need a database of their own",
        "{p} 就是账本本身：读模型须使用单独的数据库",
    ),
    (
        r"no default read-model database for persistence module (?P<m>.+): pass a URL",
        "持久化模块 {m} 没有默认的读模型数据库：请给出数据库 URL",
    ),
    (
        r"the store (?P<w>.+) holds no ledger (?P<o>.+) \(no ledger\.created\): check 'database' "
        r"in drawledger\.toml and (?P<v>\S+), or run 'drawledger init'",
        "存储 {w} 中没有账本 {o}（没有 ledger.created 事件）：请检查 drawledger.toml 中的 "
        "'database' 及 {v}，或运行 'drawledger init'",
    ),
    (
        r"the data directory (?P<d>.+?) is readable by others: (?P<l>.+?)(?: and (?P<n>\d+) more)?"
        r"\. It holds the signing key and the draws' sealed nonces; make it the owner's alone "
        r"\(chmod -R go-rwx (?P<e>.+)\) and start again",
        "数据目录 {d} 可被他人读取：{l}。其中存有签名密钥和抽取的密封随机数；"
        "请使其仅供所有者访问（chmod -R go-rwx {e}）后重新开始",
    ),
    # the command line's options (api/cli_common.py, api/cli_*.py)
    (
        r"(?P<w>\S+) (?P<v>.+): cannot read: (?P<zh_os>.+)",
        "{w} {v}：无法读取：{zh_os}",
    ),
    (
        r"cannot read the token file (?P<p>.+): (?P<zh_os>.+)",
        "无法读取令牌文件 {p}：{zh_os}",
    ),
    (r"cannot read (?P<p>.+): (?P<zh_os>.+)", "无法读取 {p}：{zh_os}"),
    (r"cannot write (?P<p>.+): (?P<zh_os>.+)", "无法写入 {p}：{zh_os}"),
    # drawledger serve --workers (api/serving.py)
    (
        r"--workers must be between 1 and (?P<n>\d+), not (?P<v>.+)",
        "--workers 应在 1 到 {n} 之间，而不是 {v}",
    ),
    (
        r"--workers (?P<v>\d+) needs a PostgreSQL ledger: an SQLite ledger is served by one "
        r"process, which also seals it \(run without --workers; several workers serve a ledger "
        r"made on PostgreSQL, 'drawledger init --database URL', a new ledger: an SQLite ledger "
        r"is not moved\)",
        "--workers {v} 需要 PostgreSQL 账本：SQLite 账本只能由一个进程提供服务并封存"
        "（请不加 --workers 运行；多个工作进程服务的是在 PostgreSQL 上建立的账本，"
        "即 'drawledger init --database URL' 新建的账本：SQLite 账本不会被迁移过去）",
    ),
    # drawledger serve's address (api/serving.py, check_port)
    (
        r"cannot listen on (?P<a>\S+): Address already in use",
        "无法在 {a} 上监听：端口已被占用（另一个服务正在使用它：换一个 --port，或先停止那个服务）",
    ),
    (
        r"cannot listen on (?P<a>\S+): Cannot assign requested address",
        "无法在 {a} 上监听：本机没有这个地址（--host）",
    ),
    (
        r"cannot listen on (?P<a>\S+): no such host name",
        "无法在 {a} 上监听：无法解析这个主机名（--host）",
    ),
    (
        r"--port (?P<p>-?\d+): a port is a whole number from 1 to 65535",
        "--port {p}：端口应为 1 到 65535 之间的整数",
    ),
    (
        r"cannot listen on (?P<a>\S+): Permission denied",
        "无法在 {a} 上监听：没有权限（1024 以下的端口需要管理员权限）",
    ),
    (
        r"cannot listen on (?P<a>\S+): (?P<e>.+)",
        "无法在 {a} 上监听（原文：{e}）",
    ),
    (
        r"(?P<p>.+?) is not a TOML document: (?P<e>.+) \(at line (?P<l>\d+), column (?P<c>\d+)\)",
        "{p} 不是 TOML 文档：第 {l} 行第 {c} 列有误（tomllib 原文：{e}）",
    ),
    (r"(?P<p>.+?) is not a TOML document: (?P<e>.+)", "{p} 不是 TOML 文档（{e}）"),
    (
        r"the token given is official (?P<o>\S+)'s, not (?P<n>\S+)'s",
        "所给令牌属于工作人员 {o}，而非 {n}",
    ),
    (
        r"--on-request-of is for the operator's acts; an official acts in person",
        "--on-request-of 只用于运维人员受托办理的行为；工作人员须亲自办理",
    ),
    (
        r"--as (?P<n>\S+): the CLI acts in an official's name only with that official's "
        r"credential \(--token-file FILE or (?P<v>\S+)\); .+",
        "--as {n}：命令行只有持该工作人员的凭据（--token-file FILE 或 {v}）才能以其名义办理；"
        "没有凭据时请去掉 --as，由账本运维人员在制度允许时以自身名义记录",
    ),
    (
        r"--request-ref needs --on-request-of naming the official who asked",
        "--request-ref 须与指明请求人的 --on-request-of 一同使用",
    ),
    (
        r"--on-request-of (?P<c>\S+): name the written request with --request-ref .+",
        "--on-request-of {c}：请用 --request-ref 指明书面请求（如函件及其文号）",
    ),
    (
        r"--on-request-of (?P<c>\S+): there is no official (?P=c)",
        "--on-request-of {c}：没有工作人员 {c}",
    ),
    (
        r"--on-request-of (?P<c>\S+): official (?P=c) is deactivated",
        "--on-request-of {c}：工作人员 {c} 已停用",
    ),
    (
        r"name exactly one of --target, --draw, --inspection, --official",
        "请指明 --target、--draw、--inspection、--official 中的一项（只能一项）",
    ),
    (
        r"--consistent-with: \[Errno \d+\] (?P<zh_os>[^:]+): (?P<p>.+)",
        "--consistent-with 的文件 {p} 无法读取：{zh_os}",
    ),
    (r"--consistent-with: (?P<e>.+)", "--consistent-with：无法读取（{e}）"),
    (
        r"(?P<o>.+) is not empty: the assessment goes into a new directory",
        "{o} 不是空文件夹：年度考核须写入新的文件夹",
    ),
    (
        r"(?P<o>.+) is not empty: a dispute file goes into a new directory",
        "{o} 不是空文件夹：争议材料须写入新的文件夹",
    ),
    (
        r"a 'drawledger keys rotate' was cut short: the ledger rotated to the key of (?P<f>\S+) "
        r"at position (?P<n>\d+), but drawledger\.toml still names the old key; run "
        r"'(?P<c>[^']+)' to finish it \(no new key is made\)",
        "上一次 'drawledger keys rotate' 在记录后中断：账本已在位置 {n} 轮换到 {f} 中的新密钥，"
        "但 drawledger.toml 仍指向旧密钥；请运行 '{c}' 完成这次轮换（不会再生成新密钥）",
    ),
    (
        r"the ledger rotated to key (?P<k>\S+) at position (?P<n>\d+), but no file in (?P<d>.+) "
        r"holds it and the settings name an older key: put back the new key's file "
        r"\(keys/ledger-<time>\.key\) from the key store",
        "账本已在位置 {n} 轮换到密钥 {k}，但 {d} 中没有存放它的文件，设置仍指向旧密钥："
        "请从密钥保管处放回新密钥的文件（keys/ledger-<时间>.key）",
    ),
    (
        r"another 'drawledger rebuild' of these read models is running: wait for it to end "
        r"\(one rebuild at a time\)",
        "另一个 'drawledger rebuild' 正在重建这些读取模型：请等它结束（同一时间只能有一个重建）",
    ),
    (
        r"template file (?P<n>.+): the name must end in \.xlsx",
        "模板文件 {n}：文件名应以 .xlsx 结尾",
    ),
]
