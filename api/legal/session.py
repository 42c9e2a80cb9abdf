"""Logging in to the legal pages (``/legal``) with an official's API token: a ``PageSession``
(``api/page_session.py``: the cookie, its CSRF field, the same-origin rule) that admits the
officials holding ``oversight.read`` (auditors and the legal office)."""

from __future__ import annotations

from ledger.registry.authority import authorise
from ledger.registry.officials import Official

from ..page_session import LoginNeeded, PageSession, Reader, csrf_for

COOKIE = "drawledger_legal"
PATH = "/legal"
READ = "oversight.read"


def _admits(official: Official) -> None:
    authorise(official, READ)  # Forbidden: not an auditor or the legal office


LEGAL = PageSession(COOKIE, PATH, _admits)

__all__ = ["COOKIE", "LEGAL", "PATH", "READ", "LoginNeeded", "Reader", "csrf_for"]
