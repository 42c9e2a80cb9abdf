"""Every refusal, field rule and warning the ledger writes for a person has its Chinese text.

The messages are found by reading the source (``ast``), not listed here: each ``raise`` of a
domain error (``BadInput``, ``NotFound``, ``Conflict``, ``Forbidden``, ``ConfigurationError``)
with a written message, each field's rule (``….problem(field, message)``), each warning
(``warnings.append(message)``) and each module-level ``…_problem`` function's answer, in
``ledger/``, ``api/`` and ``projections/``. A message's holes (an f-string's values) are filled
with a few sample values until a pattern of ``ledger.error_texts`` gives it in Chinese; a message
no sample value fits is given here as one realistic example, which must have the message's
shape. A new refusal without its Chinese text fails here, naming where it is raised; the service
would otherwise show it marked 原文 (in its own words).
"""

from __future__ import annotations

import ast
import itertools
import re
from pathlib import Path

import pytest

from ledger.as_of import FORMS
from ledger.error_texts import error_text, field_text

ROOT = Path(__file__).resolve().parents[2]
SCANNED = ("ledger", "api", "projections")
CJK = re.compile(r"[\u3400-\u9fff]")
KINDS = {"BadInput", "NotFound", "Conflict", "Forbidden", "ConfigurationError"}
HOLE = None  # a value filled in when the message is made
# Sample values; the last, a rule with its own text, for a message that quotes another's.
FILLERS = ("1", "x", "'x'", "", "2026-01-01", "ggc", "is required")

# A realistic message for each shape the fillers cannot make (its holes shown as {}).
EXAMPLES = {
    "cannot {}: the {} is at step '{}'{}, this step needs '{}'": (
        "cannot accept: the plan is at step 'closed' already, this step needs 'uploaded'"
    ),
    "as_of {}: not {}": f"as_of 'yesterday': not {FORMS}",
    "stratum {}: {} targets asked, only {} eligible ({} excluded in scope)": (
        "stratum 'ggc': 5 targets asked, only 3 eligible (2 excluded in scope)"
    ),
    "witness {} {}": "witness tsa+1a2b3c4d+AQ== is a witness already",
    "{} {} did not exist yet at position {}: it was registered at position {}": (
        "target '91320100MA1XXXXX0X' did not exist yet at position 3: it was registered at "
        "position 7"
    ),
    "notified_on: {} (a target is notified once it was drawn)": (
        "notified_on: 2026-11-09 is before draw d1 assigned its inspectors on 2026-11-10: no step "
        "of an inspection is dated before the step it follows (a target is notified once it was "
        "drawn)"
    ),
    "must not hold the {} U+{}": "must not hold the control character U+0007",
    "{} is not kept for an individual (personal data): the cell is left out": (
        "address is not kept for an individual (personal data): the cell is left out"
    ),
}


def _shapes(node: ast.expr) -> list[list[str | None]]:
    """The message's pieces (text, or HOLE for a value), one list a way it can be spelled."""
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return [[node.value]]
    if isinstance(node, ast.JoinedStr):
        return [[v.value if isinstance(v, ast.Constant) else HOLE for v in node.values]]
    if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Add):
        return [a + b for a in _shapes(node.left) for b in _shapes(node.right)]
    return []  # a message made elsewhere (a variable, a call): its maker is scanned instead


def _named(node: ast.expr, name: str) -> bool:
    return isinstance(node, ast.Name) and node.id == name


def _messages(tree: ast.Module) -> list[tuple[int, ast.expr]]:
    found: list[tuple[int, ast.expr]] = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Raise) and isinstance(node.exc, ast.Call) and node.exc.args:
            func = node.exc.func
            name = func.id if isinstance(func, ast.Name) else getattr(func, "attr", None)
            if name in KINDS:
                found.append((node.lineno, node.exc.args[0]))
        elif isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute):
            owner = node.func.value
            if node.func.attr == "problem" and len(node.args) >= 2:
                found.append((node.lineno, node.args[1]))
            elif node.func.attr == "append" and node.args and _named(owner, "warnings"):
                found.append((node.lineno, node.args[0]))
    for node in tree.body:  # a module's own "what is wrong with this value" answers
        if isinstance(node, ast.FunctionDef) and node.name.endswith("_problem"):
            found += [
                (sub.lineno, sub.value)
                for sub in ast.walk(node)
                if isinstance(sub, ast.Return) and sub.value is not None
            ]
    return found


def _shown(pieces: list[str | None]) -> str:
    return "".join("{}" if p is HOLE else p for p in pieces)


SITES = sorted(
    {
        (f"{path.relative_to(ROOT)}:{line}", tuple(pieces))
        for root in SCANNED
        for path in sorted((ROOT / root).rglob("*.py"))
        for line, node in _messages(ast.parse(path.read_text(encoding="utf-8")))
        for pieces in _shapes(node)
    }
)


def _chinese(message: str) -> str | None:
    return field_text(message) or error_text(message)


def _filled(pieces: tuple[str | None, ...]) -> str | None:
    """A Chinese text for the message with its holes filled by sample values, if any fits."""
    holes = pieces.count(HOLE)
    uniform = ([value] * holes for value in FILLERS)
    mixed = itertools.product(FILLERS, repeat=holes) if holes <= 3 else iter(())
    for values in itertools.chain(uniform, mixed):
        given = iter(values)
        text = _chinese("".join(next(given) if p is HOLE else p for p in pieces))
        if text is not None and CJK.search(text):
            return text
    return None


def test_the_scan_finds_the_ledgers_messages():
    shapes = {_shown(list(pieces)) for _, pieces in SITES}
    assert len(SITES) > 250, len(SITES)  # raises, field rules, warnings: all of them
    assert "a plan names at least one listed inspection item" in shapes  # a field's rule
    assert "must be one of {}" in shapes  # a rule of ledger.fields
    assert "a demo needs at least one target and one inspector" in shapes  # a raise


@pytest.mark.parametrize(("site", "pieces"), SITES, ids=[site for site, _ in SITES])
def test_every_message_has_its_chinese_text(site, pieces):
    shape = _shown(list(pieces))
    text = _filled(pieces)
    if text is None and shape in EXAMPLES:
        example = EXAMPLES[shape]
        fits = "".join(".*" if p is HOLE else re.escape(p) for p in pieces)
        assert re.fullmatch(fits, example, re.DOTALL), (site, example)
        text = _chinese(example)
    assert text is not None, f"{site}: no Chinese text for {shape!r}"
    assert CJK.search(text), (site, text)  # not a wrapper around English


def test_every_example_is_a_message_still_written():
    written = {_shown(list(pieces)) for _, pieces in SITES}
    assert set(EXAMPLES) <= written, set(EXAMPLES) - written
    for shape in EXAMPLES:  # each example is needed: the fillers do not fit its message
        pieces = next(p for _, p in SITES if _shown(list(p)) == shape)
        assert _filled(pieces) is None, shape


# The operator's log lines: written in Chinese first (a short English tail in brackets may
# follow, for a search of older logs), as the service's other words for its operators.
LOGGED = ("debug", "info", "warning", "error", "exception", "critical")


def _log_lines() -> list[tuple[str, str]]:
    """(where, message as written) of every call of a module logger's methods in the scanned
    packages and ``witness/``: ``log.warning("…", …)``, the message's holes as ``{}``."""
    found = []
    for package in (*SCANNED, "witness"):
        for path in sorted((ROOT / package).rglob("*.py")):
            for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
                if not (
                    isinstance(node, ast.Call)
                    and isinstance(node.func, ast.Attribute)
                    and node.func.attr in LOGGED
                    and isinstance(node.func.value, ast.Name)
                    and node.func.value.id in ("log", "logger")
                    and node.args
                ):
                    continue
                pieces = [p for shape in _shapes(node.args[0]) for p in shape]
                where = f"{path.relative_to(ROOT)}:{node.lineno}"
                found.append((where, "".join("{}" if p is HOLE else p for p in pieces)))
    return found


LOG_LINES = _log_lines()


def test_every_log_line_for_the_operator_is_in_chinese():
    """A line whose words are the code's own (``%s: %s`` of a problem's code and its detail,
    already in Chinese) has no words of its own to give in Chinese and passes."""
    assert len(LOG_LINES) > 30, LOG_LINES  # the scan finds them
    english = [
        (where, text)
        for where, text in LOG_LINES
        if re.search(r"[A-Za-z]{3,}", re.sub(r"%\w|\{\}", "", text)) and not CJK.search(text)
    ]
    assert not english, english
