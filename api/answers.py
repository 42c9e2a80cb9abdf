"""The documented shape of the answers routes build as plain dictionaries.

These models only describe: a route keeps returning its dictionary, and the model is attached
to its OpenAPI description (``documented``), so /openapi.json says which keys an answer
holds, their types and which are always there, where it said "an object". More keys may follow
(``extra`` is allowed: nested records carry the domain's own fields, documented in
docs/FORMAT.md). ``tests/api/test_response_schemas.py`` validates real answers
of every GET, as each role and without login, against these schemas, and the hostile walk
(``tests/api/test_hostile_parameters.py``) every 2xx it meets.
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

Rows = list[dict[str, Any]]
Object = dict[str, Any]


class Answer(BaseModel):
    """An answer's documented keys; more may follow."""

    model_config = ConfigDict(extra="allow")


def documented(model: Any, *statuses: int) -> dict[str, Any]:
    """Decorator arguments that document ``model`` (a model, or a list of one) as the answer
    of ``statuses`` (200 by default) without passing the route's dictionary through it: the
    answer is sent as the route built it."""
    one = model.__args__[0] if getattr(model, "__origin__", None) is list else model
    description = (one.__doc__ or "").strip().split("\n")[0]
    answer = {"model": model, "description": description}
    return {"response_model": None, "responses": {s: answer for s in statuses or (200,)}}


# -- lists ------------------------------------------------------------------------------------


class Page(Answer):
    """One page of a list."""

    items: Rows
    total: int | None = Field(
        description="how many match, exact; null when more than `more_than` match and "
        "`total=exact` was not asked for (counting them all would read every one)"
    )
    more_than: int | None = Field(
        None, description="set when `total` is null: more than this many match (10,000)"
    )
    limit: int | None = None
    offset: int | None = None
    next: str | None = Field(None, description="the next page's path, if there is one")
    as_of: int | None = Field(None, description="the ledger position the list was read at")


class RegistryPage(Page):
    """One page of a registry (targets, inspectors, items, officials, divisions)."""


class ScopedPage(Page):
    """One page of a division-scoped list, saying which divisions it covered."""

    divisions: list[str] | Literal["all"] = Field(
        description='the divisions the answer covers, or "all": without `division`, every '
        "division the caller reads (a leader in charge: their own, then each the policy in "
        "force now puts in their charge); with it, that one"
    )


class ActsPage(ScopedPage):
    """One page of the trail of acts, with the divisions the caller may see."""


class RecordsPage(ScopedPage):
    """One page of a list of records (plans, draws, inspections, publications)."""


class StaffAwaiting(Answer):
    """Inspections whose results await the confirmation of the target, with warnings."""

    items: Rows
    total: int
    warnings: Rows


class PublicationsDue(Answer):
    """Results due for publication (and overdue) as of today, with warnings."""

    today: str
    due: Rows
    overdue: Rows
    warnings: Rows


# -- registry entries ---------------------------------------------------------------------------


class Entry(Answer):
    """A registry entry as it stands (or stood at ``as_of``)."""

    id: str
    code: str
    version: int
    position: int = Field(description="the ledger position of its latest event")
    registered_at: str | None = None
    updated_at: str | None = None


class History(Answer):
    """Every event of one entry, oldest first."""

    id: str
    kind: str
    events: Rows


class ItemList(Answer):
    """A published catalogue of inspection items (随机抽查事项清单)."""

    id: str | None = None
    number: int
    digest: str
    published_at: str
    position: int
    items: Rows


class PublicItemList(ItemList):
    """The catalogue in force, with the names of the divisions it names."""

    divisions: dict[str, str]


# -- transparency -------------------------------------------------------------------------------


class WitnessList(Answer):
    """The witnesses in force and every witness event."""

    in_force: list[Any]
    history: list[Any]


class Cosignature(Answer):
    """A witness's cosignature kept for a checkpoint."""

    tree_size: int
    witness: Any


class InclusionProof(Answer):
    """An inclusion proof (RFC 9162), hashes in base64."""

    position: int
    index: int
    tree_size: int
    proof: list[str]


class ConsistencyProof(Answer):
    """A consistency proof (RFC 9162) between two tree sizes, hashes in base64."""

    old_size: int
    new_size: int
    proof: list[str]


class Health(Answer):
    """The service's state: read models, sealer, warnings."""

    status: str
    origin: str
    read_models: Object
    sealed: int | None
    sealed_position: int | None
    sealer_error: str | None
    sealer_last_round: str | None
    warnings: Rows


# -- plans and draws ----------------------------------------------------------------------------


class Plan(Answer):
    """A plan as it stands."""

    id: str
    division: str
    kind: str
    period: str
    status: str
    content: Object
    deadlines: Object


class PlanDrafted(Answer):
    """The drafted plan's id and deadlines."""

    id: str
    deadlines: Object


class Late(Answer):
    """Whether the step was taken after its deadline."""

    late: bool


class Rollover(Answer):
    """What a monthly rollover moved."""

    month: str
    to_month: str
    plans: Rows
    draws: list[str]


class CoverageReport(Answer):
    """A division's (or a plan's) coverage of its targets over the cycle."""

    division: str
    year: int
    cycle_years: int
    window: dict[str, str]
    targets: int
    covered: int
    uncovered: int
    show: str
    items: Rows
    total: int
    limit: int
    offset: int


class DrawOpened(Answer):
    """The opened draw's id and its entropy commitment."""

    id: str
    commitment: Any


class DrawFrozen(Answer):
    """The frozen population's facts."""

    position: int
    year: int
    count: int
    digest: str
    table_digest: str
    strata: dict[str, int]
    exclusions: Rows
    roster_digest: str
    partner_roster_digests: dict[str, str]


class DrawRevealed(Answer):
    """The revealed entropy and the seed derived from it."""

    beacon: Object | None
    contributions: dict[str, str]
    nonce: str
    seed: str


class DrawAbandoned(Answer):
    """The abandoned draw and its step."""

    draw: str
    step: str


class Stratum(Answer):
    """One stratum's selected targets, their tickets and the threshold."""

    stratum: str
    count: int
    population: int
    selected: Rows
    threshold: str | None


class Team(Answer):
    """The team assigned to one selected target, with the inspectors skipped and why."""

    target: str
    members: list[str]
    skips: Rows


class DrawRecord(Answer):
    """The public draw record (docs/DRAWS.md): its manifest and population."""

    manifest: Object
    population: list[str] | None = None


# -- inspections, publications, policy, trail ---------------------------------------------------


class Inspection(Answer):
    """An inspection as it stands."""

    id: str
    version: int
    source: str | None = None
    random: bool
    target: str
    division: str
    items: list[str]
    step: str


class Evidence(Answer):
    """The evidence file's digest and size, and whether it was new."""

    sha256: str
    size: int
    recorded: bool


class Published(Answer):
    """The publication's id and the digest of its content."""

    id: str
    content_digest: str


class PolicyVersion(Answer):
    """A policy version: who set it, when, why, and its digest."""

    version: str
    digest: str
    position: int
    set_by: Object
    set_at: str
    reason: str


class PolicyInForce(PolicyVersion):
    """The policy in force (or at ``as_of``), its document and warnings."""

    document: Object
    warnings: Rows


class PolicySet(Answer):
    """Whether the document was recorded as a new version (201) or is the one in force (200)."""

    digest: str
    recorded: bool
    ledger_position: int
    detail: str


class PolicyVersions(Answer):
    """Every policy version, oldest first."""

    versions: list[PolicyVersion]


class Assessment(Answer):
    """The annual assessment (年度考核): each division's figures and the events behind them."""

    format: str
    year: int
    as_of: Object
    legend: Object
    divisions: Rows


__all__ = [
    "Answer",
    "Assessment",
    "ConsistencyProof",
    "Cosignature",
    "CoverageReport",
    "DrawAbandoned",
    "DrawFrozen",
    "DrawOpened",
    "DrawRecord",
    "DrawRevealed",
    "Entry",
    "Evidence",
    "Health",
    "History",
    "InclusionProof",
    "Inspection",
    "ItemList",
    "Late",
    "Object",
    "Page",
    "Plan",
    "PlanDrafted",
    "PolicyInForce",
    "PolicySet",
    "PolicyVersion",
    "PolicyVersions",
    "PublicItemList",
    "PublicationsDue",
    "Published",
    "Rollover",
    "Rows",
    "StaffAwaiting",
    "Stratum",
    "Team",
    "ActsPage",
    "WitnessList",
    "documented",
]


def page_count(found: dict[str, Any], page: int, per_page: int) -> tuple[int | None, bool]:
    """``(pages, more)`` of an HTML list's page ``page`` (from 1) of ``per_page`` entries:
    the number of pages (None when the total is beyond the bounded count: ``more_than``) and
    whether a next page may follow (a full page beyond the count)."""
    if found["total"] is None:
        return None, len(found["items"]) == per_page
    pages = max(1, -(-found["total"] // per_page))
    return pages, page < pages
