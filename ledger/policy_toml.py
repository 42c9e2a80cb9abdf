"""A policy document written as TOML, the form ``drawledger policy set`` reads: what
``drawledger policy show --toml`` prints, so that a new version starts from the document in force
(its leaders, years and every other table) rather than from the shipped default.

The document is what ``tomllib`` read from a file (or ``POST /policy`` took as JSON): tables,
text, whole numbers, true/false and lists of them. Reading the written text back with
``tomllib`` gives the same document, and so the same digest (``tests/api/test_policy_routes.py``).
"""

from __future__ import annotations

import json
import re
from typing import Any

# A key written bare; a year ("2027") is quoted, as docs/POLICY.md writes it.
_BARE_KEY = re.compile(r"[A-Za-z0-9_-]*[A-Za-z_-][A-Za-z0-9_-]*")
# Longer one-line lists are written one element a line (a year's holidays).
_LINE = 88


def policy_toml(document: dict[str, Any], heading: str = "") -> str:
    """The document as TOML text; ``heading`` (lines of comment) goes first."""
    lines = [f"# {line}" for line in heading.splitlines()]
    first = {key: document[key] for key in ("version", "source") if key in document}
    _table(first | document, [], lines)  # the name to change first (a stored one is sorted)
    return "\n".join(lines) + "\n"


def _table(table: dict[str, Any], path: list[str], lines: list[str]) -> None:
    """Write a table's values, then each of its sub-tables under its own header (a table
    holding only tables, as ``[calendar]``, needs none of its own)."""
    values = [key for key, value in table.items() if not isinstance(value, dict)]
    if path and (values or len(values) == len(table)):
        lines.append("")
        lines.append("[" + ".".join(_key(k) for k in path) + "]")
    for key in values:
        lines.append(f"{_key(key)} = {_value(table[key], nested=False)}")
    for key, value in table.items():
        if isinstance(value, dict):
            _table(value, [*path, key], lines)


def _key(key: str) -> str:
    return key if _BARE_KEY.fullmatch(key) else _string(key)


def _value(value: Any, nested: bool = True) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        return repr(value)
    if isinstance(value, str):
        return _string(value)
    if isinstance(value, list):
        items = [_value(item) for item in value]
        one_line = "[" + ", ".join(items) + "]"
        if nested or len(one_line) <= _LINE:
            return one_line
        return "[\n" + "".join(f"  {item},\n" for item in items) + "]"
    if isinstance(value, dict):  # a table inside a list
        return "{ " + ", ".join(f"{_key(k)} = {_value(v)}" for k, v in value.items()) + " }"
    raise TypeError(f"a policy holds no {type(value).__name__}: {value!r}")


def _string(text: str) -> str:
    """A TOML basic string: JSON's escapes are TOML's, and DEL is escaped as TOML requires."""
    return json.dumps(text, ensure_ascii=False).replace("\x7f", "\\u007f")
