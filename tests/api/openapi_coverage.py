"""Which documented answers no API test got: every (operation, status) of the service's OpenAPI
description that is missing from a file of answers seen (``DRAWLEDGER_OPENAPI_SEEN=FILE`` while
the API tests run: ``tests/api/conftest.py`` appends one "METHOD path status" line per answer,
each checked against the description, and the description itself as FILE.openapi.json).

    DRAWLEDGER_OPENAPI_SEEN=seen.txt pytest -q tests/api
    python -m tests.api.openapi_coverage seen.txt [--all]

Prints, per operation, the documented statuses never answered (without ``--all``: leaving out
503, which only a failing store answers, 413, which the body limit answers for any body, and
429, which the login throttle answers for any operation taking a token).
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

# Answered by the store's failure, the body limit or the login throttle (an address held back
# after too many refused tokens), for any operation (429: tests/api/test_login_failures_limited).
RARE = {"503", "413", "429"}


def never_answered(openapi: dict[str, Any], seen: set[tuple[str, str]], every: bool) -> list[str]:
    """'METHOD path: statuses' for each operation with documented statuses never seen."""
    found = []
    for path, operations in openapi["paths"].items():
        for method, operation in operations.items():
            name = f"{method.upper()} {path}"
            missing = [
                status
                for status in operation["responses"]
                if (name, status) not in seen and (every or status not in RARE)
            ]
            if missing:
                found.append(f"{name}: {', '.join(sorted(missing))}")
    return found


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("seen", type=Path)
    parser.add_argument("--all", action="store_true", help="503 and 413 too")
    args = parser.parse_args(argv)
    seen = set()
    for line in args.seen.read_text(encoding="utf-8").splitlines():
        operation, _, status = line.rpartition(" ")
        seen.add((operation, status))
    openapi = json.loads(Path(f"{args.seen}.openapi.json").read_text(encoding="utf-8"))
    missing = never_answered(openapi, seen, args.all)
    print("\n".join(missing))
    print(f"{len(missing)} operations with a documented answer no test got", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
