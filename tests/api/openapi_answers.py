"""Answers checked against the OpenAPI description (no tests here): a 2xx body validated
against the schema its operation documents for that status and content type (JSON Schema
2020-12, as OpenAPI 3.1 writes it, with the description's components)."""

from __future__ import annotations

from typing import Any

from jsonschema import Draft202012Validator
from jsonschema.exceptions import best_match

JSON_TYPES = ("application/json", "application/problem+json")


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


__all__ = ["Answers"]
