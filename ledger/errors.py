"""The ledger's error hierarchy. The API maps each kind to one HTTP status, in one place."""


class LedgerError(Exception):
    """Base of every error the ledger raises on purpose."""


class BadInput(LedgerError):
    """The request is malformed: a field is missing, of the wrong type or out of range (422)."""


class NotFound(LedgerError):
    """The named thing does not exist (404)."""


class Conflict(LedgerError):
    """The request contradicts what is recorded, or a domain rule forbids it (409)."""


class Forbidden(LedgerError):
    """The acting official has no authority for this act (403)."""


class TamperedEvent(LedgerError):
    """A stored event does not check out: its bytes, digest, signature or chain are wrong."""


class ConfigurationError(LedgerError):
    """The ledger cannot start: a missing key, data directory or database setting."""
