"""The dispute file's signed manifest: what binds its subject, its ``as_of``, which records are
acts about the subject and every file it holds — the reports too — to the ledger's key
(docs/DISPUTE.md, step 3).

The records prove themselves (each is signed); the manifest, the reports and the population
files do not. So the writer lists each file of the directory with its SHA-256 in the manifest
(``files``) and signs the manifest's exact bytes with the ledger's key, in ``manifest.sig``:
``base64(key id ‖ Ed25519 signature)`` of ``SIGNED_AS LF sha256(manifest.json) hex LF`` — a
message no event record (the signature of a 32-byte digest) or checkpoint note (its second line
a tree size) can be. A manifest relabelled to another subject, an act flag turned, a report
doctored or swapped from another file no longer matches what the ledger signed.

What the signature proves about the reports: they are the ones the ledger's operator wrote with
this file, unchanged. Not that what they say is true: they tell, the records prove (steps 2–5
check the records; the reports are read by no step).
"""

from __future__ import annotations

import base64
import binascii
import hashlib
from pathlib import Path

from .keys import VerifierKey

MANIFEST = "manifest.json"
SIGNATURE = "manifest.sig"
SIGNED_AS = "drawledger/dispute-manifest/v1"
REPORTS = ("report.html", "report.pdf")


def message(manifest: bytes) -> bytes:
    """What the ledger's key signs for a manifest of these exact bytes."""
    return f"{SIGNED_AS}\n{hashlib.sha256(manifest).hexdigest()}\n".encode("ascii")


def file_digests(directory: Path) -> dict[str, str]:
    """Every file of the directory but the manifest and its signature, by its path relative to
    the directory (``/`` separated), with its SHA-256 in hex."""
    found = {}
    for path in sorted(directory.rglob("*")):
        name = path.relative_to(directory).as_posix()
        if path.is_file() and name not in (MANIFEST, SIGNATURE):
            found[name] = hashlib.sha256(path.read_bytes()).hexdigest()
    return found


def signature_text(key_id: bytes, signature: bytes) -> str:
    """The text of ``manifest.sig``."""
    return base64.b64encode(key_id + signature).decode("ascii") + "\n"


def check(directory: Path, listed: object, key: VerifierKey) -> tuple[list[str], list[str]]:
    """(failures, files present but not listed) for the manifest in ``directory``, whose
    ``files`` member is ``listed``: the signature must be the anchored key's over the manifest's
    bytes, every listed file present with its digest."""
    failures: list[str] = []
    try:
        manifest = (directory / MANIFEST).read_bytes()
        text = (directory / SIGNATURE).read_text(encoding="ascii")
        raw = base64.b64decode(text.removesuffix("\n"), validate=True)
        if text != base64.b64encode(raw).decode("ascii") + "\n":  # not a byte more or less
            raise ValueError("应为一行 base64 文本")
    except FileNotFoundError:
        return [f"没有 {SIGNATURE}：清单未经账本签署，其所述事项、时点和报告都无从证明"], []
    except (OSError, UnicodeDecodeError, ValueError, binascii.Error) as e:
        return [f"{SIGNATURE} 无法读取：{e}"], []
    if len(raw) != len(key.key_id) + 64 or raw[: len(key.key_id)] != key.key_id:
        failures.append(f"{SIGNATURE} 不是所给账本公钥（{key.key_id.hex()}）的签名")
    elif not key.verify(message(manifest), raw[len(key.key_id) :]):
        failures.append(
            f"{SIGNATURE}：账本公钥的签名与 {MANIFEST} 不符（清单被改动：所述事项、时点、"
            "行为标记或文件摘要已非账本签署的内容）"
        )
    if not isinstance(listed, dict):
        return [*failures, f"{MANIFEST} 没有列出材料中的文件及其摘要（files）"], []
    present = file_digests(directory)
    for name, digest in sorted(listed.items()):
        if name not in present:
            failures.append(f"清单所列文件 {name} 不在材料中")
        elif present[name] != digest:
            kind = "报告" if name in REPORTS else "文件"
            failures.append(f"{kind} {name} 与账本签署的清单所记摘要不符：已被改动或替换")
    return failures, sorted(set(present) - set(listed))
