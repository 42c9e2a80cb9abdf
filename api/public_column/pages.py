"""What the public column's pages show, gathered from the ledger and its read models.

Everything here is public record: enterprise names and credit codes, divisions, items, plans and
draws. Nothing names a person: an individual target appears only by its pseudonymous reference,
inspectors only by their codes (the teams and the frozen roster a walk read: docs/COLUMN.md), the
officials who acted and why a member was substituted are left out.

A draw's page carries what "check my company" (static/check.js) needs to decide in the browser,
without asking the server: the seed, each population id's stratum (and weight in a weighted
draw), the thresholds, the selected targets and the logged exclusions.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any
from uuid import UUID

from eventsourcing.persistence import Notification

from ledger.application import LedgerApp
from ledger.catalogue import event_types
from ledger.draws.aggregate import GROUND_LABELS
from ledger.draws.record import draw_record, record_json
from ledger.draws.reproduction import exclusion_reason
from ledger.draws.service import Draws
from ledger.errors import NotFound
from ledger.labels import EVENT_LABELS
from ledger.plans.aggregate import Plan
from ledger.registry.layouts import LABELS
from ledger.registry.service import Registry
from projections import ReadModels, queries
from projections.inspections import checked_publications
from projections.published import published_item_list
from verify.eligibility import weights
from verify.registry_state import RegistryState
from verify.workdays import CHINA

PRIVATE, ERASED = "个人（名称不公开）", "个人（个人信息已依法删除）"  # how an individual is shown
_DRAW_TYPES = [name for name in event_types() if name.startswith("draw.")]

# each recorded step of a draw, as its record lists them: the one table of labels
EVENT_NAMES = {t: EVENT_LABELS[t] for t in _DRAW_TYPES if t != "draw.abandoned"}
STEP_NAMES = {
    "opened": "已开启（已承诺随机数）",
    "frozen": "抽取总体已冻结",
    "revealed": "种子已揭示",
    "selected": "检查对象已抽取",
    "assigned": "执法人员已分配",
}
PLAN_KINDS = {"annual": "年度计划", "monthly": "月度计划"}
DEFAULT_TITLE = "双随机检查公示专栏"
# The column's navigation (base.html), and its sections: where a refused page links back to.
NAVIGATION = [
    ("/column", "首页"),
    ("/column/results", "抽查结果公示"),
    ("/column/results?channel=double_publicity", "双公示"),
    ("/column/items", "随机抽查事项清单"),
    ("/column/plans", "抽查计划"),
    ("/column/draws", "随机抽取记录"),
    ("/column/guide", "复现指南"),
]
SECTIONS = {href: label for href, label in NAVIGATION if "?" not in href}
DRAW_PAGES_KEPT = 64
_BATCH = 1000
TARGET_KINDS = LABELS["kind"]  # the registry's own labels: 企业, 机关事业单位, 项目, 个人


def china_time(value: Any) -> str:
    """A recorded time (UTC, a datetime or ISO 8601 text) in China time: ``YYYY-MM-DD HH:MM``."""
    if value is None or value == "":
        return ""
    text = str(value).replace("Z", "+00:00")
    moment = value if isinstance(value, datetime) else datetime.fromisoformat(text)
    moment = moment if moment.tzinfo else moment.replace(tzinfo=UTC)
    return moment.astimezone(CHINA).strftime("%Y-%m-%d %H:%M")


@dataclass
class Column:
    """The column's data sources: the ledger, its services and its read models."""

    ledger: LedgerApp
    registry: Registry
    draws: Draws
    read_models: ReadModels
    # Draw pages by (draw, version): a recorded step never changes, and building a page folds
    # the registry up to the freeze, which grows with the log.
    _draw_pages: dict[tuple[UUID, int], dict[str, Any]] = field(default_factory=dict)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    # -- the front page --------------------------------------------------------------------------

    _policies: _Recorded = field(default_factory=lambda: _Recorded("policy.set"))
    _plans_uploaded: _Recorded = field(default_factory=lambda: _Recorded("plan.uploaded"))
    _draws_opened: _Recorded = field(default_factory=lambda: _Recorded("draw.opened"))
    _draw_events: _Recorded = field(default_factory=lambda: _Recorded(*_DRAW_TYPES))
    _directed: _Recorded = field(default_factory=lambda: _Recorded("directed.recorded"))
    _published: _Recorded = field(default_factory=lambda: _Recorded("publication.published"))

    def title(self) -> str:
        """The column's name from the policy in force (``publication.column``)."""
        policies = self._policies.since_start(self.ledger)
        if not policies:
            return DEFAULT_TITLE
        event: Any = self.ledger.domain_event(policies[-1])
        return str(event.document.get("publication", {}).get("column") or DEFAULT_TITLE)

    def checkpoint(self) -> str | None:
        """The latest signed checkpoint exactly as ``GET /checkpoint`` serves it (None if the
        log has not been sealed yet)."""
        try:
            return self.ledger.sealer.cosigned_note()
        except NotFound:
            return None

    # -- the published item list -----------------------------------------------------------------

    def item_list(self) -> dict[str, Any] | None:
        """The latest published item list as ``GET /public/item-list`` serves it, or None."""
        try:
            return published_item_list(self.registry)
        except NotFound:
            return None

    # -- uploaded plans --------------------------------------------------------------------------

    def uploaded_plans(self) -> list[dict[str, Any]]:
        """Plans whose current status is uploaded, by division then period."""
        self.read_models.current()
        uploaded = self._plans_uploaded.since_start(self.ledger)
        ids = _unique(n.originator_id for n in uploaded)
        plans = []
        for plan_id in ids:
            plan: Plan = self.ledger.get(plan_id, Plan)
            if plan.status != "uploaded":
                continue
            content = plan.content
            plans.append(
                {
                    "id": str(plan_id),
                    "division": plan.division,
                    "division_name": self._name("division", plan.division),
                    "kind": PLAN_KINDS.get(plan.kind, plan.kind),
                    "period": plan.period,
                    "items": self._items(content.get("items", [])),
                    "counts": dict(content.get("counts", {})),
                    "total": sum(content.get("counts", {}).values()),
                    "stratify_by": content.get("stratify_by"),
                    "weighted": bool(content.get("weighted")),
                    "team_size": content.get("team_size"),
                    "schedule": content.get("schedule"),
                }
            )
        by_plan: dict[str, list[dict[str, Any]]] = {}
        for row in self.draw_list():
            if row["plan"] is not None:
                by_plan.setdefault(row["plan"], []).append(row)
        for plan_row in plans:
            plan_row["draws"] = by_plan.get(plan_row["id"], [])
        return sorted(plans, key=lambda p: (p["division"], p["period"], p["id"]))

    # -- draws -----------------------------------------------------------------------------------

    def draw_list(self) -> list[dict[str, Any]]:
        """Every random draw, newest first, with its step and what it drew."""
        self.read_models.current()
        opened = self._draws_opened.since_start(self.ledger)
        rows = []
        for n in reversed(opened):
            draw = self.draws.get(UUID(str(n.originator_id)))
            rows.append(
                {
                    "id": str(draw.id),
                    "position": n.id,
                    "opened_at": china_time(draw.created_on),
                    "month": china_time(draw.created_on)[:7],
                    "plan": draw.plan,
                    "division": draw.division,
                    "division_name": self._name("division", draw.division),
                    "items": self._items(draw.items),
                    "counts": dict(draw.counts),
                    "step": draw.step,
                    "step_name": STEP_NAMES.get(draw.step, draw.step),
                }
            )
        return rows

    def draw_groups(self) -> list[dict[str, Any]]:
        """Every random draw grouped by the month it was opened (China time, newest first) and
        by its plan (in a month, the group with the newest draw first): ``{"month", "plan",
        "draws"}``, ``plan`` being ``{"id", "label"}`` or None for draws outside a plan."""
        groups: dict[tuple[str, str], dict[str, Any]] = {}
        labels: dict[str, str] = {}
        for row in self.draw_list():
            plan = row["plan"]
            if plan is not None and plan not in labels:
                labels[plan] = self._plan_label(plan)
            key = (row["month"], plan or "")
            group = groups.setdefault(
                key,
                {
                    "month": row["month"],
                    "plan": None if plan is None else {"id": plan, "label": labels[plan]},
                    "draws": [],
                },
            )
            group["draws"].append(row)
        # The newest month first; in a month, the group of the newest draw first.
        newest = {key: max(d["position"] for d in g["draws"]) for key, g in groups.items()}
        ordered = sorted(groups, key=lambda key: (key[0], newest[key]), reverse=True)
        return [groups[key] for key in ordered]

    def _plan_label(self, plan_id: str) -> str:
        try:
            plan: Plan = self.ledger.get(UUID(plan_id), Plan)
        except (NotFound, ValueError):
            return plan_id
        name = self._name("division", plan.division)
        return f"{name} {plan.period} {PLAN_KINDS.get(plan.kind, plan.kind)}"

    def directed(self) -> list[dict[str, Any]]:
        """Inspections that were not drawn (complaint-driven, legally mandated…), newest first:
        when, division, items, targets, ground and legal basis; the recorded reason is left out
        (it may name a complainant)."""
        rows = []
        for n in reversed(self._directed.since_start(self.ledger)):
            event = self.ledger.checked(n, f"ledger position {n.id}")
            facts = event.envelope["payload"]
            rows.append(
                {
                    "position": n.id,
                    "digest": event.digest.hex(),
                    "time": china_time(event.envelope["time"]),
                    "division_name": self._name("division", facts["division"]),
                    "items": self._items(facts["items"]),
                    "targets": [self._target_name(t) for t in facts["targets"]],
                    "ground": GROUND_LABELS.get(facts["ground"], facts["ground"]),
                    "legal_basis": facts["legal_basis"],
                }
            )
        return rows

    def _target_name(self, key: str) -> dict[str, str]:
        try:
            entry = queries.get_entry(self.read_models.engine, "target", key)
        except NotFound:
            return {"code": key, "name": ""}
        if entry.get("kind") == "individual":
            return {"code": "", "name": ERASED if entry.get("personal_data_erased") else PRIVATE}
        return {"code": key, "name": str(entry.get("name") or "")}

    def steps(self, draw_id: UUID) -> list[dict[str, Any]]:
        """Each recorded step of a draw with its ledger position, event digest and China
        time: what an inclusion proof (``/proofs/inclusion?position=N``) starts from."""
        rows = []
        for n in self._draw_events.since_start(self.ledger):
            if UUID(str(n.originator_id)) != draw_id:
                continue
            event = self.ledger.checked(n, f"ledger position {n.id}")
            rows.append(
                {
                    "type": event.type,
                    "name": EVENT_NAMES.get(event.type, event.type),
                    "position": n.id,
                    "digest": event.digest.hex(),
                    "time": china_time(event.envelope["time"]),
                }
            )
        return rows

    def draw(self, draw_id: UUID) -> dict[str, Any]:
        """One draw's record for its page, and the data "check my company" reads.

        Raises NotFound for an unknown draw.
        """
        key = (draw_id, self.draws.get(draw_id).version)
        with self._lock:
            page = self._draw_pages.get(key)
        if page is None:
            page = self._draw_page(draw_id)
            with self._lock:
                while len(self._draw_pages) >= DRAW_PAGES_KEPT:
                    del self._draw_pages[next(iter(self._draw_pages))]
                self._draw_pages[key] = page
        return page

    def _draw_page(self, draw_id: UUID) -> dict[str, Any]:
        manifest, _ = draw_record(self.draws, draw_id)
        self.read_models.current()
        draw = self.draws.get(draw_id)
        opened = manifest["opened"]
        frozen = manifest.get("population_frozen")
        revealed = manifest.get("seed_revealed")
        selected = manifest.get("targets_selected")
        state = self.draws.registry_at(draw.position) if frozen else RegistryState()
        by_key, erased = state.target_by_key(), queries.erased_targets(self.read_models.engine)
        page: dict[str, Any] = {
            "id": str(draw_id),
            "step": draw.step,
            "step_name": STEP_NAMES.get(draw.step, draw.step),
            "division": opened["division"],
            "division_name": self._name("division", opened["division"]),
            "plan": opened.get("plan"),
            "items": self._items(opened["items"]),
            "opened": opened,
            "frozen": frozen,
            "revealed": revealed,
            "abandoned": _abandoned(manifest.get("abandoned")),  # ended early, with its reason
            "eligible": len(manifest.get("eligible", [])),
            "weights": manifest.get("weights"),
            "rosters": _rosters(manifest),
            "teams": _teams(manifest, draw.teams_by_division()),
            "strata": [],
            "steps": self.steps(draw_id),
            "plan_label": self._plan_label(opened["plan"]) if opened.get("plan") else None,
            "opened_time": china_time(opened.get("time")),
        }
        if frozen:
            page["frozen"] = {
                **frozen,
                "exclusions": [
                    {**e, "reason_zh": exclusion_reason(e["reason"])} for e in frozen["exclusions"]
                ],
            }
        if selected:
            page["strata"] = [
                {
                    **stratum,
                    "selected": [
                        {**s, **_describe(by_key.get(s["target"]), erased)}
                        for s in stratum["selected"]
                    ],
                }
                for stratum in selected["strata"]
            ]
        page["check"] = _check_data(draw.params(), state, manifest)
        return page

    # -- published results ----------------------------------------------------------------------

    def publications(
        self, *, channel: str | None, q: str | None, limit: int, offset: int
    ) -> dict[str, Any]:
        """Published results, newest first (withdrawn and corrected ones too, with their status):
        ``{"items", "total", "limit", "offset"}``. BadInput for an unknown channel or page."""
        published = len(self._published.since_start(self.ledger))  # before catching up
        recorded, where = None if channel or q else published, {"channel": channel, "q": q}
        return checked_publications(self.ledger, self.read_models, recorded, where, limit, offset)

    def record_text(self, draw_id: UUID) -> str:
        """The draw's public record, the bytes ``GET /draws/{id}/record`` serves."""
        return record_json(*draw_record(self.draws, draw_id))

    def population_text(self, draw_id: UUID) -> str:
        """The frozen population, one id a line: ``LC_ALL=C sort -u | sha256sum`` of it prints
        the digest on the draw's page."""
        _, population = draw_record(self.draws, draw_id)
        return "".join(f"{key}\n" for key in population)

    # -- names -----------------------------------------------------------------------------------

    def _name(self, kind: str, code: str) -> str:
        try:
            return str(queries.get_entry(self.read_models.engine, kind, code)["name"])
        except NotFound:
            return code

    def _items(self, codes: list[str]) -> list[dict[str, str]]:
        return [{"code": c, "name": self._name("item", c)} for c in codes]


class _Recorded:
    """The stored events of one type, read incrementally: each call reads only the part of the
    log recorded since the last one (the log has no index by event type, and every page of the
    column would otherwise scan all of it)."""

    def __init__(self, *topics: str) -> None:
        self._topics = list(topics)
        self._found: list[Notification] = []
        self._position = 0
        self._lock = threading.Lock()

    def since_start(self, ledger: LedgerApp) -> list[Notification]:
        """Every event of the type, in log order."""
        with self._lock:
            last = ledger.recorder.max_notification_id() or 0
            self._found += ledger.notifications(
                topics=self._topics, start=self._position + 1, stop=last, batch=_BATCH
            )
            self._position = max(self._position, last)
            return list(self._found)


def _unique(values: Any) -> list[UUID]:
    seen: dict[UUID, None] = {}
    for v in values:
        seen.setdefault(UUID(str(v)), None)
    return list(seen)


def _describe(target: Any, erased: set[str]) -> dict[str, str]:
    """A selected target as the public sees it: an individual never by name, and saying so
    once its personal data was erased (``erased``: those targets' ids)."""
    if target is None:
        return {"name": "", "kind": ""}
    if target.kind == "individual":
        return {"name": ERASED if target.aggregate in erased else PRIVATE, "kind": "个人"}
    return {"name": target.name or "", "kind": TARGET_KINDS.get(target.kind, target.kind)}


def _check_data(
    params: dict[str, Any],
    state: RegistryState,
    manifest: dict[str, Any],
) -> dict[str, Any] | None:
    """What check.js needs, or None before the targets are selected."""
    selected = manifest.get("targets_selected")
    if not selected:
        return None
    # The record's lists: each eligible target's stratum and weight, the excluded and why.
    stratum_of = {e["target"]: e["stratum"] for e in manifest["eligible"]}
    excluded_zh = {e["target"]: e["reason_zh"] for e in manifest["excluded"]}
    weighted = bool(params["weighted"])
    return {
        "seed": manifest["seed_revealed"]["seed"],
        "weighted": weighted,
        "digits": 18,
        "population": stratum_of,
        # Weighted draws give target t the virtual ids t#1 … t#w (w from its credit class);
        # an excluded target is shown the ticket its own weight would have given it.
        "weights": (
            {
                **{e["target"]: e["weight"] for e in manifest["eligible"]},
                **weights(state, list(excluded_zh), state.policy or {}),
            }
            if weighted
            else {}
        ),
        "thresholds": {s["stratum"]: s["threshold"] for s in selected["strata"]},
        "selected": {
            s["target"]: s["ticket"] for stratum in selected["strata"] for s in stratum["selected"]
        },
        "excluded": excluded_zh,
    }


def _teams(manifest: dict[str, Any], current: dict[str, list[Any]]) -> list[dict[str, Any]]:
    """Every team as it stands (``current``: ``Draw.teams_by_division``, the lead's first), with
    its logged skips in Chinese and the substitutions made in it (who replaced whom; never
    why)."""
    rows = []
    for division, teams in current.items():
        kind = "inspector" if division == manifest["opened"]["division"] else "partner_inspector"
        for team in teams:
            subs = [
                s
                for s in manifest.get(f"{kind}_substituted", [])
                if s["target"] == team["target"] and s.get("division", division) == division
            ]
            rows.append(
                {
                    "division": division,
                    "target": team["target"],
                    "members": team["members"],
                    "skips": [
                        {**k, "reason_zh": exclusion_reason(k["reason"])}
                        for k in team["skips"] + [k for s in subs for k in s["skips"]]
                    ],
                    "substitutions": subs,
                }
            )
    return rows


def _rosters(manifest: dict[str, Any]) -> dict[str, Any]:
    """The rosters as frozen, each inspector's status by the registry's Chinese label."""
    label = LABELS["status"]
    return {
        division: {
            **r,
            "inspectors": [
                {**i, "status_zh": label.get(i["status"], i["status"])} for i in r["inspectors"]
            ],
        }
        for division, r in manifest.get("rosters", {}).items()
    }


def _abandoned(facts: dict[str, Any] | None) -> dict[str, Any] | None:
    """A ``draw.abandoned`` as the page names it: the step it ended at, in Chinese."""
    if facts is None:
        return None
    return {**facts, "step_name": STEP_NAMES.get(facts["step"], facts["step"])}
