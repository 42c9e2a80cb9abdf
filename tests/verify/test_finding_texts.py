"""Every kind of rule finding the audit families make has its Chinese text
(``verify/finding_texts.py``), which the dispute file's reports show."""

from __future__ import annotations

import re
import string
from pathlib import Path

from verify import inspection_rules
from verify.audit_inspections import EXCLUDED
from verify.audit_log import RuleFinding
from verify.finding_texts import FINDING_TEXTS, finding_text

VERIFY = Path(inspection_rules.__file__).parent


def _kinds_named() -> set[str]:
    """The kinds each audit family names: ``kind="…"`` in its source, and the presence
    refusals' kinds, which ``audit_inspections`` passes on as they are."""
    named = set()
    for path in VERIFY.glob("audit_*.py"):
        named |= set(re.findall(r'\bkind="(\w+)"', path.read_text(encoding="utf-8")))
    refusals = {
        inspection_rules.NOT_ON_ROSTER,
        inspection_rules.NOT_ON_TEAM,
        inspection_rules.NOT_QUALIFIED,
        inspection_rules.NOT_ON_DUTY,
        inspection_rules.CERTIFICATE_INVALID,
    }
    return named | refusals | {EXCLUDED}


def test_every_kind_of_finding_has_a_chinese_text_and_no_text_is_left_unused():
    named = _kinds_named()
    assert len(named) > 15
    assert named - set(FINDING_TEXTS) == set()
    assert set(FINDING_TEXTS) - named == set()


def test_the_texts_are_chinese_sentences_filled_from_the_finding_s_facts():
    for kind, template in FINDING_TEXTS.items():
        fields = [f for _, f, _, _ in string.Formatter().parse(template) if f]
        words = re.sub(r"\{\w+\}", "", template)
        assert re.search(r"[\u4e00-\u9fff]{4}", words), kind
        assert not re.search(r"[A-Za-z]{2,}", words), kind
        filled = finding_text(
            RuleFinding("team_size", "in English", (), kind, {f: "X1" for f in fields})
        )
        assert "{" not in filled and "in English" not in filled


def test_a_finding_of_no_known_kind_is_still_told_in_chinese():
    text = finding_text(RuleFinding("recusal", "inspector A: recused", ()))
    assert "recused" not in text and "核验程序" in text


def test_every_rule_has_a_chinese_name_and_says_what_it_asks_in_chinese():
    from verify.audit_log import RULES
    from verify.labels import RULE_ASKS, RULE_LABELS

    assert set(RULE_LABELS) == set(RULES) == set(RULE_ASKS)
    assert all(re.search(r"[\u4e00-\u9fff]", text) for text in RULE_ASKS.values())
