"""The dispute file over HTTP (争议材料, docs/DISPUTE.md): ``POST /disputes`` answers with a
zip of the directory ``drawledger dispute`` writes; unzipped, ``python -m verify dispute DIR
--key KEY`` checks it offline.

The legal office asks about any target, draw, inspection or official, an auditor about a
target, draw or inspection (``dispute.write`` in ``verify/authority_rules.py``); anyone else,
or a subject outside the role's authority, is a 403 naming the rule.
"""

from __future__ import annotations

from typing import Literal

from fastapi import APIRouter, Response
from pydantic import Field

from ..deps import DisputeFilesDep, OfficialDep
from ..schemas import RequestBody

router = APIRouter(tags=["disputes"])

ZIP = "application/zip"


class Subject(RequestBody):
    kind: Literal["target", "draw", "inspection", "official"] = Field(
        description="what the dispute is about"
    )
    key: str = Field(
        min_length=1,
        max_length=100,
        description="a target's credit code (or key), a draw's or inspection's id, an "
        "official's code",
    )


class DisputeRequest(RequestBody):
    subject: Subject
    as_of: int | str | None = Field(
        default=None,
        description="as the ledger stood then: a position, or a China-time date or date and "
        "time (default: the latest signed checkpoint); the checkpoint must cover it",
    )


def archive(name: str, body: bytes, position: int) -> Response:
    """A dispute file's zip as an attachment, saying the position it was written as of."""
    return Response(
        body,
        media_type=ZIP,
        headers={
            "Content-Disposition": f'attachment; filename="{name}"',
            "Ledger-As-Of": str(position),
        },
    )


@router.post("/disputes", response_class=Response, responses={200: {"content": {ZIP: {}}}})
def make_dispute_file(
    body: DisputeRequest, files: DisputeFilesDep, official: OfficialDep
) -> Response:
    """The dispute file of one subject as a zip archive (one directory inside)."""
    name, data, manifest = files.archive(official, body.subject.kind, body.subject.key, body.as_of)
    return archive(name, data, manifest["as_of"])
