"""Registry exports over HTTP: the same files as ``drawledger export-registry``, which an
import reads back unchanged (a target's status and an inspector's conflicts included), and the
same warnings the command prints (an individual left out: their personal data was erased), in
Chinese, in response headers: the file itself stays exactly what an import reads back."""

from __future__ import annotations

from typing import Literal
from urllib.parse import quote

from fastapi import APIRouter, Query, Response

from ..as_of import AtDep
from ..deps import LedgerDep, OfficialDep
from ..importing import export_bytes
from ..problem_texts import warning_text

router = APIRouter(prefix="/exports", tags=["imports"])
MEDIA = {
    "csv": "text/csv; charset=utf-8",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
}
WARNINGS_SHOWN = 20  # in headers, as the import's CLI shows them; the count is always whole
WARNING_HEADERS = {
    "Registry-Rows": {"description": "the number of entries in the file"},
    "Registry-Warnings": {
        "description": "the number of warnings (entries left out), 0 if none; the CLI prints "
        "the same warnings"
    },
    "Registry-Warning": {
        "description": "one warning in Chinese, percent-encoded UTF-8 (decodeURIComponent, "
        "urllib.parse.unquote), one header each, the first 20; a 21st says how many more"
    },
}


def warning_headers(warnings: list[str]) -> list[tuple[str, str]]:
    """The export's warnings as the CLI words them (``warning_text``: 提示 in Chinese), each a
    ``Registry-Warning`` header percent-encoded (a header is Latin-1; the encoding leaves no
    comma, so headers a client joins still split), after their count."""
    texts = [warning_text(w) for w in warnings[:WARNINGS_SHOWN]]
    if len(warnings) > WARNINGS_SHOWN:
        texts.append(f"…… 另有 {len(warnings) - WARNINGS_SHOWN} 条提示")
    return [("Registry-Warnings", str(len(warnings)))] + [
        ("Registry-Warning", quote(text, safe="")) for text in texts
    ]


@router.get(
    "/{registry}",
    response_class=Response,
    responses={
        200: {
            "content": {m: {} for m in MEDIA.values()},
            "description": "the registry file",
            "headers": {
                name: {**doc, "schema": {"type": "string"}} for name, doc in WARNING_HEADERS.items()
            },
        },
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
    division's entries: the file holds individuals' ID numbers. Warnings (an individual left
    out, their personal data erased) come in ``Registry-Warning`` headers, in Chinese."""
    data, count, warnings = export_bytes(
        ledger,
        registry,
        f".{format}",
        headers,
        division=division,
        as_of=at.position if at.asked else None,
        by=official.code,
    )
    name = f"{registry}-{division or official.division}.{format}"
    response = Response(
        data,
        media_type=MEDIA[format],
        headers={
            "Content-Disposition": f'attachment; filename="{name}"',
            "Registry-Rows": str(count),
        },
    )
    for header, value in warning_headers(warnings):
        response.headers.append(header, value)
    return response
