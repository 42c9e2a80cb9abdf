"""The table of the problems' Chinese words (``ledger/error_texts``, ``api/problem_texts.py``):
every pattern fills its text from its own groups, a message is given whole in Chinese keeping the
codes and values it names, and a hostile value stays cut short in the detail."""

from __future__ import annotations

import re

import pytest

from api.problem_texts import TITLES, VALIDATION, domain_detail, validation_text
from ledger.error_texts import DOINGS, ERROR_TEXTS, FIELD_TEXTS, error_text, field_text
from ledger.errors import MESSAGE, bounded

CJK = re.compile(r"[\u3400-\u9fff]")


@pytest.mark.parametrize(("pattern", "text"), ERROR_TEXTS + FIELD_TEXTS)
def test_every_text_fills_from_its_own_pattern(pattern, text):
    groups = re.compile(pattern).groupindex
    fields = set(re.findall(r"(?<!\{)\{(\w+)\}", text))
    derived = {f"{name}_zh" for name in ("what", "kind", "other", "topic", "s", "a", "k", "more")}
    derived |= {"form_zh"}
    assert fields <= set(groups) | derived, (pattern, fields - set(groups))
    assert CJK.search(text) or "_t}" in text, text  # a wrapper's words are its inner message's


@pytest.mark.parametrize(
    ("message", "says"),
    [
        (
            "official szc-clerk of division szc may not target.write: act on a record of "
            "division ggc; a division acts only on its own records (谁审批谁监管)",
            "处室 szc 的工作人员 szc-clerk 无权登记或更正检查对象（target.write）："
            "办理处室 ggc 的记录",
        ),
        ("no target with id or code 'nothing'", "没有编号或代码为 'nothing' 的检查对象"),
        ("as_of 99: the log has positions 1 to 50; 99 is beyond its head", "99 超出其末尾"),
        (
            "the operator acts on the request of bgs-x, who may not: official bgs-x "
            "(roles: clerk) may not policy.set: it needs one of the roles admin",
            "须具有以下角色之一：系统管理员",
        ),
        (
            "notified_on: 2026-11-09 is before draw d1 assigned its inspectors on 2026-11-10: no "
            "step of an inspection is dated before the step it follows (a target is notified "
            "once it was drawn)",
            "早于抽取 d1 分配执法人员的日期 2026-11-10",
        ),
    ],
)
def test_a_message_is_given_whole_in_chinese_naming_what_it_names(message, says):
    text = error_text(message)
    assert text is not None and says in text, text


STEP_CHECKS = ("check_step(", "check_status(", "check_partner(", "_check_live(", "check_selected(")


def test_every_step_a_refusal_names_is_given_in_chinese():
    """Each step the aggregates name in "cannot …" (their literal ``doing``) is in the table, so
    no refusal reads "无法record the inspection as carried out"."""
    from pathlib import Path

    root = Path(__file__).resolve().parents[2] / "ledger"
    named = set()
    for path in root.rglob("*.py"):
        for line in path.read_text(encoding="utf-8").splitlines():
            if any(call in line for call in STEP_CHECKS) and "def " not in line:
                named |= set(re.findall(r"(?:doing=|, |\()\"([a-z][a-z ']+)\"\)", line))
    assert len(named) >= 20, named  # the search itself found the calls
    assert named <= set(DOINGS), named - set(DOINGS)
    for doing in named:
        text = error_text(f"cannot {doing}: the draw was abandoned (no targets)")
        assert text is not None and DOINGS[doing] in text and doing not in text, text
    published = error_text("cannot withdraw the publication: it was withdrawn")
    assert published == "无法撤回该公示：已撤回", published


def test_a_field_rule_and_a_validator_error_are_in_chinese():
    assert field_text("must be between 1 and 500") == "应在 1 到 500 之间"
    assert field_text("must not hold the control character U+0000") == "不得含控制字符 U+0000"
    error = {"type": "string_too_short", "msg": "String should have at least 3 characters"}
    assert validation_text({**error, "ctx": {"min_length": 3}}) == "至少 3 个字符"
    assert (
        validation_text({"type": "a_type_pydantic_adds_later", "msg": "odd"}) == "不符合规则（odd）"
    )
    assert set(VALIDATION.values()) and all(CJK.search(t) for t in VALIDATION.values())
    assert all(CJK.search(title) for _, title in TITLES.values())


def test_a_message_the_table_does_not_know_is_marked_as_such_not_passed_off():
    detail = domain_detail("conflict", "a brand-new refusal nobody translated")
    assert detail == "与已记录的内容冲突（原文：a brand-new refusal nobody translated）"


def test_a_hostile_value_stays_cut_short_in_the_chinese_detail():
    # An attacker's 100,000-character code, refused: the table quotes it, bounded cuts it.
    text = error_text(f"no target with id or code '{'x' * 100_000}'")
    assert text is not None
    shown = bounded(text)
    assert len(shown) <= MESSAGE + 1 and "x" * 41 not in shown
    assert shown.startswith("没有编号或代码为 'xxxx")
