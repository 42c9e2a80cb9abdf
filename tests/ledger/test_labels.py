"""One table of Chinese names for event types, roles and the audit's rules (``ledger/labels.py``):
every event type the log can hold, every role and every rule has one, and no two share a name (a
reader could not tell them apart)."""

from __future__ import annotations

from ledger.actors import ROLES
from ledger.catalogue import KINDS, _events_of
from ledger.labels import EVENT_LABELS, ROLE_LABELS, RULE_LABELS, event_label, role_label
from verify.audit_log import RULES


def test_every_event_type_and_role_has_a_chinese_name_of_its_own():
    product = {topic for kind in KINDS for topic in _events_of(kind)}  # not tests' own kinds
    assert product == set(EVENT_LABELS)
    assert set(ROLES) == set(ROLE_LABELS)
    assert set(RULES) == set(RULE_LABELS)
    for table in (EVENT_LABELS, ROLE_LABELS, RULE_LABELS):
        assert len(set(table.values())) == len(table)
        for name in table.values():
            assert any("\u4e00" <= ch <= "\u9fff" for ch in name), name


def test_an_unknown_code_is_shown_as_recorded_rather_than_hidden():
    assert event_label("draw.targets_selected") == "抽取检查对象"
    assert role_label("clerk") == "经办人员"
    assert event_label("future.event") == "future.event" and role_label("x") == "x"
