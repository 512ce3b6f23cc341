"""The package's shape, read from its source with ``ast`` (nothing of it is imported): no import cycles,
every layer imports only downwards, and what the CLI's cached path imports stays free of pandas.

Ranks (a module may import modules of its own layer package, or of a lower rank):

    0  anchorlib.errors, anchorlib.paths, anchorlib.collector, anchorlib.formatting, anchorlib.export
       (leaves: each imports nothing of anchorlib but anchorlib.errors)
    1  anchorlib.data.*
    2  anchorlib.metrics.*, anchorlib.social_value.*              (siblings: neither imports the other)
    3  anchorlib.charts.*
    4  anchorlib.apps.*, anchorlib.reports.*, anchorlib.sample.*  (siblings: none imports another)
    5  anchorlib.cli, and the face: anchorlib (its __init__)

An import counts wherever it is written: at module level, inside a function, under ``TYPE_CHECKING``;
absolute or relative. ``import X.Y`` and ``from X import Y`` where Y is a submodule import the module
X.Y; ``from X import name`` imports X.
"""

from __future__ import annotations

import ast
import functools
import subprocess
import sys
from collections import deque
from dataclasses import dataclass
from pathlib import Path

from anchorlib.paths import PACKAGE_DIR, PROJECT_DIR

ROOT = "anchorlib"
FACE = ROOT
LEAVES = (
    "anchorlib.errors",
    "anchorlib.paths",
    "anchorlib.collector",
    "anchorlib.formatting",
    "anchorlib.export",
)
#: layer package -> rank
LAYERS = {
    **dict.fromkeys(LEAVES, 0),
    "anchorlib.data": 1,
    "anchorlib.metrics": 2,
    "anchorlib.social_value": 2,
    "anchorlib.charts": 3,
    "anchorlib.apps": 4,
    "anchorlib.reports": 4,
    "anchorlib.sample": 4,
    "anchorlib.cli": 5,
    FACE: 5,
}
#: modules the ``anchorlib`` command imports to answer from its cache, where pandas' import (~0.3 s)
#: would be most of the run
NO_PANDAS = ("anchorlib.formatting", "anchorlib.export", "anchorlib.data.storage.cache")


@dataclass(frozen=True)
class Import:
    source: str  # the importing module
    target: str  # the imported module (dotted; for other packages, as written)
    names: tuple[str, ...]  # ``from target import names`` (names that are not submodules)
    path: Path
    line: int
    runtime: bool  # runs when ``source`` is imported: module level (or a class body), not TYPE_CHECKING

    @property
    def internal(self) -> bool:
        return self.target == ROOT or self.target.startswith(ROOT + ".")

    def where(self) -> str:
        return f"{self.path.relative_to(PROJECT_DIR)}:{self.line}"


@functools.cache
def modules() -> dict[str, Path]:
    """Every module of the package: dotted name -> file (a package is its __init__.py)."""
    out = {}
    for path in sorted(PACKAGE_DIR.rglob("*.py")):
        parts = path.relative_to(PACKAGE_DIR.parent).with_suffix("").parts
        out[".".join(parts[:-1] if parts[-1] == "__init__" else parts)] = path
    return out


@functools.cache
def tree(name: str) -> ast.Module:
    path = modules()[name]
    return ast.parse(path.read_text(encoding="utf-8"), filename=str(path))


def _is_type_checking(test: ast.expr) -> bool:
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING"
    )


class _Collector(ast.NodeVisitor):
    """The imports in one module's tree; ``known``: the package's modules (a name in ``from X import
    name`` that is one of them is a submodule)."""

    def __init__(self, name: str, path: Path, known):
        self.name, self.path, self.known = name, path, known
        self.is_package = path.name == "__init__.py"
        self.deferred = 0  # inside a function, or under TYPE_CHECKING: not run on import
        self.found: list[Import] = []

    def _deferred(self, nodes) -> None:
        self.deferred += 1
        for n in nodes:
            self.visit(n)
        self.deferred -= 1

    def visit_FunctionDef(self, node) -> None:
        for n in [*node.decorator_list, *node.args.defaults, *node.args.kw_defaults]:
            if n is not None:
                self.visit(n)
        self._deferred(node.body)

    visit_AsyncFunctionDef = visit_FunctionDef

    def visit_Lambda(self, node) -> None:
        self._deferred([node.body])

    def visit_If(self, node) -> None:
        if _is_type_checking(node.test):
            self._deferred(node.body)
            for n in node.orelse:
                self.visit(n)
        else:
            self.generic_visit(node)

    def _add(self, target: str, names: tuple[str, ...], node) -> None:
        self.found.append(Import(self.name, target, names, self.path, node.lineno, self.deferred == 0))

    def visit_Import(self, node) -> None:
        for alias in node.names:
            self._add(alias.name, (), node)

    def visit_ImportFrom(self, node) -> None:
        if node.level:
            base = self.name if self.is_package else self.name.rpartition(".")[0]
            parts = base.split(".")
            base = ".".join(parts[: len(parts) - (node.level - 1)])
            module = f"{base}.{node.module}" if node.module else base
        else:
            module = node.module
        names = []
        for alias in node.names:
            if f"{module}.{alias.name}" in self.known:
                self._add(f"{module}.{alias.name}", (), node)
            else:
                names.append(alias.name)
        if names:
            self._add(module, tuple(names), node)


@functools.cache
def imports(name: str) -> tuple[Import, ...]:
    c = _Collector(name, modules()[name], modules())
    c.visit(tree(name))
    return tuple(c.found)


def internal_edges() -> list[Import]:
    """Every import of one anchorlib module by another (a module naming itself is left out)."""
    return [i for m in modules() for i in imports(m) if i.internal and i.target != i.source]


def layer(name: str) -> str | None:
    """The layer package ``name`` belongs to (a key of LAYERS), or None."""
    if name == FACE:
        return FACE
    top = ".".join(name.split(".")[:2])
    return top if top in LAYERS and top != FACE else None


def _bound_names(name: str, seen: frozenset = frozenset()) -> set[str] | None:
    """Names a module binds when it runs (None when it has a module ``__getattr__``: any name may be)."""
    out: set[str] = set()

    def targets(t) -> None:
        if isinstance(t, ast.Name):
            out.add(t.id)
        elif isinstance(t, (ast.Tuple, ast.List)):
            for e in t.elts:
                targets(e)
        elif isinstance(t, ast.Starred):
            targets(t.value)

    todo = list(tree(name).body)
    while todo:
        node = todo.pop()
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            out.add(node.name)
        elif isinstance(node, ast.Assign):
            for t in node.targets:
                targets(t)
        elif isinstance(node, (ast.AnnAssign, ast.AugAssign)):
            targets(node.target)
        elif isinstance(node, ast.Import):
            out.update(a.asname or a.name.split(".")[0] for a in node.names)
        elif isinstance(node, ast.ImportFrom):
            for a in node.names:
                if a.name != "*":
                    out.add(a.asname or a.name)
            if any(a.name == "*" for a in node.names):
                star = [i for i in imports(name) if i.line == node.lineno and "*" in i.names]
                inner = star and star[0].target in modules() and star[0].target not in seen
                more = _bound_names(star[0].target, seen | {name}) if inner else None
                if more is None:
                    return None
                out |= more
        for field in ("body", "orelse", "finalbody", "handlers"):
            if not isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
                todo.extend(getattr(node, field, []))
    return None if "__getattr__" in out else out


def test_every_module_is_in_a_layer():
    unplaced = [f"{modules()[m].relative_to(PROJECT_DIR)}: {m}" for m in modules() if layer(m) is None]
    assert not unplaced, "modules in no layer (add them to LAYERS):\n" + "\n".join(unplaced)


def test_every_anchorlib_import_names_what_exists():
    """Imports inside functions run only when called: a module or name that moved would fail then."""
    bad = []
    for i in internal_edges():
        if i.target not in modules():
            bad.append(f"{i.where()}: {i.source} imports {i.target}, which is not a module")
            continue
        bound = _bound_names(i.target)
        missing = [n for n in i.names if n != "*" and bound is not None and n not in bound]
        if missing:
            bad.append(
                f"{i.where()}: {i.source} imports {', '.join(missing)} from {i.target}, which has none"
            )
    assert not bad, "\n".join(bad)


def _cycles(edges: list[Import]) -> list[tuple[set[str], list[Import]]]:
    """Each strongly connected component of more than one module (Tarjan), with one shortest cycle in it."""
    graph: dict[str, dict[str, Import]] = {}
    for e in edges:
        graph.setdefault(e.target, {})
        graph.setdefault(e.source, {}).setdefault(e.target, e)
    index, low, on_stack, stack, components = {}, {}, set(), [], []

    def strongconnect(v: str) -> None:  # iterative: no recursion limit on a deep chain
        work = [(v, iter(graph[v]))]
        index[v] = low[v] = len(index)
        stack.append(v)
        on_stack.add(v)
        while work:
            node, children = work[-1]
            child = next(children, None)
            if child is None:
                work.pop()
                if work:
                    low[work[-1][0]] = min(low[work[-1][0]], low[node])
                if low[node] == index[node]:
                    comp = set()
                    while True:
                        w = stack.pop()
                        on_stack.discard(w)
                        comp.add(w)
                        if w == node:
                            break
                    if len(comp) > 1:
                        components.append(comp)
            elif child not in index:
                index[child] = low[child] = len(index)
                stack.append(child)
                on_stack.add(child)
                work.append((child, iter(graph[child])))
            elif child in on_stack:
                low[node] = min(low[node], index[child])

    for v in graph:
        if v not in index:
            strongconnect(v)
    cycles = []
    for comp in components:
        best = None
        for start in sorted(comp):  # breadth first from each member: the shortest way back to it
            prev, queue, back = {start: None}, deque([start]), None
            while queue and back is None:
                node = queue.popleft()
                for child, edge in graph[node].items():
                    if child == start:
                        back = edge
                        break
                    if child in comp and child not in prev:
                        prev[child] = edge
                        queue.append(child)
            path = [back]
            while prev[path[0].source] is not None:
                path.insert(0, prev[path[0].source])
            if best is None or len(path) < len(best):
                best = path
        cycles.append((comp, best))
    return cycles


def test_no_import_cycles():
    """Counting imports inside functions and under TYPE_CHECKING: a cycle is a design one, even when
    deferring one of its imports keeps Python from tripping over it."""
    found = []
    for comp, cycle in _cycles(internal_edges()):
        lines = [f"  {e.source} -> {e.target}  ({e.where()})" for e in cycle]
        found.append(
            f"{len(comp)} modules import each other ({', '.join(sorted(comp))}); a shortest cycle:\n"
            + "\n".join(lines)
        )
    assert not found, "import cycles:\n" + "\n".join(found)


def test_the_reader_sees_every_kind_of_import():
    """The collector itself, on a module written here: relative, absolute, submodule and name imports,
    at module level, in a function and under TYPE_CHECKING."""
    source = """
from __future__ import annotations
from typing import TYPE_CHECKING
import anchorlib.data.tables
from . import places
from .. import metrics
from ..metrics import leakage, summary
if TYPE_CHECKING:
    import pandas as pd
else:
    from .storage import cache
class Frame:
    from anchorlib.errors import DatasetError
def later():
    from anchorlib import open_anchor
"""
    known = {"anchorlib", "anchorlib.data", "anchorlib.data.places", "anchorlib.data.tables"}
    known |= {"anchorlib.metrics", "anchorlib.metrics.leakage", "anchorlib.data.storage.cache"}
    c = _Collector("anchorlib.data.suppliers", PACKAGE_DIR / "data" / "suppliers.py", known)
    c.visit(ast.parse(source))
    got = [(i.target, i.names, i.runtime) for i in c.found]
    assert got == [
        ("__future__", ("annotations",), True),
        ("typing", ("TYPE_CHECKING",), True),
        ("anchorlib.data.tables", (), True),
        ("anchorlib.data.places", (), True),
        ("anchorlib.metrics", (), True),
        ("anchorlib.metrics.leakage", (), True),
        ("anchorlib.metrics", ("summary",), True),
        ("pandas", (), False),
        ("anchorlib.data.storage.cache", (), True),
        ("anchorlib.errors", ("DatasetError",), True),
        ("anchorlib", ("open_anchor",), False),
    ]
    package = _Collector("anchorlib.data", PACKAGE_DIR / "data" / "__init__.py", known)
    package.visit(ast.parse("from . import places\nfrom .tables import read_table"))
    assert [i.target for i in package.found] == ["anchorlib.data.places", "anchorlib.data.tables"]


def test_cycles_are_found_and_shortest():
    def edge(a, b):
        return Import(a, b, (), PACKAGE_DIR / "x.py", 1, True)

    edges = [edge("a", "b"), edge("b", "c"), edge("c", "a"), edge("c", "b"), edge("a", "d"), edge("e", "f")]
    edges += [edge("f", "e")]
    got = sorted((sorted(comp), [(e.source, e.target) for e in cycle]) for comp, cycle in _cycles(edges))
    assert got == [(["a", "b", "c"], [("b", "c"), ("c", "b")]), (["e", "f"], [("e", "f"), ("f", "e")])]
    assert _cycles([edge("a", "b"), edge("b", "c"), edge("a", "c")]) == []


def test_layers_import_only_downwards():
    """A module imports its own layer package or a lower rank; siblings (the same rank, another package)
    do not import each other, and nothing below the top imports the face ``anchorlib``."""
    bad = []
    for i in internal_edges():
        src, dst = layer(i.source), layer(i.target)
        if src is None or dst is None or LAYERS[src] == 0:  # unplaced: its own test; leaves: below
            continue
        if src != dst and LAYERS[dst] >= LAYERS[src]:
            what = "the face" if dst == FACE else dst
            bad.append(
                f"{i.where()}: {i.source} (rank {LAYERS[src]}) imports {i.target} "
                f"(rank {LAYERS[dst]}, {what})"
            )
    assert not bad, "imports that climb or cross a layer:\n" + "\n".join(bad)


def test_leaves_import_nothing_of_anchorlib_but_errors():
    bad = [
        f"{i.where()}: {i.source} imports {i.target}"
        for m in modules()
        if layer(m) in LEAVES
        for i in imports(m)
        if i.internal and i.target not in ("anchorlib.errors", i.source)
    ]
    assert not bad, "a rank-0 leaf may import only anchorlib.errors:\n" + "\n".join(bad)


def _loaded_on_import(name: str) -> dict[str, list[Import]]:
    """The anchorlib modules that ``import name`` runs (each with the chain of module-level imports that
    reaches it; importing a.b.c runs a and a.b first)."""
    chains: dict[str, list[Import]] = {}
    queue = deque([(name, [])])
    while queue:
        m, chain = queue.popleft()
        parts = m.split(".")
        for k in range(1, len(parts) + 1):
            pkg = ".".join(parts[:k])
            if pkg in modules() and pkg not in chains:
                chains[pkg] = chain
                queue.extend((i.target, [*chain, i]) for i in imports(pkg) if i.runtime and i.internal)
    return chains


def test_the_cached_path_imports_no_pandas_on_import():
    """anchorlib.formatting and anchorlib.data.storage.cache, and every module their import runs, import
    pandas only inside functions (or under TYPE_CHECKING), checked in the source and in a new process."""
    bad = []
    for name in NO_PANDAS:
        for m, chain in _loaded_on_import(name).items():
            for i in imports(m):
                if i.runtime and i.target.split(".")[0] == "pandas":
                    via = "".join(f" -> {e.target} ({e.where()})" for e in chain)
                    bad.append(f"{i.where()}: {m} imports {i.target} at module level; {name}{via}")
    assert not bad, "\n".join(bad)
    code = f"import sys, {', '.join(NO_PANDAS)}; print('pandas' in sys.modules)"
    out = subprocess.run(
        [sys.executable, "-c", code], cwd=PROJECT_DIR, capture_output=True, text=True, check=True
    )
    assert out.stdout.strip() == "False", f"importing {', '.join(NO_PANDAS)} imports pandas"
