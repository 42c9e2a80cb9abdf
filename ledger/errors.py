"""The ledger's error hierarchy. The API maps each kind to one HTTP status, in one place.

An error never echoes an unbounded input value: ``shown`` cuts a value to its first ``SHOWN``
characters (marked ``…``) and ``bounded`` cuts every quoted value in a message the same way
(and any unquoted run of 120 or more non-space characters) and the message to ``MESSAGE``
characters; the API's problem+json bodies and the CLI's error
line pass through them.
"""

import re
from typing import Any

SHOWN = 40  # characters of a refused value quoted in an error
MESSAGE = 2000  # characters of an error message at most
# A quote opens where no letter or digit stands before it and closes where none follows, so an
# apostrophe ("the partner's", "the log's") is never taken for one.
_QUOTED = [
    re.compile(r"(?<!\w)'([^'\n]{" + str(SHOWN) + r"})[^'\n]+'(?!\w)"),
    re.compile(r'(?<!\w)"([^"\n]{' + str(SHOWN) + r'})[^"\n]+"(?!\w)'),
]
# A value a message names without quotes: any run of 120 or more non-space characters other than
# Chinese ones (Chinese words run on without spaces; a value echoed is not Chinese prose).
_WORD = r"[^\s\u3000-\u9fff\uff00-\uffef]"
_RUN = re.compile("(" + _WORD + "{" + str(SHOWN) + "})" + _WORD + "{" + str(120 - SHOWN) + ",}")


def shown(value: Any) -> Any:
    """A value as an error quotes it: text cut to its first ``SHOWN`` characters (marked …),
    lists to their first ``SHOWN`` members, mappings member by member."""
    if isinstance(value, str):
        return value[:SHOWN] + "…" if len(value) > SHOWN else value
    if isinstance(value, list | tuple):
        kept = [shown(v) for v in value[:SHOWN]]
        return kept + ["…"] if len(value) > SHOWN else kept
    if isinstance(value, dict):
        return {shown(k): shown(v) for k, v in list(value.items())[:SHOWN]}
    return value


def _cut_quoted(match: re.Match[str]) -> str:
    quote = match.group(0)[0]
    return f"{quote}{match.group(1)}…{quote}"


def bounded(message: str) -> str:
    """A message with each quoted value cut to ``SHOWN`` characters, at most ``MESSAGE``
    characters long (each cut marked …)."""
    for pattern in _QUOTED:
        message = pattern.sub(_cut_quoted, message)
    message = _RUN.sub(lambda m: m.group(1) + "…", message)
    return message[:MESSAGE] + "…" if len(message) > MESSAGE else message


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


class NotSealedYet(LedgerError):
    """What was asked for is stored but no signed checkpoint covers it yet, and none came within
    the wait (503, with ``Retry-After``): the next sealing round will cover it."""

    def __init__(self, message: str, retry_after: int) -> None:
        self.retry_after = retry_after
        super().__init__(message)
