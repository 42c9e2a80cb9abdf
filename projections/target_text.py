"""How a text ``q`` finds its targets: the exact test on each row, and the text index
(``tables.TARGET_TEXT`` on SQLite, pg_trgm on PostgreSQL) that finds the candidates first."""

from __future__ import annotations

from typing import Any

from sqlalchemy import (
    ColumnElement,
    Engine,
    Select,
    column,
    func,
    literal_column,
    or_,
    select,
    table,
)

from ledger.errors import BadInput
from ledger.fields import text_problem
from verify import uscc

from . import tables as t

TEXT_SORTED_UP_TO = 5_000
TEXT_AT_LEAST = 3

_TARGET_TEXT = table(t.TARGET_TEXT, column("rowid"))
_TARGET_ROWID: ColumnElement[Any] = literal_column(f"{t.targets.name}.rowid")


class TargetText:
    """How a text ``q`` finds its targets: ``conditions`` on each row (the exact test, always),
    ``rows`` the page's extra condition and ``hits`` the matching targets' ids read from the text
    index (for the count; None: count along the page's own conditions).

    A whole credit code is looked up in the code index. Other text is looked for inside names
    and codes through the trigram index (``tables.TARGET_TEXT``, pg_trgm), which needs
    ``TEXT_AT_LEAST`` characters: a shorter text is refused (it would read every target). On
    SQLite the index's hits are counted first, up to ``TEXT_SORTED_UP_TO``: a rarer text's page
    is those targets, sorted; a commoner one's page walks the page index testing each target
    (it meets 50 matches soon). PostgreSQL reads the hits first too (``_few_by_id``).
    Where there is no trigram index the text is tested on every target."""

    def __init__(self, engine: Engine, q: str | None) -> None:
        self.conditions: list[ColumnElement[bool]] = []
        self.rows: list[ColumnElement[bool]] = []
        self.hits: Select[Any] | None = None
        q = (q or "").strip()
        if not q:
            return
        try:
            code = uscc.validate(q)
        except uscc.CreditCodeError:
            pass
        else:
            self.conditions = [t.targets.c.code == code]
            return
        problem = text_problem(q)
        if problem is not None:  # no name holds it (and SQLite's text index cannot take NUL)
            raise BadInput(f"q {q!r}: {problem}")
        if len(q) < TEXT_AT_LEAST:
            raise BadInput(
                f"q {q!r}: at least {TEXT_AT_LEAST} characters to look inside names and codes "
                "(a shorter text would read every target); or narrow the list with district, "
                "division, kind, status, credit_class or item"
            )
        c = t.targets.c
        pattern = "%" + q.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
        self.conditions = [
            or_(c.name.ilike(pattern, escape="\\"), c.code.ilike(pattern, escape="\\"))
        ]
        if engine.dialect.name == "postgresql":
            self._few_by_id(engine)
            return
        if not _has_text_index(engine):
            return
        match = literal_column(t.TARGET_TEXT).op("MATCH")('"' + q.replace('"', '""') + '"')
        indexed = select(_TARGET_TEXT.c.rowid).where(match)
        with engine.connect() as conn:
            first = indexed.limit(TEXT_SORTED_UP_TO + 1).subquery()
            many = conn.execute(select(func.count()).select_from(first)).scalar_one()
        if many <= TEXT_SORTED_UP_TO:
            self.rows = [_TARGET_ROWID.in_(indexed)]
        self.hits = (
            select(c.id)
            .select_from(_TARGET_TEXT.join(t.targets, _TARGET_TEXT.c.rowid == _TARGET_ROWID))
            .where(match)
        )

    def _few_by_id(self, engine: Engine) -> None:
        """PostgreSQL: the hits read first (without an order the planner asks the GIN index),
        up to ``TEXT_SORTED_UP_TO``; when no more match, the page and its count are those
        targets by id. Left to itself, for a page ordered by code the planner guesses a text
        found in no sampled row at about 1 % of the table and walks the page index testing
        every target (1.2 s for a text in no name at 100,000 under load)."""
        c = t.targets.c
        with engine.connect() as conn:
            found = conn.execute(select(c.id).where(*self.conditions).limit(TEXT_SORTED_UP_TO + 1))
            hits = list(found.scalars())
        if len(hits) <= TEXT_SORTED_UP_TO:
            self.rows = [c.id.in_(hits)]
            self.hits = select(c.id).where(c.id.in_(hits))


def _has_text_index(engine: Engine) -> bool:
    """Whether this SQLite read database has the trigram table (``tables.sqlite_trigrams``)."""
    with engine.connect() as conn:
        found = conn.exec_driver_sql(
            "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?", (t.TARGET_TEXT,)
        )
        return found.first() is not None
