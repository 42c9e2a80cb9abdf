"""Routes take what they need as the typed dependencies of ``api/deps.py`` (``LedgerDep``,
``OfficialDep``, ``ReadModelsDep``, …) and define none of their own: who the acting official is,
and which service answers, is decided in one place."""

from __future__ import annotations

import ast
from pathlib import Path

API = Path(__file__).resolve().parents[2] / "api"
ROUTE_MODULES = [
    *sorted((API / "routes").glob("*.py")),
    API / "public_column" / "routes.py",
    API / "legal" / "routes.py",
]


def _own_dependencies(path: Path) -> list[str]:
    found = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Name) and node.id in {"Depends", "Security"}:
            found.append(f"line {node.lineno}: {node.id}")
        if (
            isinstance(node, ast.Attribute)
            and node.attr == "state"
            and isinstance(node.value, ast.Attribute)
            and node.value.attr == "app"
        ):
            found.append(f"line {node.lineno}: request.app.state")
    return found


def test_the_route_modules_are_found():
    names = {p.name for p in ROUTE_MODULES}
    assert {"draws.py", "inspections.py", "plans.py", "queries.py", "registry.py"} <= names
    assert all(p.exists() for p in ROUTE_MODULES)


def test_no_route_module_defines_a_dependency_of_its_own():
    offenders = {
        str(p.relative_to(API)): found for p in ROUTE_MODULES if (found := _own_dependencies(p))
    }
    assert offenders == {}


def test_the_check_sees_a_dependency_defined_in_a_route_module(tmp_path):
    route = tmp_path / "route.py"
    route.write_text(
        "def get_x(request):\n"
        "    return request.app.state.x\n"
        "\n"
        "X = Annotated[int, Depends(get_x)]\n"
    )
    assert _own_dependencies(route) == ["line 2: request.app.state", "line 4: Depends"]
