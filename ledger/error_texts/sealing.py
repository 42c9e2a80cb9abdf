"""The Chinese text of the errors of the ledger itself, its keys, checkpoints, proofs and
witnesses (``ledger/application.py``, ``ledger/sealer.py``, ``ledger/witnesses.py``): part of
``ledger.error_texts``."""

from __future__ import annotations

SEALING: list[tuple[str, str]] = [
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
    (r"no event is sealed as leaf (?P<n>\d+) yet", "尚无事件封存为叶子 {n}"),
    (
        r"signature of known key (?P<k>\S+): expected it to verify, it does not \(tampered text "
        r"or signature\)",
        "已知密钥 {k} 的签名验证不通过（文本或签名被篡改）",
    ),
    (r"must be from (?P<a>\S+) to (?P<b>\S+)", "应在 {a} 到 {b} 之间"),
    (r"is not in (?P<y>\d+)", "不在 {y} 年内"),
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
    (r"not a signature line: (?P<e_t>.+)", "不是签名行：{e_t}"),
    (
        r"note: expected a signature by a known key (?P<k>.+), found none",
        "检查点文本：没有已知密钥 {k} 的签名",
    ),
    # a stored event that fails its checks (ledger/mapper.py, ledger/vouching.py)
    (
        r"ledger position (?P<p>\d+): event (?P<t>\S+) of aggregate (?P<a>\S+) v(?P<v>\d+): "
        r"(?P<why_t>.+)",
        "位置 {p} 的事件 {t}（记录 {a} 的第 {v} 版）未通过校验：{why_t}",
    ),
    (
        r"event (?P<t>\S+) of aggregate (?P<a>\S+) v(?P<v>\d+): (?P<why_t>.+)",
        "事件 {t}（记录 {a} 的第 {v} 版）未通过校验：{why_t}",
    ),
    (
        r"signature by (?P<k>.+) does not verify over digest (?P<d>\S+)",
        "{k} 的签名与摘要 {d} 不符（事件被改动）",
    ),
    (
        r"signed by unknown key id (?P<k>\S+) \(known: (?P<n>.+)\)",
        "由未知的密钥 {k} 签名（已知密钥：{n}）",
    ),
    (r"(?P<who>\S+) is not a witness of this ledger", "{who} 不是本账本的见证方"),
    (
        r"cosignature does not verify over checkpoint (?P<size>\d+): (?P<e_t>.*)",
        "对检查点 {size} 的联署签名验证不通过：{e_t}",
    ),
    (r"(?P<who>\S+) has cosigned checkpoint (?P<size>\d+) already", "{who} 已联署检查点 {size}"),
    (
        r"witness (?P<key>\S+) was removed: a removed key is never added again",
        "见证方 {key} 已被移除：移除的密钥不能再次加入",
    ),
    (r"witness (?P<key>\S+) is a witness already", "{key} 已是见证方"),
    (
        r"a witness key in (?P<p>.+)/drawledger\.toml: (?P<e_t>.+)",
        "{p}/drawledger.toml 中的见证方密钥有误：{e_t}",
    ),
    (r"witness (?P<key>\S+) was removed already", "见证方 {key} 已被移除"),
    (
        r"reason: say why the witness is removed \(it is recorded\)",
        "reason：须说明移除见证方的理由（将被记录）",
    ),
    # the ledger (ledger/application.py, ledger/ledger_meta.py, ledger/key_rotation.py)
    (
        r"another command changed the same record at the same time; read it and retry",
        "另一命令同时修改了同一记录；请重新读取后重试",
    ),
    (r"(?P<x>\S+) is a (?P<a>\S+), not a (?P<b>\S+)", "{x} 是 {a}，不是 {b}"),
    (
        r"policy version (?P<v>'.*') is recorded already; a change needs a new version name",
        "制度版本 {v} 已记录；修改须使用新的版本名",
    ),
    (
        r"the ledger has its policy already: a new version is recorded by whom the version in "
        r"force names \(drawledger policy set, POST /policy\)",
        "账本已有制度：新版本须由现行版本指定的人员记录（drawledger policy set，POST /policy）",
    ),
    (r"no policy has been set on this ledger", "本账本尚未设定制度"),
    (r"the ledger as of a past position is read-only", "历史位置的账本只读"),
    (r"the ledger as of position (?P<p>\d+) is read-only", "位置 {p} 的账本只读"),
    (r"the log holds no event at or after position (?P<p>\d+)", "日志在位置 {p} 及之后没有事件"),
    (r"as_of (?P<a>\S+): the ledger ends at position (?P<p>\d+)", "as_of {a}：账本止于位置 {p}"),
    (
        r"as_of (?P<a>\S+): the ledger holds positions 1 to (?P<p>\d+)",
        "as_of {a}：账本只有位置 1 到 {p}",
    ),
    (
        r"position (?P<a>\d+) is stored but no signed checkpoint covers it yet \(the latest "
        r"covers positions 1 to (?P<p>\d+)\); the ledger is sealed every (?P<s>\S+) s: retry "
        r"in a moment",
        "位置 {a} 已存储，但尚无已签署的检查点覆盖它（最新的检查点覆盖位置 1 到 {p}）；"
        "账本每 {s} 秒封存一次：请稍后重试",
    ),
    (
        r"reason: say why the key is revoked \(it is recorded\)",
        "reason：须说明吊销密钥的理由（将被记录）",
    ),
    (r"key: (?P<e_t>.+)", "key：{e_t}"),
    (r"witness key: (?P<e_t>.+)", "见证方公钥：{e_t}"),
    # a key's text as verify/keys.py reads it (`keys revoke KEY`, `witnesses add KEY`, --log-key)
    (
        r"(?:verifier|signer) key: expected text, found (?P<t>\S+)",
        "密钥应为文本，实为 {t}",
    ),
    (
        r"(?:verifier|signer) key: expected 'name\+hexid\+base64', found (?P<n>\d+) part\(s\)",
        "密钥应为以 + 分隔的三段：名称+8 位十六进制编号+base64，实为 {n} 段",
    ),
    (
        r"(?:verifier|signer) key (?P<k>'.*'): expected an 8-hex-digit key id, found (?P<v>.+)",
        "密钥 {k}：编号应为 8 位十六进制数字，实为 {v}",
    ),
    (
        r"(?:verifier|signer) key (?P<k>'.*'): expected canonical padded base64, "
        r"found invalid base64 \((?P<n>\d+) characters\)",
        "密钥 {k}：最后一段应为带填充的标准 base64，实为无效的 base64（{n} 个字符）",
    ),
    (
        r"(?:verifier|signer) key (?P<k>'.*'): expected 1 type byte \+ (?P<m>\d+) key bytes, "
        r"found (?P<n>\d+) bytes",
        "密钥 {k}：最后一段应为 1 个类型字节和 {m} 个密钥字节，实为 {n} 个字节（密钥不完整？）",
    ),
    (
        r"key name: expected a non-empty string, found (?P<v>.+)",
        "密钥名称不能为空（实为 {v}）",
    ),
    (
        r"key name (?P<k>'.*'): expected no '\+', spaces or control characters, found (?P<c>.+)",
        "密钥名称 {k} 不能含 '+'、空格或控制字符（含有 {c}）",
    ),
    (
        r"signature type: expected 0x01 \(Ed25519\) or 0x04 \(cosignature/v1\), found (?P<v>.+)",
        "签名类型应为 0x01（Ed25519）或 0x04（cosignature/v1），实为 {v}",
    ),
    (
        r"this is the key the ledger signs with: rotate first, then revoke it",
        "这是账本当前的签名密钥：请先轮换，再吊销",
    ),
    (r"(?P<k>\S+) is a key of this ledger already", "{k} 已是本账本的密钥"),
    (r"(?P<k>\S+) is not a key of this ledger", "{k} 不是本账本的密钥"),
    (r"(?P<k>\S+) was revoked already, from position (?P<p>\d+)", "{k} 已自位置 {p} 起吊销"),
    (
        r"the log holds (?P<n>\d+) events up to the latest checkpoint, which covers (?P<c>\d+): "
        r"the store was changed behind the ledger's back",
        "最新检查点覆盖 {c} 个事件，日志中却有 {n} 个：存储被绕过账本改动过",
    ),
    (
        r"(?P<w>.+): it was added after the checkpoint of size (?P<s>\d+); cosign a later one",
        "{w}：其加入晚于大小为 {s} 的检查点；请联署更晚的检查点",
    ),
    (
        r"the log no longer holds at position (?P<p>\d+) the record the checkpoint of size "
        r"(?P<s>\d+) sealed last: sealed events were removed or replaced behind the ledger's "
        r"back \(the store cut short or rolled back\): refusing to sign",
        "日志在位置 {p} 已不是大小为 {s} 的检查点最后封存的记录：已封存的事件被绕过账本删除或"
        "替换（存储被截断或回滚到较早的副本）：拒绝签署",
    ),
    (r"the command was recorded but not sealed: (?P<e_t>.+)", "已记录但未封存：{e_t}"),
    (r"no event at or before position (?P<p>\d+)", "位置 {p} 及之前没有事件"),
    (r"no event at position (?P<p>\d+)", "位置 {p} 没有事件"),
    (r"no checkpoint is signed yet: seal the ledger first", "尚未签署任何检查点：请先封存账本"),
]
