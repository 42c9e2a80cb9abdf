"""A small Changzhou water bureau, built through the registry service, and read-model helpers."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any
from uuid import UUID

from sqlalchemy import Engine, select

from ledger.registry.service import Registry
from ledger.registry.targets import target_id
from projections.tables import metadata
from verify.uscc import check_character

# Valid unified social credit codes from ../shared/vectors/uscc.json.
VECTOR_CODES = ["91350100M000100Y43", "9144030071526726XG", "91320411MA1MB3K8XT"]
PERSON_ID = "320402199001011234"
PERSON_NAME = "张三"


def credit_code(n: int) -> str:
    """A synthetic valid credit code (Changzhou prefix 913204) for bulk data."""
    body = f"913204{n:011d}"
    return body + check_character(body)


@dataclass
class World:
    registry: Registry
    targets: dict[str, UUID] = field(default_factory=dict)
    token: str = ""


def build_world(registry: Registry) -> World:
    """Divisions and units of the notice, two items, officials, targets of every kind, two
    inspectors (one with a declared conflict)."""
    world = World(registry)
    for code, name, kind in [
        ("szc", "水政处", "aggregator"),
        ("ggc", "工管处", "business_division"),
        ("zd", "市水政监察支队", "detachment"),
        ("fwzx", "水资源服务中心", "service_centre"),
    ]:
        registry.add_division({"code": code, "name": name, "kind": kind}, None)
    registry.register_official(
        {"code": "admin1", "name": "李管理", "division": "szc", "roles": "admin"}, None
    )
    registry.register_official(
        {"code": "clerk-szc", "name": "王文", "division": "szc", "roles": "clerk"}, None
    )
    registry.register_official(
        {"code": "clerk-ggc", "name": "赵工", "division": "ggc", "roles": "clerk,division_head"},
        None,
    )
    registry.register_official(
        {"code": "agg", "name": "钱汇", "division": "szc", "roles": "plan_aggregator"}, None
    )
    world.token = registry.issue_token("clerk-szc", None)
    registry.register_item(
        {
            "code": "qsxk",
            "name": "取水许可监督检查",
            "law": "中华人民共和国水法",
            "article": "第四十八条",
            "division": "szc",
            "executing_units": "fwzx,zd",
            "object_type": "取水单位",
            "item_class": "key",
        },
        "clerk-szc",
    )
    registry.register_item(
        {
            "code": "hdjs",
            "name": "河道管理范围内建设项目检查",
            "law": "中华人民共和国河道管理条例",
            "article": "第十一条",
            "division": "ggc",
            "executing_units": "zd",
            "object_type": "建设项目",
        },
        "clerk-ggc",
    )
    names = ["常州自来水公司", "武进热电厂", "金坛盐化公司"]
    districts = ["天宁区", "武进区", "金坛区"]
    for code, name, district in zip(VECTOR_CODES, names, districts, strict=True):
        world.targets[code], _ = registry.register_target(
            {
                "code": code,
                "name": name,
                "district": district,
                "division": "szc",
                "items": "qsxk",
                "permit_number": f"取水(常)字[2018]第{code[-4:]}号",
                "permit_valid_until": "2028-12-31",
            },
            "clerk-szc",
        )
    world.targets["project"], _ = registry.register_target(
        {
            "kind": "project",
            "code": "CZ-HD-2018-07",
            "name": "新运河护岸工程",
            "district": "钟楼区",
            "division": "ggc",
            "items": "hdjs",
            "credit_class": "B",
        },
        "clerk-ggc",
    )
    registry.register_target(
        {
            "kind": "individual",
            "code": PERSON_ID,
            "name": PERSON_NAME,
            "district": "新北区",
            "division": "szc",
            "items": "qsxk",
        },
        "clerk-szc",
    )
    # register_target returns the id of the raw ID number, not of the reference (reported).
    world.targets["person"] = target_id("individual", registry.people.reference(PERSON_ID))
    for code, name, unit, quals in [
        ("insp-01", "周检", "zd", "qsxk,hdjs"),
        ("insp-02", "吴查", "fwzx", "qsxk"),
    ]:
        registry.register_inspector(
            {
                "code": code,
                "name": name,
                "certificate_number": f"JS-{code}",
                "certificate_valid_until": "2099-12-31",
                "unit": unit,
                "division": "szc",
                "agency_staff": code == "insp-01",
                "qualifications": quals,
            },
            "agg",
        )
    registry.declare_conflict("insp-02", world.targets[VECTOR_CODES[0]], "亲属任职", "agg")
    return world


def change_things(world: World) -> None:
    """Corrections of every kind, so that every event type is followed."""
    r = world.registry
    at = world.targets
    r.update_target(at[VECTOR_CODES[1]], {"district": "新北区"}, "迁址", "api", "clerk-szc")
    r.update_target(at[VECTOR_CODES[1]], {"items": ["hdjs", "qsxk"]}, "补标", "api", "clerk-szc")
    r.change_target_status(at[VECTOR_CODES[2]], "closed", "停业", "市场监管", "clerk-szc")
    r.update_inspector("insp-01", {"status": "transferred"}, "调岗", "agg")
    r.declare_conflict("insp-01", world.targets["project"], "曾参与设计", "agg")
    r.withdraw_conflict("insp-02", world.targets[VECTOR_CODES[0]], "亲属已离职", "agg")
    r.change_official_roles("agg", ["plan_aggregator", "auditor"], "szc", "兼任", None)
    token = r.issue_token("clerk-ggc", None)
    r.revoke_token("clerk-ggc", token.split(".")[2], "遗失", None)
    r.deactivate_official("admin1", "退休", None)
    r.name_contact("szc", "clerk-szc", "指定联系人", None)
    r.withdraw_item("hdjs", "并入其他事项", "clerk-ggc")
    r.publish_item_list("agg")


def dump(engine: Engine) -> dict[str, list[str]]:
    """Every read-model row (and tracking position), as sorted JSON lines per table."""
    out = {}
    with engine.connect() as conn:
        for table in metadata.sorted_tables:
            rows = conn.execute(select(table)).all()
            out[table.name] = sorted(
                json.dumps(dict(r._mapping), ensure_ascii=False, sort_keys=True, default=str)
                for r in rows
            )
    return out


def text_of(engine: Engine) -> str:
    return json.dumps(dump(engine), ensure_ascii=False)


def positions_of(registry: Registry, aggregate_id: UUID) -> list[int]:
    return [n.id for n in registry.app.notifications() if n.originator_id == aggregate_id]


def view(rows: list[dict[str, Any]], key: str = "code") -> list[Any]:
    return [r[key] for r in rows]


class PowerCut(Exception):
    """The machine losing power in the middle of a rebuild."""


def cut_power_in_batch(monkeypatch: Any, runner: Any, batch: int = 3) -> None:
    """Make ``runner``'s rebuild stop with PowerCut as it applies its ``batch``-th batch."""
    applied = 0
    real = runner._apply

    def apply(*args: Any) -> Any:
        nonlocal applied
        applied += 1
        if applied == batch:
            raise PowerCut(f"power cut in batch {batch}")
        return real(*args)

    monkeypatch.setattr(runner, "_apply", apply)
