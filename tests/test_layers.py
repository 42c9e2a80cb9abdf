"""The rooms stay apart (docs/ARCHITECTURE.md): each layer imports only the layers below it,
no module imports itself back through a circle, no product module outgrows a reader's sitting,
and the event catalogue names every aggregate kind.

verify/'s own allowance (stdlib and three packages) is guarded in tests/verify/test_imports.py.
"""

from __future__ import annotations

import ast
import importlib
import pkgutil
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
LAYERS = ("verify", "ledger", "projections", "api")  # each may import only those before it
# The witness is an independent auditor's process: it stands on verify/ alone, beside the ledger.
APART = ("witness",)
FORBIDDEN = {
    "verify": {"ledger", "projections", "api", "eventsourcing", "sqlalchemy", "fastapi", "witness"},
    "witness": {"ledger", "projections", "api", "eventsourcing", "sqlalchemy", "fastapi"},
    "ledger": {"projections", "api", "sqlalchemy", "fastapi", "witness"},
    "projections": {"api", "fastapi", "witness"},
    "api": set(),
}
MAX_LINES = 500


def _modules() -> dict[str, Path]:
    found = {}
    for layer in (*LAYERS, *APART):
        for path in (ROOT / layer).rglob("*.py"):
            parts = list(path.relative_to(ROOT).with_suffix("").parts)
            if parts[-1] == "__init__":
                parts.pop()
            found[".".join(parts)] = path
    return found


def _is_type_checking(node: ast.If) -> bool:
    test = node.test
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING"
    )


def imports_of(module: str, path: Path) -> set[str]:
    """Absolute names of what ``module`` imports, wherever in the file (functions included),
    leaving out imports only for type checking."""
    package = module if path.name == "__init__.py" else module.rpartition(".")[0]
    names: set[str] = set()

    def visit(node: ast.AST) -> None:
        if isinstance(node, ast.If) and _is_type_checking(node):
            for child in node.orelse:
                visit(child)
            return
        if isinstance(node, ast.Import):
            names.update(a.name for a in node.names)
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")[: len(package.split(".")) - node.level + 1]
                stem = ".".join([*base, node.module] if node.module else base)
            else:
                stem = node.module or ""
            names.add(stem)
            names.update(f"{stem}.{a.name}" for a in node.names)
        for child in ast.iter_child_nodes(node):
            visit(child)

    visit(ast.parse(path.read_text(encoding="utf-8")))
    return names


def _graph() -> dict[str, set[str]]:
    modules = _modules()
    return {m: {n for n in imports_of(m, p) if n in modules} - {m} for m, p in modules.items()}


def test_each_layer_imports_only_the_layers_below_it():
    offenders = sorted(
        f"{module} imports {name}"
        for module, path in _modules().items()
        for name in imports_of(module, path)
        if name.split(".")[0] in FORBIDDEN[module.split(".")[0]]
    )
    assert not offenders, "a layer reaches up or sideways:\n" + "\n".join(offenders)


def _circles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected components of more than one module (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []

    def connect(v: str) -> None:
        index[v] = low[v] = len(index)
        stack.append(v)
        on_stack.add(v)
        for w in graph.get(v, ()):
            if w not in index:
                connect(w)
                low[v] = min(low[v], low[w])
            elif w in on_stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            component = []
            while True:
                w = stack.pop()
                on_stack.discard(w)
                component.append(w)
                if w == v:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    for v in sorted(graph):
        if v not in index:
            connect(v)
    return found


def test_no_module_imports_itself_back_through_a_circle():
    # A package importing its own submodules (``from . import x`` in __init__) is not a circle
    # of design: leave out the edge from a package to its children.
    graph = {m: {n for n in deps if not n.startswith(m + ".")} for m, deps in _graph().items()}
    circles = _circles(graph)
    assert not circles, f"import circles: {circles}"


def test_the_circle_check_finds_a_circle():
    assert _circles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [["a", "b", "c"]]


def test_the_layer_check_resolves_relative_imports(tmp_path):
    module = tmp_path / "service.py"
    module.write_text("from ..application import LedgerApp\nfrom .aggregate import Draw\n")
    assert imports_of("ledger.draws.service", module) >= {
        "ledger.application",
        "ledger.application.LedgerApp",
        "ledger.draws.aggregate",
    }


def test_no_product_module_is_longer_than_a_reader_can_hold():
    long = sorted(
        f"{path.relative_to(ROOT)}: {n} lines"
        for path in _modules().values()
        if (n := len(path.read_text(encoding="utf-8").splitlines())) > MAX_LINES
    )
    assert not long, f"modules over {MAX_LINES} lines: {long}"


def test_the_event_catalogue_names_every_aggregate_kind():
    import ledger
    from ledger.aggregates import LedgerAggregate
    from ledger.catalogue import KINDS, event_types

    for info in pkgutil.walk_packages(ledger.__path__, "ledger."):
        importlib.import_module(info.name)

    def subclasses(cls: type) -> set[type]:
        direct = set(cls.__subclasses__())
        return direct.union(*(subclasses(c) for c in direct))

    product = {c for c in subclasses(LedgerAggregate) if c.__module__.startswith("ledger.")}
    assert product == set(KINDS)
    for kind in KINDS:
        for name, obj in vars(kind).items():
            if isinstance(obj, type) and hasattr(obj, "TOPIC") and name != "Event":
                assert event_types()[obj.TOPIC] is obj
