"""Every answer an API test gets from the service is checked against the OpenAPI description.

Each request a test sends through a ``TestClient`` to the service's FastAPI app is matched to
its operation (the documented path its URL fits), and its answer checked as the hostile walk checks
its own (``openapi_answers.answer_problems``): a status the operation documents, an error as
problem+json of the documented shape, a 2xx body inside the schema documented for its status
and content type. A test whose answers break the description fails at its teardown, naming
each. With ``DRAWLEDGER_OPENAPI_SEEN=FILE`` each (operation, status) answered is appended to
FILE and the description written to FILE.openapi.json (a test marked ``store_tampered`` may
get an undocumented 500, still as problem+json): ``python -m tests.api.openapi_coverage
FILE`` lists the documented answers no test got; a run of the whole API suite records them
anyway and fails if one is missing (``answers_run.py``). With ``DRAWLEDGER_PROBLEMS_SEEN=FILE`` each
problem answered is appended to FILE as a JSON line (operation, status, code, title, detail):
the words to read when ``ledger/error_texts.py`` or ``api/problem_texts.py`` is extended.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterator

import pytest
from starlette.testclient import TestClient

from . import answers_run
from .openapi_answers import Description


@pytest.fixture(autouse=True)
def answers_inside_the_description(
    monkeypatch: pytest.MonkeyPatch, request: pytest.FixtureRequest
) -> Iterator[None]:
    failures: list[str] = []
    # A test that edits the store behind the service's back expects a 500 (still problem+json).
    tampered = request.node.get_closest_marker("store_tampered") is not None
    answers_run.note_test(request.node.path.name)
    original = TestClient.request

    def checked(self: TestClient, method: str, url: object, *args: object, **kwargs: object):  # type: ignore[no-untyped-def]
        response = original(self, method, url, *args, **kwargs)  # type: ignore[arg-type]
        description = Description.of(self.app)
        if description is not None:
            operation, problems = description.check(method, response)
            if tampered and response.status_code == 500:
                problems = [p for p in problems if "status 500 is not documented" not in p]
            failures.extend(problems)
            if operation is not None:
                answers_run.record(operation, response.status_code, description.openapi)
            problems_seen = os.environ.get("DRAWLEDGER_PROBLEMS_SEEN")
            kind = response.headers.get("content-type", "")
            if problems_seen and kind.startswith("application/problem"):
                body = response.json()
                line = {"operation": operation, "status": response.status_code}
                line |= {k: body.get(k) for k in ("code", "title", "detail")}
                with open(problems_seen, "a", encoding="utf-8") as out:
                    out.write(json.dumps(line, ensure_ascii=False) + "\n")
        return response

    monkeypatch.setattr(TestClient, "request", checked)
    yield
    if failures:
        pytest.fail("answers outside the OpenAPI description:\n" + "\n".join(failures[:20]))


@pytest.fixture
def parsed(monkeypatch) -> list[str]:
    """The codes of the target rows an import parses in this process (the row helper's rows not
    included): which rows an import checked cell by cell, for the re-import tests."""
    from ledger.registry import importer
    from ledger.registry.targets import parse_target

    codes: list[str] = []

    def counting(data):
        codes.append(data.get("code"))
        return parse_target(data)

    monkeypatch.setattr(importer, "parse_target", counting)
    return codes
