"""Read models of inspections (for staff views) and of publications (for the public column).

The publications table holds only what was published — the content of the latest
``publication.published`` / ``publication.corrected`` event — and its status; a withdrawn
publication keeps its row with status ``withdrawn`` so that the column can say it was withdrawn.
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any, ClassVar
from uuid import UUID

from sqlalchemy import Table

from ledger.application import LedgerApp

if TYPE_CHECKING:
    from . import ReadModels

from . import queries
from . import tables as t
from .tracking import (
    Handler,
    Projection,
    ReadModelMismatch,
    Writer,
    entry_id,
    event_time,
    touched,
)


class InspectionsProjection(Projection):
    name = "inspections"
    tables: ClassVar[tuple[Table, ...]] = (t.inspections,)
    kinds = ("inspection",)

    def handlers(self) -> dict[str, Handler]:
        return {
            "inspection.notified": self._notified,
            "inspection.carried_out": self._carried_out,
            "inspection.checklist_answered": self._touch,
            "inspection.result_recorded": self._result,
            "inspection.confirmation_recorded": self._confirmation,
            "inspection.followed_up": self._followed_up,
            "inspection.evidence_added": self._touch,
            "inspection.closed": self._closed,
        }

    def _set(self, w: Writer, e: Any, position: int, **values: Any) -> None:
        # A 双公示 deadline counts from the first penalty decision (verify/results.py,
        # deadline_start): a later decision does not move it.
        w.update(
            t.inspections,
            {"id": entry_id(e)},
            {**values, **touched(e, position)},
            keep_first=("penalty_on",) if "penalty_on" in values else (),
        )

    def _notified(self, w: Writer, e: Any, position: int) -> None:
        row = {
            "id": entry_id(e),
            **{k: getattr(e, k) for k in ("source", "random", "target", "division", "items")},
            "step": "notified",
            "notified_on": e.notified_on,
            "carried_out_on": None,
            "category": None,
            "confirmed_on": None,
            "confirmed": None,
            "follow_up": None,
            "penalty_on": None,
            "closed_on": None,
            **touched(e, position),
            "registered_at": event_time(e),
        }
        w.insert(t.inspections, row)

    def _touch(self, w: Writer, e: Any, position: int) -> None:
        self._set(w, e, position)

    def _carried_out(self, w: Writer, e: Any, position: int) -> None:
        self._set(w, e, position, step="carried_out", carried_out_on=e.on)

    def _result(self, w: Writer, e: Any, position: int) -> None:
        self._set(w, e, position, step="result_recorded", category=e.category)

    def _confirmation(self, w: Writer, e: Any, position: int) -> None:
        self._set(
            w, e, position, step="confirmation_recorded", confirmed_on=e.on, confirmed=e.confirmed
        )

    def _followed_up(self, w: Writer, e: Any, position: int) -> None:
        extra = {"penalty_on": e.on} if e.kind == "penalty_decided" else {}
        self._set(w, e, position, follow_up=e.kind, **extra)

    def _closed(self, w: Writer, e: Any, position: int) -> None:
        self._set(w, e, position, step="closed", closed_on=e.on)


class PublicationsProjection(Projection):
    name = "publications"
    tables: ClassVar[tuple[Table, ...]] = (t.publications,)
    kinds = ("publication",)

    def handlers(self) -> dict[str, Handler]:
        return {
            "publication.published": self._published,
            "publication.corrected": self._corrected,
            "publication.withdrawn": self._withdrawn,
        }

    def _published(self, w: Writer, e: Any, position: int) -> None:
        row = {
            "id": entry_id(e),
            "inspection": e.inspection,
            "channel": e.channel,
            "status": "published",
            **_content_columns(e.content),
            "content_digest": e.content_digest,
            "supersedes": None,
            "published_on": e.published_on,
            "published_at": event_time(e),
            "deadline": e.deadline,
            "on_time": e.on_time,
            **touched(e, position),
            "registered_at": event_time(e),
        }
        w.insert(t.publications, row)

    def _corrected(self, w: Writer, e: Any, position: int) -> None:
        values = {
            "status": "corrected",
            **_content_columns(e.content),
            "content_digest": e.content_digest,
            "supersedes": e.replaces,
            **touched(e, position),
        }
        w.update(t.publications, {"id": entry_id(e)}, values)

    def _withdrawn(self, w: Writer, e: Any, position: int) -> None:
        w.update(
            t.publications, {"id": entry_id(e)}, {"status": "withdrawn", **touched(e, position)}
        )


def _content_columns(content: dict[str, Any]) -> dict[str, Any]:
    category = content.get("category") or {}
    follow_up = content.get("follow_up") or {}
    return {
        "target_code": content["target"]["key"],
        "target_name": content["target"]["name"],
        "items": content["items"],
        "division": content["division"]["code"],
        "division_name": content["division"]["name"],
        "inspected_on": content["inspected_on"],
        "category": category.get("code"),
        "category_label": category.get("label"),
        "follow_up": follow_up.get("code"),
        "follow_up_label": follow_up.get("label"),
        "content": content,
    }


# Every column of a publication's row but where it was last changed (the check folds the
# events at the row's own position): what the column and its feeds show.
_SHOWN = tuple(c.name for c in t.publications.columns if c.name != "position")
# Rows found to be what the log records, by publication and shown content: the log never
# changes what it holds, so the same row needs no second fold (a row edited since is another
# key, checked again). The column's list page was ~30 ms slower under load folding each row.
_CHECKED: set[tuple[str, str]] = set()
_CHECKED_MOST = 50_000


class _OneRow:
    """A writer that keeps the one row a publication's events write (``checked_publications``)."""

    def __init__(self) -> None:
        self.row: dict[str, Any] = {}

    def insert(self, _table: Table, row: dict[str, Any]) -> None:
        self.row = dict(row)

    def update(self, _table: Table, _key: dict[str, Any], values: dict[str, Any]) -> None:
        self.row.update(values)


def checked_publications(
    app: LedgerApp,
    read_models: ReadModels,
    recorded: int | None,
    where: dict[str, str | None],
    limit: int,
    offset: int,
) -> dict[str, Any]:
    """A page of ``queries.search_publications`` (``where``: its channel and text), the read
    models caught up first, checked against the log (``_checked``). A row the log does not give
    is read once more, after another catch-up: a correction or withdrawal recorded after the
    first is in the log and not yet in its row; a row the log still does not give is refused
    (ReadModelMismatch), as an edited one is whenever it is read."""
    for again in (False, True):
        read_models.current()
        found = queries.search_publications(
            read_models.engine, channel=where.get("channel"), q=where.get("q"), limit=limit,
            offset=offset,
        )  # fmt: skip
        try:
            return _checked(app, found, recorded)
        except ReadModelMismatch:
            if again:
                raise
    raise AssertionError("unreachable")


def _checked(app: LedgerApp, found: dict[str, Any], recorded: int | None) -> dict[str, Any]:
    """``found`` (a page of ``queries.search_publications``) once checked against the log, else
    ReadModelMismatch: each row must be what its publication's own events give (read through
    the checked reader, folded by the projection's handlers), and an unfiltered list must count
    at least the ``recorded`` publications the log held before the read models caught up. A
    row edited, made up or deleted behind the service's back — another result, a correction
    or a withdrawal undone — is never served as published."""
    projection = PublicationsProjection()
    for row in found["items"]:
        shown = json.dumps([row.get(k) for k in _SHOWN], sort_keys=True, default=str)
        if (str(row["id"]), shown) in _CHECKED:
            continue  # this very row was found to be the log's already
        events = app.records_of(UUID(str(row["id"])))
        rebuilt = _OneRow()
        for signed in events:
            event = app.domain_event_of(signed)
            projection.process(rebuilt, event, int(row["position"]))  # type: ignore[arg-type]
        if not events or any(rebuilt.row.get(k) != row.get(k) for k in _SHOWN):
            raise ReadModelMismatch(
                f"the published row of publication {row['id']} is not what the log records: "
                "rebuild the read models"
            )
        if len(_CHECKED) >= _CHECKED_MOST:
            _CHECKED.clear()
        _CHECKED.add((str(row["id"]), shown))
    total = found["total"]
    if recorded is not None and total is not None and total < recorded:
        raise ReadModelMismatch(
            f"the read models list {total} publications, the log records {recorded}: "
            "rebuild the read models"
        )
    return found
