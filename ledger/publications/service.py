"""Publishing results to the public column (公示专栏) and penalties to the 双公示 column.

A result is published only after the inspected party confirmed it (or refused to, which is
recorded); a penalty only after it was decided. The published content is derived from the
ledger — target, items, division, date, category, follow-up; never an inspector's personal
data — and its digest, the deadline (the policy's working days after the confirmation or the
decision, on the working-day calendar) and whether it was met are recorded with it. A
correction republishes the content as the ledger now derives it (after a corrected record);
a withdrawal states its reason. ``today`` is the service's clock (China time).
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from typing import Any
from uuid import UUID

from verify.results import (
    CATEGORIES,
    CHANNELS,
    FOLLOW_UPS,
    content_digest,
    deadline_start,
    publication_terms,
)
from verify.workdays import UnknownYear

from ..aggregates import id_for
from ..application import LedgerApp
from ..errors import BadInput, Conflict, NotFound
from ..inspections.aggregate import Inspection
from ..inspections.service import china_today
from ..registry.authority import acting
from ..registry.divisions import Division, division_id
from ..registry.items import Item, item_id
from ..registry.targets import Target
from .aggregate import Publication, publication_id


class Publishing:
    def __init__(self, app: LedgerApp, today: Callable[[], date] = china_today) -> None:
        self.app = app
        self.today = today

    def get(self, publication: UUID) -> Publication:
        record: Publication = self.app.get(publication, Publication)
        return record

    def _actor(self, by: str | None, division: str) -> dict[str, Any]:
        return acting(self.app, by, "publication.publish", division)

    def publish(self, inspection_id: UUID, channel: str, by: str | None) -> UUID:
        """Publish an inspection's result (``results``) or its penalty (``double_publicity``)."""
        if channel not in CHANNELS:
            raise BadInput(f"channel: must be one of {', '.join(CHANNELS)}")
        inspection: Inspection = self.app.get(inspection_id, Inspection)
        actor = self._actor(by, inspection.division)
        start = self._start(inspection, channel)
        key = publication_id(str(inspection.id), channel)
        if key in self.app.repository:
            raise Conflict(
                f"the {channel} publication of inspection {inspection.id} exists ({key}); "
                "correct or withdraw it instead"
            )
        policy = self.app.policy_in_force()
        today = self.today()
        try:
            terms = publication_terms(start, today.isoformat(), policy)
        except UnknownYear as e:
            raise Conflict(
                f"cannot count the publication deadline: {e}; the result stays confirmed and "
                "is published once an administrator records that year's table with 'drawledger "
                "policy set' (docs/POLICY.md)"
            ) from None
        content = self.content(inspection, channel)
        facts = {
            "inspection": str(inspection.id),
            "channel": channel,
            "content": content,
            "content_digest": content_digest(content),
            "start": start,
            "published_on": today.isoformat(),
            **terms,
            "policy_version": policy["version"],
        }
        publication = Publication.publish(facts, actor)
        self.app.save(publication)
        return publication.id

    def _start(self, inspection: Inspection, channel: str) -> str:
        """The date the deadline counts from (verify/results.py); Conflict if there is nothing
        to publish yet."""
        confirmed_on = getattr(inspection, "confirmed_on", None)
        start = deadline_start(channel, confirmed_on, inspection.follow_ups)
        if start is not None:
            return start
        if channel == "results":
            raise Conflict(
                f"cannot publish the result of inspection {inspection.id}: it is at step "
                f"'{inspection.step}'; a result is published only after the inspected "
                "party confirmed it (or its refusal to confirm was recorded)"
            )
        raise Conflict(
            f"cannot publish to the double-publicity column: inspection {inspection.id} "
            "has no penalty decision (follow-up 'penalty_decided')"
        )

    def correct(self, publication_id_: UUID, reason: str, by: str | None) -> None:
        """Republish the content as the ledger derives it now; Conflict if nothing changed."""
        if not reason.strip():
            raise BadInput("reason: a correction states what was wrong")
        publication = self.get(publication_id_)
        inspection: Inspection = self.app.get(UUID(publication.inspection), Inspection)
        actor = self._actor(by, inspection.division)
        content = self.content(inspection, publication.channel)
        publication.correct(content, content_digest(content), reason.strip(), actor)
        self.app.save(publication)

    def withdraw(self, publication_id_: UUID, reason: str, by: str | None) -> None:
        if not reason.strip():
            raise BadInput("reason: a withdrawal states why")
        publication = self.get(publication_id_)
        inspection: Inspection = self.app.get(UUID(publication.inspection), Inspection)
        actor = self._actor(by, inspection.division)
        publication.withdraw(reason.strip(), actor)
        self.app.save(publication)

    # -- the published content ------------------------------------------------------------------

    def content(self, inspection: Inspection, channel: str) -> dict[str, Any]:
        """What the public column shows: public-record facts only."""
        target = self._target(inspection.target)
        division = self._name(Division, division_id(inspection.division), inspection.division)
        base = {
            "target": {"key": inspection.target, "name": target},
            "division": {"code": inspection.division, "name": division},
            "items": [
                {"code": c, "name": self._name(Item, item_id(c), c)} for c in inspection.items
            ],
            "random": inspection.random,
            "inspected_on": inspection.carried_out_on,
        }
        if channel == "results":
            follow_up = inspection.follow_ups[-1]["kind"] if inspection.follow_ups else "none"
            return {
                **base,
                "category": {"code": inspection.category, "label": CATEGORIES[inspection.category]},
                "follow_up": {"code": follow_up, "label": FOLLOW_UPS[follow_up]},
                "confirmed": inspection.confirmed,
            }
        penalty = inspection.penalty() or {}
        case = next((f for f in inspection.follow_ups if f["kind"] == "case_filed"), {})
        return {
            **base,
            "case_number": case.get("case_number", ""),
            "decision_number": penalty.get("decision_number", ""),
            "penalty": penalty.get("penalty", ""),
            "decided_on": penalty.get("on", ""),
        }

    def _target(self, key: str) -> str:
        try:
            target: Target = self.app.get(id_for("target", key), Target)
        except NotFound:
            return key
        return str(target.name or key)

    def _name(self, cls: type[Any], aggregate: UUID, fallback: str) -> str:
        try:
            return str(self.app.get(aggregate, cls).name)
        except NotFound:
            return fallback
