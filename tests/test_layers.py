"""The layers of the project: what each may import, and no import cycles among its modules.

``geo`` (spatial computation) and ``importers`` (files to validated records) stand on their own:
they import nothing of ``registry``, so neither loads Flask, SQLAlchemy or a database driver.
The graph test reads every module's imports from its source, as Python would run them at load.
"""

from __future__ import annotations

import ast
import json
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PACKAGES = ("registry", "geo", "importers")
FRAMEWORKS = ("flask", "sqlalchemy", "geoalchemy2", "psycopg", "psycopg2", "sqlean", "registry")


def _module_files() -> Iterator[tuple[str, Path]]:
    for package in PACKAGES:
        for path in sorted((ROOT / package).rglob("*.py")):
            parts = list(path.relative_to(ROOT).with_suffix("").parts)
            if "migrations" in parts:
                continue  # Alembic loads these by path, never by import
            if parts[-1] == "__init__":
                parts.pop()
            yield ".".join(parts), path


MODULES = dict(_module_files())


def test_geo_and_importers_load_no_framework_and_no_database_driver() -> None:
    names = [m for m in MODULES if m.split(".")[0] in ("geo", "importers")]
    script = (
        "import importlib, json, sys\n"
        f"for name in {names!r}:\n"
        "    importlib.import_module(name)\n"
        f"print(json.dumps(sorted(m for m in sys.modules if m.split('.')[0] in {FRAMEWORKS!r})))\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", script], cwd=ROOT, capture_output=True, text=True, check=True
    )
    assert len(names) > 40, "the walk found the modules"
    assert json.loads(done.stdout.strip().splitlines()[-1]) == []


def _is_type_checking(node: ast.stmt) -> bool:
    return isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test)


def _imports_at_load(module: str, path: Path) -> Iterator[str]:
    """The project modules this one imports, when it loads or later inside a function.

    An import inside a function still ties the two modules together, so it counts. A package's
    ``__init__`` may import its route modules after defining what they register on (the
    blueprint idiom); those late imports are left out, and so are imports only for type checks.
    """
    tree = ast.parse(path.read_text())
    package = module if path.name == "__init__.py" else module.rpartition(".")[0]
    started = False
    for node in tree.body:
        if isinstance(node, ast.Import | ast.ImportFrom):
            if started and path.name == "__init__.py":
                continue
            yield from _targets(node, package)
        elif isinstance(node, ast.Expr) and isinstance(node.value, ast.Constant):
            continue  # the docstring
        elif not _is_type_checking(node):
            started = True
            for inner in ast.walk(node):  # at module level or inside functions alike
                if isinstance(inner, ast.Import | ast.ImportFrom):
                    yield from _targets(inner, package)


def _targets(node: ast.Import | ast.ImportFrom, package: str) -> Iterator[str]:
    if isinstance(node, ast.Import):
        for alias in node.names:
            yield from _with_parents(alias.name)
        return
    base = node.module or ""
    if node.level:
        parts = package.split(".")
        parts = parts[: len(parts) - (node.level - 1)]
        base = ".".join([*parts, base] if base else parts)
    for alias in node.names:
        full = f"{base}.{alias.name}"
        yield from _with_parents(full if full in MODULES else base)


def _with_parents(name: str) -> Iterator[str]:
    """The module itself, or the nearest package of the project that holds the name.

    Loading ``a.b.c`` also runs ``a/__init__`` and ``a/b/__init__``; those edges are left out,
    as a package may gather its modules' public names (the facade of ``importers``, say).
    """
    parts = name.split(".")
    for end in range(len(parts), 0, -1):
        candidate = ".".join(parts[:end])
        if candidate in MODULES:
            yield candidate
            return


def _cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected components of more than one module (Tarjan, iteratively)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found = []
    counter = 0
    for root in graph:
        if root in index:
            continue
        work = [(root, iter(sorted(graph[root])))]
        index[root] = low[root] = counter
        counter += 1
        stack.append(root)
        on_stack.add(root)
        while work:
            node, children = work[-1]
            for child in children:
                if child not in index:
                    index[child] = low[child] = counter
                    counter += 1
                    stack.append(child)
                    on_stack.add(child)
                    work.append((child, iter(sorted(graph[child]))))
                    break
                if child in on_stack:
                    low[node] = min(low[node], index[child])
            else:
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
                        found.append(sorted(component))
    return found


def import_graph() -> dict[str, set[str]]:
    return {
        module: {t for t in _imports_at_load(module, path) if t != module}
        for module, path in MODULES.items()
    }


def test_no_import_cycles_among_the_project_modules() -> None:
    graph = import_graph()
    assert graph["registry.app"], "the graph sees imports"
    assert _cycles({"a": {"b"}, "b": {"a"}, "c": {"a"}}) == [["a", "b"]]
    assert _cycles(graph) == []


def test_geo_and_importers_import_nothing_of_the_registry() -> None:
    graph = import_graph()
    offenders = {
        module: sorted(t for t in targets if t.startswith("registry"))
        for module, targets in graph.items()
        if module.split(".")[0] in ("geo", "importers")
    }
    assert {m: t for m, t in offenders.items() if t} == {}
