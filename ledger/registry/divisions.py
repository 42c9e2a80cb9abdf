"""Divisions and units (业务处室, 水政处, the detachment, the service centre) and their contacts."""

from __future__ import annotations

from typing import Any
from uuid import UUID

from ..aggregates import LedgerAggregate, id_for
from ..fields import Fields, check_code

KINDS = (
    "business_division",  # 业务处室: approves, so supervises (谁审批谁监管)
    "aggregator",  # 水政处: consolidates items and plans, keeps the whole roster
    "detachment",  # 市水政监察支队
    "service_centre",  # 水资源服务中心 and other public service units
    "other_unit",
)


def division_id(code: str) -> UUID:
    return id_for("division", code)


def parse_division(data: dict[str, Any]) -> dict[str, Any]:
    f = Fields(data)
    spec = {
        "code": check_code(f, "code"),
        "name": f.text("name", max_len=100),
        "kind": f.choice("kind", KINDS, default="business_division"),
        "contact": f.text("contact", required=False, max_len=64),
    }
    f.done()
    return spec


class Division(LedgerAggregate):
    TOPIC = "division"

    class Created(LedgerAggregate.Created):
        TOPIC = "division.created"
        code: str
        name: str
        kind: str
        contact: str | None

    class ContactNamed(LedgerAggregate.Event):
        TOPIC = "division.contact_named"
        contact: str | None
        reason: str

        def apply(self, division: Division) -> None:
            division.contact = self.contact

    def __init__(self, code: str, name: str, kind: str, contact: str | None) -> None:
        self.code = code
        self.name = name
        self.kind = kind
        self.contact = contact  # the official who is the division's contact person

    @classmethod
    def create(cls, spec: dict[str, Any], actor: dict[str, Any]) -> Division:
        return cls._create(cls.Created, id=division_id(spec["code"]), actor=actor, **spec)

    def name_contact(self, contact: str | None, reason: str, actor: dict[str, Any]) -> None:
        self.trigger_event(self.ContactNamed, contact=contact, reason=reason, actor=actor)
