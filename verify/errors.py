"""One hierarchy for every check the verifier makes.

Each error says what was expected and what was found, so that an auditor can act on it.
"""


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
