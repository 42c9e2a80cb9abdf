"""A run of the whole API suite fails if an answer the OpenAPI description documents was got by
no test (``openapi_coverage.never_answered``, leaving out 503, 413 and 429, which any operation
answers when the store fails, a body is too large or the caller's address is held back).

The hooks live in ``tests/conftest.py`` (so that pytest-xdist's controller runs them too):
``pytest_configure`` names a file of answers for the run (``DRAWLEDGER_ANSWERS_RUN``, inherited
by the workers); ``tests/api/conftest.py`` appends to it each answer ("METHOD path status"), and
to FILE.files the file of each test that ran, and writes the description to FILE.openapi.json;
``pytest_sessionfinish`` reads them once every test has run. Only a run of every file of
``tests/api``, without ``-k`` or ``-m`` and with every test passed, is judged: a part of the
suite gets only part of the answers.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import tempfile
from pathlib import Path
from typing import Any

import pytest

from .openapi_coverage import never_answered

VARIABLE = "DRAWLEDGER_ANSWERS_RUN"
HERE = Path(__file__).resolve().parent
# a file that defines a test (``test_import_support.py`` holds only helpers: no test of it runs)
_TEST = re.compile(r"^\s*(?:async )?def test_", re.M)
_MADE: list[str] = []  # the folder this run made (pytest_configure), removed at its end


def answers_file() -> str | None:
    """The file this run's answers are appended to (None: not recording)."""
    return os.environ.get("DRAWLEDGER_OPENAPI_SEEN") or os.environ.get(VARIABLE)


def missing(
    openapi: dict[str, Any], lines: list[str], files_run: set[str], files: set[str]
) -> list[str] | None:
    """The documented answers no test got ("METHOD path: statuses"); None if the run was not
    of every API test file (then nothing can be judged)."""
    if not files <= files_run:
        return None
    seen = set()
    for line in lines:
        operation, _, status = line.rpartition(" ")
        seen.add((operation, status))
    return never_answered(openapi, seen, every=False)


def configure(config: pytest.Config) -> None:
    if hasattr(config, "workerinput") or os.environ.get(VARIABLE):
        return
    folder = tempfile.mkdtemp(prefix="drawledger-answers-")
    _MADE.append(folder)
    os.environ[VARIABLE] = str(Path(folder) / "answers.txt")


def session_finish(session: pytest.Session, exitstatus: int) -> None:
    if hasattr(session.config, "workerinput"):
        return
    try:
        _judge(session, exitstatus)
    finally:
        for folder in _MADE:  # the folder this run made for its answers, nothing else
            os.environ.pop(VARIABLE, None)
            shutil.rmtree(folder, ignore_errors=True)
        _MADE.clear()


def _judge(session: pytest.Session, exitstatus: int) -> None:
    config = session.config
    if exitstatus != 0:
        return
    if config.option.keyword or config.option.markexpr:
        return
    found = answers_file()
    described = Path(f"{found}.openapi.json")
    if not found or not described.exists():
        return
    run = Path(f"{found}.files")
    files_run = set(run.read_text(encoding="utf-8").split()) if run.exists() else set()
    files = {p.name for p in HERE.glob("test_*.py") if _TEST.search(p.read_text(encoding="utf-8"))}
    lines = Path(found).read_text(encoding="utf-8").splitlines()
    never = missing(json.loads(described.read_text(encoding="utf-8")), lines, files_run, files)
    if never:
        reporter = config.pluginmanager.get_plugin("terminalreporter")
        text = "documented answers no API test got (tests/api/answers_run.py):\n" + "\n".join(never)
        if reporter is not None:
            reporter.write_sep("=", "documented answers never got", red=True)
            reporter.write_line(text)
        session.exitstatus = pytest.ExitCode.TESTS_FAILED


def note_test(test_file: str) -> None:
    """Note that a test of ``test_file`` ran (whether or not it asked the service anything)."""
    found = answers_file()
    if found:
        with open(f"{found}.files", "a", encoding="utf-8") as out:
            out.write(f"{test_file}\n")


def record(operation: str, status: int, openapi: dict[str, Any]) -> None:
    """Append one answer to this run's file of answers (and the description, once)."""
    found = answers_file()
    if not found:
        return
    described = Path(f"{found}.openapi.json")
    if not described.exists():
        described.write_text(json.dumps(openapi), encoding="utf-8")
    with open(found, "a", encoding="utf-8") as out:
        out.write(f"{operation} {status}\n")
