"""A publication in the public column (公示专栏), and its corrections and withdrawal.

Each publication event carries the published content, its digest, the channel, the date it was
published (China time), the deadline and whether it was on time. A correction is a new event
carrying the new content and naming the digest it replaces; a withdrawal is a new event with
its reason. Nothing published ever disappears from the log.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any
from uuid import UUID

from ..aggregates import LedgerAggregate, id_for
from ..errors import Conflict


def publication_id(inspection: str, channel: str) -> UUID:
    """One publication per inspection and channel (its corrections are events on it)."""
    return id_for("publication", f"{inspection}/{channel}")


class Publication(LedgerAggregate):
    TOPIC = "publication"

    if TYPE_CHECKING:
        inspection: str
        channel: str
        content: dict[str, Any]
        content_digest: str
        status: str

    class Created(LedgerAggregate.Created):
        TOPIC = "publication.published"
        inspection: str
        channel: str
        content: dict[str, Any]
        content_digest: str
        start: str  # the date the deadline counts from (confirmation, or the penalty decision)
        published_on: str  # China time
        deadline: str
        working_days_allowed: int
        on_time: bool
        policy_version: str

        def apply(self, publication: Publication) -> None:
            publication.inspection, publication.channel = self.inspection, self.channel
            publication.content, publication.content_digest = self.content, self.content_digest
            publication.status = "published"

    class Corrected(LedgerAggregate.Event):
        TOPIC = "publication.corrected"
        replaces: str  # the digest of the content corrected
        content: dict[str, Any]
        content_digest: str
        reason: str

        def apply(self, publication: Publication) -> None:
            publication.content, publication.content_digest = self.content, self.content_digest
            publication.status = "corrected"

    class Withdrawn(LedgerAggregate.Event):
        TOPIC = "publication.withdrawn"
        withdraws: str  # the digest of the content withdrawn
        reason: str

        def apply(self, publication: Publication) -> None:
            publication.status = "withdrawn"

    @classmethod
    def publish(cls, facts: dict[str, Any], actor: dict[str, Any]) -> Publication:
        key = publication_id(facts["inspection"], facts["channel"])
        return cls._create(cls.Created, id=key, actor=actor, **facts)

    def correct(
        self, content: dict[str, Any], digest: str, reason: str, actor: dict[str, Any]
    ) -> None:
        self._check_live("correct")
        if digest == self.content_digest:
            raise Conflict("the correction publishes exactly the content already published")
        self.trigger_event(
            self.Corrected,
            replaces=self.content_digest,
            content=content,
            content_digest=digest,
            reason=reason,
            actor=actor,
        )

    def withdraw(self, reason: str, actor: dict[str, Any]) -> None:
        self._check_live("withdraw")
        self.trigger_event(
            self.Withdrawn, withdraws=self.content_digest, reason=reason, actor=actor
        )

    def _check_live(self, doing: str) -> None:
        if self.status == "withdrawn":
            raise Conflict(f"cannot {doing} the publication: it was withdrawn")
