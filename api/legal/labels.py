"""What the legal pages call things, in Chinese, and where each entity's trail is."""

from __future__ import annotations

from typing import Any

# The trail page's entities: the path's plural → (the trail's kind, its name).
ENTITIES: dict[str, tuple[str, str]] = {
    "targets": ("target", "检查对象"),
    "draws": ("draw", "随机抽取"),
    "directed": ("directed", "定向检查记录"),
    "inspections": ("inspection", "检查"),
    "publications": ("publication", "公示"),
    "plans": ("plan", "抽查计划"),
    "inspectors": ("inspector", "执法检查人员"),
    "items": ("item", "抽查事项"),
    "officials": ("official", "工作人员（其所办事项）"),
    "divisions": ("division", "处室（其所涉事项）"),
}
# The trail's kind → its page's plural (the entities an act touches, and records).
PLURAL = {kind: path for path, (kind, _) in ENTITIES.items()}
# What a dispute file may be about, and the page's plural of each.
DISPUTE_KINDS = {"targets": "target", "draws": "draw", "inspections": "inspection"}
DISPUTE_KINDS["officials"] = "official"


def links(touches: dict[str, list[str]]) -> list[dict[str, str]]:
    """The entities an act touches that have a trail page: ``{"path", "kind", "key"}``."""
    found = []
    for kind, keys in sorted(touches.items()):
        if kind not in PLURAL:
            continue
        for key in keys:
            found.append({"path": f"/legal/trail/{PLURAL[kind]}/{key}", "kind": kind, "key": key})
    return found


def record_path(record: dict[str, Any]) -> str | None:
    """The trail page of an act's own record, for the records that have one by id."""
    kind = record["kind"]
    if kind in ("draw", "directed", "inspection", "publication", "plan"):
        return f"/legal/trail/{PLURAL[kind]}/{record['id']}"
    return None


def commitment(acts: list[dict[str, Any]]) -> str | None:
    """The latest commitment to an individual's personal data among a trail's acts (their
    registration or correction), or None."""
    found = None
    for act in acts:
        person = act["payload"].get("person") if isinstance(act["payload"], dict) else None
        if isinstance(person, dict) and person.get("commitment"):
            found = str(person["commitment"])
    return found
