"""Request and response bodies of the registry API (``XCreate`` in, ``XPublic`` out), and the
one rule every request body of the API follows: ``RequestBody``.

The request models describe the fields for OpenAPI and refuse unknown fields (a typo is an error,
not a silently ignored value). The domain parsers in ``ledger/`` remain the judges of every value:
a code, a credit code, an unknown division or an expired certificate is refused there, with the
field named, so the same rules hold for the API, the CLI and imports.
"""

from __future__ import annotations

from datetime import date
from typing import Any, ClassVar
from uuid import UUID

from pydantic import BaseModel, ConfigDict, Field, ValidationInfo, field_validator

from ledger.fields import text_problem
from ledger.registry import divisions, inspectors, items, targets
from ledger.registry.officials import OFFICIAL_ROLES


def _one_of(values: tuple[str, ...], description: str, default: Any = ...) -> Any:
    """A text field documented as an enum; the domain checks the value."""
    return Field(default, description=description, json_schema_extra={"enum": list(values)})


CODE = "a code: lowercase letters, digits, . _ - (max 64)"


class RequestBody(BaseModel):
    """What every request body derives from: an unknown field is a 422 naming it, never ignored
    (a misspelt ``reasn`` must not record an event without its reason); and every text in it,
    however deep in lists and objects, follows the ledger's text rule
    (``ledger.fields.text_problem``: no control characters, no lone surrogates, not invisible
    only), or the request is a 422 naming the field."""

    model_config = ConfigDict(extra="forbid")
    # Fields whose text is line-based (a signed note's line ends with a line feed).
    multiline: ClassVar[tuple[str, ...]] = ()

    @field_validator("*", mode="after")
    @classmethod
    def _text(cls, value: Any, info: ValidationInfo) -> Any:
        problem = _text_in(value, info.field_name in cls.multiline)
        if problem is not None:
            raise ValueError(problem)
        return value


def _text_in(value: Any, newlines: bool) -> str | None:
    """The first text problem in a value, its keys and its items, or None."""
    if isinstance(value, str):
        return text_problem(value, newlines=newlines)
    if isinstance(value, dict):
        for key, item in value.items():
            problem = _text_in(key, newlines) or _text_in(item, newlines)
            if problem is not None:
                return problem
    elif isinstance(value, list | tuple):
        for item in value:
            problem = _text_in(item, newlines)
            if problem is not None:
                return problem
    return None


class Reason(RequestBody):
    reason: str = Field(description="why this is done; recorded in the signed event")


class ReasonAndSource(Reason):
    source: str = Field(
        description="where the information comes from (a register, a letter, a site visit…)"
    )


# -- responses -----------------------------------------------------------------------------------


class Recorded(BaseModel):
    ledger_position: int = Field(
        description="the ledger's last position just after the command was recorded: the "
        "position of its last event, unless another command was recorded at the same moment"
    )


# -- divisions -----------------------------------------------------------------------------------


class DivisionCreate(RequestBody):
    code: str = Field(description=f"the division's or unit's code, {CODE}", examples=["szc"])
    name: str = Field(description="its name", examples=["水政处"])
    kind: str = _one_of(
        divisions.KINDS,
        "business_division (业务处室: supervises what it approves), aggregator (水政处), "
        "detachment (市水政监察支队), service_centre (水资源服务中心), other_unit",
        "business_division",
    )
    contact: str | None = Field(None, description="code of the official who is its contact")


class DivisionPublic(Recorded):
    code: str


class ContactCreate(Reason):
    contact: str | None = Field(
        description="code of the official named as the division's contact person (工作联系人), "
        "or null to name none"
    )


# -- officials and tokens ------------------------------------------------------------------------


class OfficialCreate(RequestBody):
    code: str = Field(description=f"the official's code, {CODE}", examples=["szc-clerk"])
    name: str = Field(description="name in office (a public-record fact)")
    division: str = Field(description="code of the official's division")
    roles: list[str] = Field(
        description="one or more roles", json_schema_extra={"items": {"enum": list(OFFICIAL_ROLES)}}
    )


class OfficialPublic(Recorded):
    code: str


class InspectorBinding(Reason):
    inspector: str = Field(
        description="the roster inspector the official is: of the official's own unit, bound "
        "to no other official"
    )


class RolesChange(Reason):
    roles: list[str] = Field(
        description="the official's roles from now on",
        json_schema_extra={"items": {"enum": list(OFFICIAL_ROLES)}},
    )
    division: str = Field(description="the official's division from now on")


class TokenIssue(RequestBody):
    days: int | None = Field(
        None,
        ge=1,
        le=365,
        description="the token's life in days (default: the policy's [tokens] default_days, "
        "90; at most its max_days)",
    )
    label: str | None = Field(
        None, max_length=32, description="the owner's name for the token, e.g. 办公室电脑"
    )


class TokenPublic(Recorded):
    official: str
    token_id: str = Field(description="the id under which the token can be revoked")
    token: str = Field(description="the bearer token: shown once, only its hash is kept")
    expires: str = Field(description="UTC time from which the token no longer authenticates")


# -- targets -------------------------------------------------------------------------------------


class _TargetDetails(RequestBody):
    legal_representative: str | None = Field(None, description="法定代表人 (not for individuals)")
    address: str | None = Field(None, description="registered address (not for individuals)")
    grid: str | None = Field(None, description="the grid (网格) the target lies in")
    items: list[str] | None = Field(None, description="codes of the inspection items it is under")
    permit_number: str | None = Field(None, description="source permit, e.g. 取水许可证 number")
    permit_valid_from: date | None = Field(None, description="permit valid from")
    permit_valid_until: date | None = Field(
        None, description="permit valid until (required with a permit number)"
    )
    credit_class: str | None = _one_of(
        targets.CREDIT_CLASSES, "credit-risk class, A (best) to D", None
    )
    risk_flags: list[str] | None = Field(
        None,
        description="risk flags that raise sampling weight and frequency",
        json_schema_extra={"items": {"enum": list(targets.RISK_FLAGS)}},
    )


class TargetCreate(_TargetDetails):
    kind: str = _one_of(targets.KINDS, "what the target is", "enterprise")
    code: str = Field(
        description="unified social credit code (18 characters, GB 32100) for an enterprise or "
        "public body; approval number for a project; ID number for an individual (kept off the "
        "log: the log holds a pseudonymous reference)",
        examples=["91320411MA1MB3K8XT"],
    )
    name: str = Field(
        description="name of the enterprise, body or project; an individual's name is kept off "
        "the log (erasable) and never published"
    )
    district: str = Field(description="district or county", examples=["新北区"])
    division: str = Field(description="code of the responsible division (谁审批谁监管)")


class TargetChanges(_TargetDetails):
    name: str | None = Field(None, description="a corrected name (not for individuals)")
    district: str | None = Field(None, description="district or county")
    division: str | None = Field(
        None, description="a new responsible division: the official must act for both"
    )


class TargetPublic(Recorded):
    id: UUID = Field(description="the target's id in the ledger")
    warnings: list[str] = Field(description="accepted, but worth checking (GB 11714 check digit)")


class TargetCorrection(ReasonAndSource):
    changes: TargetChanges = Field(
        description="only the fields that change; the target's kind and code never change"
    )


class TargetCorrected(Recorded):
    warnings: list[str] = Field(
        description="recorded, but worth checking: a cell left out as an individual's personal "
        "data, a code's GB 11714 check digit (in Chinese)"
    )


class TargetStatusChange(ReasonAndSource):
    status: str = _one_of(targets.STATUSES, "the target's status from now on")


# -- inspectors ----------------------------------------------------------------------------------


class InspectorCreate(RequestBody):
    code: str = Field(description=f"the inspector's code, {CODE}")
    name: str = Field(description="name in office")
    certificate_number: str = Field(description="enforcement certificate (执法证) number")
    certificate_valid_until: date = Field(description="the certificate is valid until this day")
    unit: str = Field(description="code of the unit the inspector works in")
    division: str = Field(description="code of the division the inspector works for")
    agency_staff: bool = Field(False, description="agency (机关) staff rather than a unit's staff")
    qualifications: list[str] = Field(
        default_factory=list, description="codes of the items the inspector is qualified for"
    )
    status: str = _one_of(inspectors.STATUSES, "status", "on_duty")


class InspectorPublic(Recorded):
    code: str


class Certificate(RequestBody):
    number: str = Field(description="enforcement certificate number")
    valid_until: date = Field(description="valid until")


class InspectorChanges(RequestBody):
    name: str | None = None
    certificate: Certificate | None = Field(None, description="a renewed certificate")
    unit: str | None = None
    division: str | None = None
    agency_staff: bool | None = None
    qualifications: list[str] | None = Field(None, description="item codes, the full new list")
    status: str | None = _one_of(inspectors.STATUSES, "transferred, retired, suspended…", None)


class InspectorCorrection(Reason):
    changes: InspectorChanges = Field(description="only the fields that change")


class ConflictCreate(Reason):
    target_id: str = Field(
        description="the target the inspector has an interest in: its credit code, "
        "kind:code for a project or an individual, or its id",
        examples=["91320411MA1MB3K8XT"],
    )


class ConflictPublic(Recorded):
    inspector: str
    target_id: UUID


# -- items and the published list ----------------------------------------------------------------


class ItemCreate(RequestBody):
    code: str = Field(description=f"the item's code, {CODE}", examples=["qsxk"])
    name: str = Field(description="the item's name", examples=["取水许可监督检查"])
    law: str = Field(
        description="the law or regulation it rests on", examples=["《中华人民共和国水法》"]
    )
    article: str = Field(description="the article", examples=["第四十八条"])
    basis_text: str | None = Field(None, description="the quoted text of the article")
    division: str = Field(description="code of the owning division")
    executing_units: list[str] = Field(
        default_factory=list, description="codes of the units that carry it out with the division"
    )
    object_type: str = Field(description="what kind of target it applies to")
    checklist: list[str] = Field(default_factory=list, description="what is checked")
    method: list[str] = Field(
        default_factory=list,
        description="how it is checked (on_site by default)",
        json_schema_extra={"items": {"enum": list(items.METHODS)}},
    )
    item_class: str = _one_of(
        items.CLASSES, "key (no upper limit on sampling) or general (kept low)", "general"
    )
    ratio_percent: int | None = Field(None, description="sampling ratio, percent")
    frequency_per_year: int | None = Field(None, description="inspections per year")


class ItemPublic(Recorded):
    code: str


class LegalBasis(BaseModel):
    law: str
    article: str
    text: str | None


class ListedItem(BaseModel):
    code: str
    name: str
    legal_basis: LegalBasis
    division: str = Field(description="code of the owning division (see 'divisions')")
    executing_units: list[str]
    object_type: str
    checklist: list[str]
    method: list[str]
    item_class: str
    ratio_percent: int | None
    frequency_per_year: int | None


class ItemListPublic(BaseModel):
    number: int = Field(description="the publication's number: 1 for the first list, then 2…")
    digest: str = Field(
        description="SHA-256 of the RFC 8785 canonical JSON of 'items' (sorted by code)"
    )
    published_at: str
    position: int = Field(description="the ledger position of the itemlist.published event")
    items: list[ListedItem]
    divisions: dict[str, str] = Field(description="names of the divisions and units named")


class ItemListPublished(Recorded):
    number: int
    digest: str
