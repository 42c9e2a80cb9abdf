"""The verifier must stay small and independent: stdlib, cryptography, rfc8785, chinesecalendar."""

from __future__ import annotations

import ast
import sys
from pathlib import Path

VERIFY = Path(__file__).resolve().parents[2] / "verify"
# chinesecalendar (the PyPI distribution) is imported as chinese_calendar.
ALLOWED = set(sys.stdlib_module_names) | {"cryptography", "rfc8785", "chinese_calendar", "verify"}


def imported_top_level_names(path: Path) -> set[str]:
    names = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            names |= {a.name.split(".")[0] for a in node.names}
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            names.add(node.module.split(".")[0])
    return names


def test_verify_imports_only_the_standard_library_and_the_three_allowed_packages():
    offenders = {
        f"{p.relative_to(VERIFY.parent)}: {name}"
        for p in VERIFY.rglob("*.py")
        for name in imported_top_level_names(p)
        if name not in ALLOWED
    }
    assert not offenders, f"verify/ imports beyond its allowance: {sorted(offenders)}"


def test_the_import_check_would_catch_a_forbidden_import(tmp_path):
    bad = tmp_path / "bad.py"
    bad.write_text("import eventsourcing\nfrom ledger.mapper import SigningMapper\n")
    assert imported_top_level_names(bad) - ALLOWED == {"eventsourcing", "ledger"}
