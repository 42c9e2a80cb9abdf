"""One hierarchy for every check the verifier makes.

Each error says what was expected and what was found, so that an auditor can act on it.
"""

import errno


class VerifyError(Exception):
    """Base of every verification failure."""


class FormatError(VerifyError):
    """Bytes that are not in the documented format (docs/FORMAT.md)."""


class SignatureError(VerifyError):
    """A digest or signature that does not check out."""


class ChainError(VerifyError):
    """A per-aggregate hash chain that is broken."""


class ProofError(VerifyError):
    """A Merkle inclusion or consistency proof that does not verify."""


class NoteError(VerifyError):
    """A signed note or checkpoint that is malformed or not signed by a trusted key."""


class KeyFormatError(VerifyError):
    """A key in C2SP text form that is malformed."""


# The system's reason a file or folder could not be used, by error number, in Chinese: what the
# verifier says of a file it was given (``file_reason``) and the ledger's refusals
# (``ledger/error_texts/words.py`` reads this table).
OS_ERRORS: dict[int, str] = {
    errno.ENOENT: "文件或文件夹不存在",
    errno.EACCES: "没有访问权限",
    errno.EPERM: "操作不被允许",
    errno.EISDIR: "这是文件夹，不是文件",
    errno.ENOTDIR: "路径中有一部分不是文件夹",
    errno.EEXIST: "已存在",
    errno.ENOSPC: "磁盘已满",
    errno.EROFS: "文件系统只读",
    errno.ENAMETOOLONG: "文件名过长",
    errno.ENOTEMPTY: "文件夹不为空",
}


def file_reason(e: Exception) -> str:
    """Why a file could not be read, in Chinese (the system's own words for a reason the table
    lacks, and what any other error says)."""
    if isinstance(e, UnicodeDecodeError):
        return "不是 UTF-8 文本"
    if isinstance(e, OSError):
        return OS_ERRORS.get(e.errno or 0) or e.strerror or str(e)
    return str(e)
