"""Registry exports over HTTP: the same files as ``drawledger export-registry``, which an
import reads back unchanged (a target's status and an inspector's conflicts included)."""

from __future__ import annotations

from typing import Literal

from fastapi import APIRouter, Query, Response

from ..as_of import AtDep
from ..deps import LedgerDep, OfficialDep
from ..importing import export_bytes

router = APIRouter(prefix="/exports", tags=["imports"])
MEDIA = {
    "csv": "text/csv; charset=utf-8",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
}


@router.get(
    "/{registry}",
    response_class=Response,
    responses={
        200: {"content": {m: {} for m in MEDIA.values()}, "description": "the registry file"},
        403: {
            "description": "the official may not keep this division's entries (a division that "
            "does not exist is nobody's: 403 too)"
        },
    },
)
def export_registry(
    registry: Literal["targets", "inspectors", "items"],
    official: OfficialDep,
    ledger: LedgerDep,
    at: AtDep,
    division: str | None = Query(None, description="a division's code (default: the caller's)"),
    format: Literal["csv", "xlsx"] = "csv",
    headers: Literal["zh", "en"] = "zh",
) -> Response:
    """A registry's entries of one division (default: the caller's own), as they stand or as
    they stood at ledger position ``as_of``, as a .csv (UTF-8 with BOM) or .xlsx file with the
    import layout's columns (docs/IMPORT.md). The caller must be allowed to keep that
    division's entries: the file holds individuals' ID numbers."""
    data, count, _ = export_bytes(
        ledger,
        registry,
        f".{format}",
        headers,
        division=division,
        as_of=at.position if at.asked else None,
        by=official.code,
    )
    name = f"{registry}-{division or official.division}.{format}"
    return Response(
        data,
        media_type=MEDIA[format],
        headers={
            "Content-Disposition": f'attachment; filename="{name}"',
            "Registry-Rows": str(count),
        },
    )
