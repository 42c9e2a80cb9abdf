"""Salted commitments to personal data that the immutable log must not hold.

``commitment = SHA-256("drawledger/person/v1" ‖ 0x0A ‖ salt ‖ JCS(data))``, hex. The event keeps
the commitment; the data and its 32-byte salt live in an erasable table. Whoever holds both can
show that they match; after erasure the commitment reveals nothing.
"""

from __future__ import annotations

import hashlib
import hmac
from typing import Any

from .events import canonical

DOMAIN = b"drawledger/person/v1\n"


def commit(data: dict[str, Any], salt: bytes) -> str:
    return hashlib.sha256(DOMAIN + salt + canonical(data)).hexdigest()


def matches(data: dict[str, Any], salt: bytes, commitment: str) -> bool:
    return hmac.compare_digest(commit(data, salt), commitment)
