"""The Chinese names of event types, roles and the rule audit's rules: kept in ``verify/labels.py``
(the verifier's report names them too, and it imports nothing of the ledger); the ledger's pages,
reports and files read them from here as before."""

from verify.labels import (
    EVENT_LABELS,
    ROLE_LABELS,
    RULE_ASKS,
    RULE_LABELS,
    event_label,
    role_label,
    rule_label,
)

__all__ = [
    "EVENT_LABELS",
    "ROLE_LABELS",
    "RULE_ASKS",
    "RULE_LABELS",
    "event_label",
    "role_label",
    "rule_label",
]
