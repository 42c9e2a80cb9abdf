"""Registry imports over HTTP: the same files and checks as ``drawledger import``."""

from __future__ import annotations

from typing import Any, Literal

from fastapi import APIRouter, Response, UploadFile

from ledger.error_texts.words import REGISTRIES
from ledger.registry.exports import coded_values
from ledger.registry.reports import ImportReport

from ..as_of import AtDep
from ..deps import OfficialDep, RegistryDep
from ..errors import problem
from ..importing import import_file
from ..problem_texts import report_answer
from ..templates import template_bytes

router = APIRouter(prefix="/imports", tags=["imports"])
Registry = Literal["targets", "inspectors", "items"]
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


@router.post(
    "/{registry}",
    response_model=ImportReport,
    responses={
        422: {
            "description": "bad rows (each with row, column, value, message) and "
            "nothing recorded, or a file that cannot be read"
        }
    },
)
def import_registry(
    registry: Registry,
    file: UploadFile,
    official: OfficialDep,
    service: RegistryDep,
    skip_invalid: bool = False,
    dry_run: bool = False,
    source: str | None = None,
    encoding: Literal["utf-8", "gb18030", "utf-16", "big5", "shift_jis"] | None = None,
) -> Any:
    """Import a registry file (.csv or .xlsx; layouts in ``ledger/registry/layouts.py``) as
    the caller.

    Every row is checked first; with any bad row nothing is recorded (422 listing every bad
    row) unless ``skip_invalid``, which records the good rows and reports the bad ones. A row
    for an entry that exists changes only the fields its cells give (a blank cell keeps the
    stored value; ``<清空>`` empties it), each change listed in ``changes``; ``dry_run``
    records nothing and reports what the import would record. Re-importing the same content
    records nothing new. Columns, rules and the clear marker: docs/IMPORT.md and
    ``GET /imports/templates/{registry}``.
    """
    result = import_file(  # the upload is read a row at a time from its spooled file
        service,
        registry,
        file.file,
        by=official.code,
        source=source or file.filename or "an uploaded file",
        skip_invalid=skip_invalid,
        dry_run=dry_run,
        encoding=encoding,
    )
    if result.refused:
        detail = (
            f"{REGISTRIES.get(registry, registry)}名录文件有 {result.bad_rows} 行有误，"
            "未记录任何内容。请改正，或设置 skip_invalid=true 只记录无误的行。"
        )
        return problem(422, "import_refused", detail, **report_answer(result))
    return report_answer(result)


@router.get(
    "/templates/{registry}",
    response_class=Response,
    responses={200: {"content": {XLSX: {}}, "description": "the template workbook"}},
)
def import_template(
    registry: Registry,
    _: OfficialDep,
    at: AtDep,
    headers: Literal["zh", "en"] = "zh",
) -> Response:
    """The template workbook of a registry (.xlsx): the headers, an example row, drop-down
    lists for the coded columns (the ledger's divisions, units and districts included) and each
    column's rule on the second sheet, 填写说明 (docs/IMPORT.md says the same)."""
    data = template_bytes(registry, coded_values(at.ledger), headers)
    disposition = f'attachment; filename="{registry}-template.xlsx"'
    return Response(data, media_type=XLSX, headers={"Content-Disposition": disposition})
