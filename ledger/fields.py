"""Checking the fields of a command, all at once: every problem is named, none is guessed.

A parser reads a mapping (a JSON body, an import row) and either returns clean values or raises
``InvalidFields`` listing every field that is wrong, its value and the rule it breaks.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from .errors import BadInput


@dataclass(frozen=True)
class FieldProblem:
    field: str
    value: Any
    message: str

    def __str__(self) -> str:
        return f"{self.field}={self.value!r}: {self.message}"


class InvalidFields(BadInput):
    """One or more fields are wrong; ``problems`` names each."""

    def __init__(self, problems: list[FieldProblem]) -> None:
        self.problems = problems
        super().__init__("; ".join(str(p) for p in problems))


def text_problem(value: str, *, newlines: bool = False) -> str | None:
    """What makes ``value`` unfit to be recorded as text, or None.

    Refused: a control character (Unicode category Cc: NUL, BEL, ESC, a newline…), which breaks
    feeds, spreadsheets and terminals; a lone surrogate (Cs), which is not Unicode text and cannot
    be stored as UTF-8; and a value made only of invisible characters (format characters such as
    U+200B ZERO WIDTH SPACE, and spaces), which reads as empty. Every text field of the registry
    (``Fields.text``) and of the API's request bodies (``api.schemas.RequestBody``) passes here.
    With ``newlines``, a line feed is allowed (text in a line-based format, such as a signed
    note's lines); a name never has one.
    """
    if value.isprintable():  # the usual case, decided in C: no Cc, Cs, Cf or odd space in it
        return None
    visible = False
    for character in value:
        category = unicodedata.category(character)
        if category in ("Cc", "Cs") and not (newlines and character == "\n"):
            kind = "control character" if category == "Cc" else "lone surrogate"
            return f"must not hold the {kind} U+{ord(character):04X}"
        visible = visible or not (category == "Cf" or category.startswith("Z"))
    return None if visible or not value else "is made only of invisible characters"


class Fields:
    """Reads fields from ``data``, collecting problems instead of stopping at the first."""

    def __init__(self, data: dict[str, Any]) -> None:
        self.data = data
        self.problems: list[FieldProblem] = []

    def problem(self, field: str, message: str) -> None:
        self.problems.append(FieldProblem(field, self.data.get(field), message))

    def done(self) -> None:
        if self.problems:
            raise InvalidFields(self.problems)

    def _raw(self, field: str) -> Any:
        value = self.data.get(field)
        if isinstance(value, str):
            value = unicodedata.normalize("NFKC", value).strip()
            return value or None
        return value

    def text(self, field: str, *, required: bool = True, max_len: int = 500) -> str | None:
        value = self.data.get(field)
        if isinstance(value, str):  # _raw, inline: a bulk import reads ~10 fields a row
            value = unicodedata.normalize("NFKC", value).strip() or None
        if value is None:
            if required:
                self.problem(field, "is required")
            return None
        if not isinstance(value, str):
            self.problem(field, "must be text")
            return None
        problem = text_problem(value)
        if problem is not None:
            self.problem(field, problem)
            return None
        if len(value) > max_len:
            self.problem(field, f"is longer than {max_len} characters")
            return None
        return value

    def choice(self, field: str, choices: tuple[str, ...], *, default: str | None = None) -> str:
        value = self._raw(field)
        if value is None and default is not None:
            return default
        if value not in choices:
            self.problem(field, f"must be one of {', '.join(choices)}")
            return choices[0]
        return str(value)

    def boolean(self, field: str, *, default: bool = False) -> bool:
        value = self._raw(field)
        if value is None:
            return default
        if isinstance(value, bool):
            return value
        text = str(value).lower()
        if text in ("true", "yes", "y", "1", "是"):
            return True
        if text in ("false", "no", "n", "0", "否"):
            return False
        self.problem(field, "must be true or false (是/否)")
        return default

    def integer(
        self, field: str, *, required: bool = False, low: int = 0, high: int = 10**9
    ) -> int | None:
        value = self._raw(field)
        if value is None:
            if required:
                self.problem(field, "is required")
            return None
        try:
            number = int(str(value))
        except ValueError:
            self.problem(field, "must be a whole number")
            return None
        if not low <= number <= high:
            self.problem(field, f"must be between {low} and {high}")
            return None
        return number

    def counts(self, field: str, *, required: bool = True) -> dict[str, int]:
        """Targets per stratum (``{'all': k}`` without strata): each a whole number from 0 to
        ``MAX_COUNT``, so that no count outgrows a registry or the integers an event may carry.
        Unless ``required``, an absent or empty mapping is ``{}``."""
        value = self.data.get(field)
        if not required and not value:
            return {}
        if (
            not isinstance(value, dict)
            or not value
            or not all(
                isinstance(k, str)
                and type(v) is int
                and 0 <= v <= MAX_COUNT
                and text_problem(k) is None
                for k, v in value.items()
            )
        ):
            self.problem(
                field,
                f"must map each stratum ('all' without strata) to a count from 0 to {MAX_COUNT}",
            )
            return {}
        return dict(value)

    def day(self, field: str, *, required: bool = False) -> str | None:
        value = self._raw(field)
        if value is None:
            if required:
                self.problem(field, "is required")
            return None
        if isinstance(value, datetime):
            value = value.date()
        if isinstance(value, date):
            return value.isoformat()
        text = str(value)
        try:  # YYYY-MM-DD exactly, or a date and time (a spreadsheet's cell as text)
            if _DAY.fullmatch(text[:10]) is None:
                raise ValueError(text)
            day = date.fromisoformat(text[:10])
            if len(text) > 10:
                datetime.fromisoformat(text)  # the rest must be a time, not anything at all
            return day.isoformat()
        except ValueError:
            self.problem(field, "must be a date YYYY-MM-DD")
            return None

    def codes(self, field: str) -> list[str]:
        """A list of short codes, from a JSON list or text separated by , ; 、 or spaces."""
        value = self.data.get(field)
        if value is None or value == "":
            return []
        items = value if isinstance(value, list) else _CODE_SEPARATORS.split(str(value))
        out = []
        for item in items:
            code = unicodedata.normalize("NFKC", str(item)).strip()
            if not code:
                continue
            if not _SHORT_CODE.fullmatch(code):
                self.problem(field, f"{code!r} is not a code (letters, digits, . _ -)")
                continue
            out.append(code)
        return sorted(set(out))


MAX_COUNT = 1_000_000  # targets per stratum of a plan or a draw
CODE = re.compile(r"^[a-z0-9][a-z0-9_.\-]{0,63}$")
_CODE_SEPARATORS = re.compile(r"[,;，；、\s]+")
_DAY = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")  # a day as ISO 8601 writes it, nothing else
_SHORT_CODE = re.compile(r"[\w.\-]{1,64}")


def check_code(fields: Fields, field: str) -> str | None:
    value = fields.text(field)
    if value is not None and not CODE.match(value):
        fields.problem(field, "must be a code: lowercase letters, digits, . _ - (max 64)")
        return None
    return value
