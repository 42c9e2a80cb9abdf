"""Answers checked against the OpenAPI description (no tests here): a 2xx body validated
against the schema its operation documents for that status and content type (JSON Schema
2020-12, as OpenAPI 3.1 writes it, with the description's components); a status the operation
documents; an error as problem+json of the documented shape, a 4xx in Chinese with a stable
English code (``answer_problems``, ``words_problems``), or on a page of the public column a page
in Chinese (``page_problems``); and, for any
answer of an app, the operation that answered it (``Description``, used by ``conftest.py`` on
every answer of every API test)."""

from __future__ import annotations

import re
import weakref
from typing import Any

from fastapi import FastAPI
from jsonschema import Draft202012Validator
from jsonschema.exceptions import best_match

from api.openapi_errors import PROBLEM, SCHEMA
from ledger.errors import SHOWN

JSON_TYPES = ("application/json", "application/problem+json")
CJK = re.compile(r"[\u3400-\u9fff]")
CODE = re.compile(r"[a-z][a-z_]*")
# 4xx problems whose detail may be without Chinese, by code, each with the reason: none.
EXEMPT: dict[str, str] = {}


class Answers:
    """The documented answers of every operation of one OpenAPI description."""

    def __init__(self, openapi: dict[str, Any]) -> None:
        self.openapi = openapi
        self._validators: dict[tuple[str, str, str, str], Draft202012Validator] = {}

    def responses(self, method: str, path: str) -> dict[str, Any] | None:
        return self.openapi["paths"].get(path, {}).get(method.lower(), {}).get("responses")

    def schema(self, method: str, path: str, status: int, media: str) -> dict[str, Any] | None:
        """The schema documented for a status and content type (None: not documented)."""
        responses = self.responses(method, path) or {}
        content = (responses.get(str(status)) or {}).get("content") or {}
        answer = content.get(media)
        return None if answer is None else answer.get("schema", {})

    def problems(self, method: str, path: str, response: Any) -> list[str]:
        """What is wrong with a 2xx answer: a content type its operation does not document
        for the status, or a JSON body outside the documented schema."""
        status = response.status_code
        if not 200 <= status < 300 or status == 204:
            return []
        media = _media(response.headers.get("content-type", ""))
        responses = self.responses(method, path)
        if responses is None:
            return []  # not in the description (the public column's pages)
        documented = (responses.get(str(status)) or {}).get("content") or {}
        content = {_media(name): answer for name, answer in documented.items()}
        if media not in content:
            return [f"{status} as {media!r}: documented only as {sorted(documented)}"]
        if media not in JSON_TYPES:
            return []
        key = (method, path, str(status), media)
        validator = self._validators.get(key)
        if validator is None:
            schema = {**content[media].get("schema", {}), "components": self.openapi["components"]}
            validator = self._validators[key] = Draft202012Validator(schema)
        error = best_match(validator.iter_errors(response.json()))
        if error is None:
            return []
        where = "/".join(str(p) for p in error.absolute_path) or "(the body)"
        return [f"{status} body outside its schema at {where}: {error.message[:300]}"]

    def says_nothing(self) -> list[str]:
        """Operations whose JSON 2xx answer is documented by a schema that says nothing of
        its shape (no type, no reference, no properties)."""
        found = []
        for path, operations in self.openapi["paths"].items():
            for method, operation in operations.items():
                for status, answer in operation.get("responses", {}).items():
                    if not status.startswith("2"):
                        continue
                    schema = (answer.get("content") or {}).get("application/json", {})
                    schema = schema.get("schema") if schema else None
                    if schema is not None and _empty(schema):
                        found.append(f"{method.upper()} {path} {status}")
        return found


def _media(content_type: str) -> str:
    """A content type without its parameters (``text/csv; charset=utf-8`` → ``text/csv``)."""
    return content_type.split(";")[0].strip().lower()


def _empty(schema: dict[str, Any]) -> bool:
    if "$ref" in schema or "anyOf" in schema or "oneOf" in schema or "allOf" in schema:
        return False
    if schema.get("type") == "object":
        return not schema.get("properties") and not isinstance(
            schema.get("additionalProperties"), dict
        )
    if schema.get("type") == "array":
        return _empty(schema.get("items") or {})
    return "type" not in schema


def documented_responses(openapi: dict[str, Any]) -> dict[tuple[str, str], Any]:
    """Each operation's documented responses, by (METHOD, path)."""
    return {
        (method.upper(), path): operation["responses"]
        for path, operations in openapi["paths"].items()
        for method, operation in operations.items()
    }


def answer_problems(
    method: str, path: str, response: Any, documented: dict[tuple[str, str], Any]
) -> list[str]:
    """What is wrong with an answer against its operation's OpenAPI description: a status it
    does not document, an error that is not a problem+json of the documented shape, or one
    echoing a hostile value in full (more than ``ledger.errors.SHOWN`` characters of it)."""
    found = []
    responses = documented.get((method, path))
    status = response.status_code
    if responses is not None and str(status) not in responses:
        found.append(f"status {status} is not documented (only {', '.join(sorted(responses))})")
    if status >= 400:
        kind = response.headers.get("content-type", "")
        if responses is None and kind.startswith("text/html"):
            found += page_problems(response)  # a page of the public column: its refusal a page
        elif kind != PROBLEM:
            found.append(f"an error as {response.headers.get('content-type')}, not {PROBLEM}")
        else:
            body = response.json()
            missing = [k for k in SCHEMA["required"] if k not in body]
            if missing or body.get("status") != status or not isinstance(body["detail"], str):
                found.append(f"not a problem of the documented shape: {response.text[:200]}")
            elif status < 500:
                found += words_problems(body)
        if "x" * (SHOWN + 1) in response.text:
            found.append("a hostile value echoed in full")
    return found


def page_problems(response: Any) -> list[str]:
    """What is wrong with a refusal answered as a page of the public column
    (``api/public_column/refusals.py``): no problem paragraph in Chinese, no navigation of the
    column, or a script in it (a value typed into the address shown live)."""
    page = response.text
    problem = re.search(r'<p class="problem" id="problem">(.*?)</p>', page, re.DOTALL)
    if problem is None or not CJK.search(problem.group(1)):
        return [f"a refusal page without its problem in Chinese: {page[:200]}"]
    if '<a href="/column/results">' not in page:
        return ["a refusal page without the column's navigation"]
    if "<script" in page.lower():
        return [f"a script on a refusal page: {problem.group(1)[:200]}"]
    return []


def words_problems(body: dict[str, Any]) -> list[str]:
    """What is wrong with a 4xx problem's words: no stable English ``code`` (and ``type``
    ``urn:drawledger:problem:<code>``), a title or detail without Chinese, or a detail that is
    only its title and the English message (``api/problem_texts.domain_detail``: a message
    ``ledger/error_texts.py`` does not know yet), unless its code is ``EXEMPT``."""
    code = body.get("code")
    if not isinstance(code, str) or not CODE.fullmatch(code):
        return [f"no stable English code: {str(body)[:200]}"]
    if body["type"] != f"urn:drawledger:problem:{code}":
        return [f"type {body['type']!r} is not the code's"]
    if code in EXEMPT:
        return []
    title, detail = str(body["title"]), body["detail"]
    if not CJK.search(title) or not CJK.search(detail) or detail.startswith(f"{title}（原文："):
        return [f"a problem not in Chinese ({code}): {detail[:200]}"]
    return []


class Description:
    """One app's OpenAPI description, and which of its operations answered a request."""

    _apps: weakref.WeakKeyDictionary[Any, Description] = weakref.WeakKeyDictionary()

    def __init__(self, app: FastAPI) -> None:
        self.app = app
        self.openapi = app.openapi()
        self.answers = Answers(self.openapi)
        self.documented = documented_responses(self.openapi)
        self._patterns: dict[str, list[tuple[re.Pattern[str], str]]] = {}
        for method, template in self.documented:
            pattern = re.sub(r"\\\{\w+\\\}", "[^/]+", re.escape(template))
            self._patterns.setdefault(method, []).append((re.compile(pattern), template))

    @classmethod
    def of(cls, app: Any) -> Description | None:
        """The description of a FastAPI app (None for any other application)."""
        if not isinstance(app, FastAPI):
            return None
        found = cls._apps.get(app)
        if found is None:
            found = cls._apps[app] = cls(app)
        return found

    def operation(self, method: str, path: str) -> str | None:
        """The documented path whose template ``path`` fits for ``method`` (None: none, such
        as the public column's pages, left out of the description); of several, the one with
        the fewest parameters (``/targets/export`` before ``/targets/{code}``)."""
        fits = [
            template
            for pattern, template in self._patterns.get(method.upper(), [])
            if pattern.fullmatch(path)
        ]
        return min(fits, key=lambda t: (t.count("{"), -len(t))) if fits else None

    def check(self, method: str, response: Any) -> tuple[str | None, list[str]]:
        """The operation ("METHOD path") that answered, and what is wrong with its answer."""
        method = method.upper()
        url = response.request.url
        path = self.operation(method, url.path)
        if path is None:
            return None, []
        problems = answer_problems(method, path, response, self.documented)
        problems += self.answers.problems(method, path, response)
        where = f"{method} {str(url.raw_path, 'ascii', 'replace')[:100]}"
        return f"{method} {path}", [f"{where}: {problem}" for problem in problems]


__all__ = [
    "Answers",
    "Description",
    "answer_problems",
    "documented_responses",
    "page_problems",
    "words_problems",
]
