"""Every operation's error answers in the OpenAPI description, with their problem+json shape.

Every operation of the description answers its errors as ``application/problem+json`` (RFC
9457, ``api/errors.py``; the public column's pages, left out of the description, answer theirs
as pages: docs/COLUMN.md):
``type``, ``title``, ``status``, ``detail`` and, for bad input, ``problems`` (field, value as
quoted — at most its first characters — and message). This adds to each operation the errors
it can answer, and no other: 503 (the store unreachable, read-only or full, or the read models
behind) everywhere; 422 where a parameter or the body can be wrong (a body, a query parameter, a
path parameter other than a free-text code); 401, 403 and 429 (an address held back after too
many refused tokens: ``login_throttle.py``) where it takes a token; 404 where a
path parameter names something (not one of a closed list, such as a registry's name), or the
body or a parameter names a record that must exist (``NAMES_A_RECORD``); 409 for a command
(POST, PUT, PATCH, DELETE) but those that can contradict nothing recorded (``NO_CONFLICT``); 413
where it takes a body. ``tests/api/test_documented_answers.py``
gets 401, 403, 422 and 404 from every operation that documents them and 409 from most commands;
``tests/api/openapi_coverage.py`` lists any documented answer no test got. An operation may
document more errors itself (the witness's cosignature, checked by its signature, not a token:
403); every error answer of the description is given the problem+json shape. Every answer of
every API test is checked against the description (``tests/api/conftest.py``): an answer whose
status its operation does not document, or whose problem is not of this shape, fails the test.
"""

from __future__ import annotations

from threading import Lock
from typing import Any

from fastapi import FastAPI

PROBLEM = "application/problem+json"
SCHEMA: dict[str, Any] = {
    "title": "Problem",
    "type": "object",
    "description": "An error (RFC 9457 problem details).",
    "required": ["type", "code", "title", "status", "detail"],
    "properties": {
        "type": {"type": "string", "description": "urn:drawledger:problem:<code>"},
        "code": {
            "type": "string",
            "description": "the problem's stable English name (not_found, forbidden, bad_input…): "
            "match on it, not on the words",
        },
        "title": {"type": "string", "description": "the kind of problem, in Chinese"},
        "status": {"type": "integer"},
        "detail": {
            "type": "string",
            "description": "what was wrong, in Chinese, naming the parameter, record or rule; "
            "values quoted cut short",
        },
        "problems": {
            "type": "array",
            "items": {
                "type": "object",
                "properties": {
                    "field": {"type": "string"},
                    "value": {},
                    "message": {"type": "string", "description": "the rule broken, in Chinese"},
                },
            },
        },
    },
    "additionalProperties": True,
}
REASONS = {
    401: "no token, or an unknown or revoked one",
    403: "the caller's roles or division do not allow it",
    404: "what it names does not exist (or not as of the position asked)",
    409: "it contradicts what is recorded, or another command overtook it",
    413: "the body is larger than the service's limit",
    429: "too many refused tokens from the caller's address: held back for a while (Retry-After)",
    422: "a parameter or the body is not valid; each problem named",
    503: (
        "the store is unreachable, read-only or full, the read models are behind, or what was "
        "asked for is stored but not sealed yet (Retry-After)"
    ),
}
COMMANDS = {"post", "put", "patch", "delete"}
# Path parameters of free text (a code): any value is well formed, one naming nothing a 404.
FREE_TEXT = {"code"}
# Operations without a path parameter that name a record in a parameter or the body, or read
# one that may not exist (yet, or as of the position asked): 404 if it does not.
NAMES_A_RECORD = {
    ("post", "/inspections"),  # its source: a draw or a directed inspection
    ("post", "/publications"),  # its inspection
    ("post", "/disputes"),  # its subject
    ("post", "/draws"),  # its plan
    ("get", "/checkpoint"),  # wait_for: a position the ledger does not hold
    ("get", "/proofs/inclusion"),  # a leaf or position not sealed
    ("get", "/proofs/consistency"),  # a tree size no checkpoint was signed at
    ("get", "/public/item-list"),  # none published yet
    ("get", "/policy"),  # none in force (then)
    ("get", "/trail"),  # policy_version: a version never set
    ("get", "/assessment"),  # a division, or a year with nothing to assess
}


# Commands that can contradict nothing recorded, so never answer 409 (the reason for each): a
# new record under a fresh random id after checks that refuse only with 403, 404 or 422, or a
# command that records nothing.
NO_CONFLICT = {
    ("post", "/plans"): "a new plan under a fresh random id; its checks are 403 or 422",
    ("post", "/draws/non-random"): "a new directed inspection under a fresh random id",
    ("post", "/disputes"): "writes a dispute file from what is recorded; records nothing",
}


def _closed(parameter: dict[str, Any]) -> bool:
    """Whether a parameter is one of a closed list (a registry's name): a value outside it is
    a 422, never a 404."""
    schema = parameter.get("schema", {})
    return "enum" in schema or any("enum" in s for s in schema.get("anyOf", []))


def errors_of(method: str, operation: dict[str, Any], path: str = "") -> list[int]:
    """The error statuses an operation can answer (the rules in the module's text)."""
    codes = {503}
    if operation.get("security"):
        codes |= {401, 403, 429}
    parameters = operation.get("parameters", [])
    if "requestBody" in operation or any(
        p.get("in") == "query" or p.get("name") not in FREE_TEXT for p in parameters
    ):
        codes.add(422)
    if any(p.get("in") == "path" and not _closed(p) for p in parameters):
        codes.add(404)
    if method in COMMANDS and (method, path) not in NO_CONFLICT:
        codes.add(409)
    if (method, path) in NAMES_A_RECORD:
        codes.add(404)
    if "requestBody" in operation:
        codes.add(413)
    return sorted(codes)


def document(schema: dict[str, Any]) -> dict[str, Any]:
    """The OpenAPI description with every operation's error answers added."""
    schema.setdefault("components", {}).setdefault("schemas", {})["Problem"] = SCHEMA
    reference = {"$ref": "#/components/schemas/Problem"}
    for path, methods in schema.get("paths", {}).items():
        for method, operation in methods.items():
            responses = operation.setdefault("responses", {})
            errors = errors_of(method, operation, path)
            if 422 not in errors:  # FastAPI's own "Validation Error", for any parameter
                responses.pop("422", None)
            for code in errors:
                responses.setdefault(str(code), {"description": REASONS[code]})
            for code, answer in responses.items():  # those a route documents itself too
                if code[:1] in "45":
                    answer["content"] = {PROBLEM: {"schema": reference}}
    return schema


def install(app: FastAPI) -> None:
    """Build the app's OpenAPI description with ``document`` (once, then cached).

    FastAPI's own ``openapi()`` caches its raw description on the app before ``document`` has
    added the errors, so the documented one is kept here, made under a lock: requests that ask
    for it while it is being made (the service's threads) wait and get it whole, never the raw
    one or one half documented."""
    build = app.openapi
    documented: dict[str, Any] | None = None
    making = Lock()

    def openapi() -> dict[str, Any]:
        nonlocal documented
        with making:
            if documented is None:
                documented = app.openapi_schema = document(build())
            return documented

    app.openapi = openapi  # type: ignore[method-assign]


__all__ = ["NO_CONFLICT", "PROBLEM", "SCHEMA", "document", "errors_of", "install"]
