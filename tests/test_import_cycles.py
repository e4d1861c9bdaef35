"""No import circles among the project's own modules (``pipelines``, ``dashboards``).

The graph has an edge A → B when module A imports module B anywhere in its body — at the top or
inside a function: an import moved into a function to dodge a circular import is still a circle
in the design. Imports under ``if TYPE_CHECKING:`` are left out (they never run). ``from P import
N`` counts as importing ``P.N`` when that is a module of the project, else ``P``. The packages'
``__init__`` modules import nothing, so the packages a module's import passes through are left out.
"""

from __future__ import annotations

import ast
from pathlib import Path

from pipelines.settings import PROJECT_ROOT

PACKAGES = ("pipelines", "dashboards")


def module_name(path: Path, root: Path) -> str:
    """``pipelines/defs/marts/assets.py`` → ``pipelines.defs.marts.assets`` (a package: its folder)."""
    parts = list(path.relative_to(root).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def project_modules(root: Path, packages: tuple[str, ...] = PACKAGES) -> dict[str, Path]:
    """Every module of ``packages`` under ``root``, by dotted name."""
    return {
        module_name(path, root): path
        for package in packages
        for path in sorted((root / package).rglob("*.py"))
        if "__pycache__" not in path.parts
    }


def _is_type_checking(test: ast.expr) -> bool:
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING"
    )


def _import_nodes(tree: ast.AST):
    """Every Import/ImportFrom node, skipping the bodies of ``if TYPE_CHECKING:``."""
    stack = [tree]
    while stack:
        node = stack.pop()
        if isinstance(node, ast.If) and _is_type_checking(node.test):
            stack.extend(node.orelse)
            continue
        if isinstance(node, (ast.Import, ast.ImportFrom)):
            yield node
        stack.extend(ast.iter_child_nodes(node))


def imported_modules(source: str, module: str, is_package: bool, known: set[str]) -> set[str]:
    """The project modules that ``module`` (with ``source``) imports."""
    found: set[str] = set()
    for node in _import_nodes(ast.parse(source)):
        if isinstance(node, ast.Import):
            targets = [alias.name for alias in node.names]
        else:
            if node.level:
                base = module.split(".") if is_package else module.split(".")[:-1]
                base = base[: len(base) - (node.level - 1)]
                prefix = ".".join(base + ([node.module] if node.module else []))
            else:
                prefix = node.module or ""
            # ``from P import N``: the module P.N when it exists, otherwise the name N of P.
            targets = [
                f"{prefix}.{alias.name}" if f"{prefix}.{alias.name}" in known else prefix
                for alias in node.names
            ]
        for target in targets:
            # ``import a.b.c`` of a module not in the project (e.g. a name): its nearest module.
            while target and target not in known:
                target = target.rpartition(".")[0]
            if target and target != module:
                found.add(target)
    return found


def import_graph(root: Path = PROJECT_ROOT, packages: tuple[str, ...] = PACKAGES) -> dict[str, set[str]]:
    """Module → the project modules it imports."""
    modules = project_modules(root, packages)
    known = set(modules)
    return {
        name: imported_modules(path.read_text(encoding="utf-8"), name, path.name == "__init__.py", known)
        for name, path in modules.items()
    }


def find_cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """One cycle (as a closed path ``[a, b, …, a]``) per strongly connected component that has one."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    on_stack: set[str] = set()
    stack: list[str] = []
    components: list[list[str]] = []
    counter = 0

    def strongconnect(start: str) -> None:
        # Tarjan's algorithm, iterative (the graph is deep enough to worry about recursion).
        nonlocal counter
        work = [(start, iter(sorted(graph.get(start, ()))))]
        index[start] = low[start] = counter
        counter += 1
        stack.append(start)
        on_stack.add(start)
        while work:
            node, children = work[-1]
            child = next(children, None)
            if child is not None:
                if child not in index:
                    index[child] = low[child] = counter
                    counter += 1
                    stack.append(child)
                    on_stack.add(child)
                    work.append((child, iter(sorted(graph.get(child, ())))))
                elif child in on_stack:
                    low[node] = min(low[node], index[child])
                continue
            work.pop()
            if work:
                low[work[-1][0]] = min(low[work[-1][0]], low[node])
            if low[node] == index[node]:
                component = []
                while True:
                    member = stack.pop()
                    on_stack.discard(member)
                    component.append(member)
                    if member == node:
                        break
                if len(component) > 1:
                    components.append(sorted(component))

    for node in sorted(graph):
        if node not in index:
            strongconnect(node)
    return [_cycle_in(component, graph) for component in components]


def _cycle_in(component: list[str], graph: dict[str, set[str]]) -> list[str]:
    """A closed path through the first module of a strongly connected component."""
    members = set(component)
    start = component[0]
    paths = {start: [start]}
    frontier = [start]
    while frontier:
        nxt = []
        for node in frontier:
            for child in sorted(graph[node] & members):
                if child == start:
                    return paths[node] + [start]
                if child not in paths:
                    paths[child] = paths[node] + [child]
                    nxt.append(child)
        frontier = nxt
    raise AssertionError(f"no cycle through {start}")  # a strongly connected component has one


def test_no_import_cycles_in_the_project():
    cycles = find_cycles(import_graph())
    assert cycles == [], "import circles:\n" + "\n".join(" → ".join(c) for c in cycles)


def test_nothing_below_the_code_location_imports_it():
    """``pipelines.definitions`` assembles the code location; no module of the project imports it."""
    graph = import_graph()
    importers = sorted(name for name, targets in graph.items() if "pipelines.definitions" in targets)
    assert importers == []


def test_the_detector_finds_a_circle_through_a_function_level_import(tmp_path: Path):
    package = tmp_path / "pkg"
    (package / "sub").mkdir(parents=True)
    (package / "__init__.py").write_text("")
    (package / "sub" / "__init__.py").write_text("")
    (package / "top.py").write_text("from pkg.sub import low\n")
    (package / "sub" / "low.py").write_text(
        "from typing import TYPE_CHECKING\n"
        "if TYPE_CHECKING:\n    from pkg import alone\n"
        "def f():\n    from .. import top\n    return top\n"
    )
    (package / "alone.py").write_text("from . import sub\nimport pkg.sub.low\n")
    graph = import_graph(tmp_path, ("pkg",))
    assert graph["pkg.top"] == {"pkg.sub.low"}
    assert graph["pkg.sub.low"] == {"pkg.top"}  # relative, in a function; TYPE_CHECKING left out
    assert graph["pkg.alone"] == {"pkg.sub", "pkg.sub.low"}
    assert find_cycles(graph) == [["pkg.sub.low", "pkg.top", "pkg.sub.low"]]
    (package / "sub" / "low.py").write_text("X = 1\n")
    assert find_cycles(import_graph(tmp_path, ("pkg",))) == []
