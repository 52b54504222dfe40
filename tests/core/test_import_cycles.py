"""No import cycle between the app's packages: import order never matters.

The graph's nodes are clinic_app's top-level packages (``visits``, ``reports``...) and the ground floor: ``core``
with ``extensions`` and ``config``, one node (extensions builds ``db`` on core's model base, and core may use
``db`` and the settings: tests/core/test_layers.py).
An edge ``a -> b`` is any import, in a module of ``a``, of a module of ``b``: at module level or inside a
function (a function-local import only postpones a cycle to the first call, it does not remove it), written
``import clinic_app.b.x``, ``from clinic_app.b.x import y``, ``from clinic_app import b`` or as a relative
import (resolved against the importing module's package). Imports within one package are no edges.

Treated apart, on purpose:
- the app factory, ``clinic_app/__init__.py``, is the composition root: it imports every feature to register
  its blueprint, hooks and commands, so it is no node; no package may import from it (``create_app`` and the
  ``register_*`` helpers), or it would close a cycle through every feature.
- ``clinic_app/demo`` seeds a demo network through every feature's services, so it sits above all of them: it
  is no node (its edges only go out), and no other package may import it, so it stays on top.
- a feature's command line (``cli.py``) is part of its feature: its imports count like any other module's.

``KNOWN_BACK_EDGES`` lists the edges that close today's cycles. The list may only shrink: an edge leaves it
when its imports are gone (the test then fails until it is removed from the list); no edge is added to it.
"""

import ast
from collections import defaultdict
from itertools import pairwise
from pathlib import Path

APP = Path(__file__).resolve().parents[2] / "clinic_app"
GROUND_FLOOR = {"core", "extensions", "config"}
APART = {"demo"}  # above every feature; the factory (clinic_app/__init__.py) is apart as well

# The edges that close today's cycles, each with where it comes from. This list may only shrink: it is empty
# now (a feature below learns from the features above through its contributions module, core/hooks.py).
KNOWN_BACK_EDGES: dict[tuple[str, str], str] = {}


def module_name(path: Path) -> str:
    parts = list(path.relative_to(APP.parent).with_suffix("").parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def imported_modules(path: Path) -> list[tuple[int, str]]:
    """Every absolute ``clinic_app...`` name a module imports, at any depth, relative imports resolved."""
    name = module_name(path)
    package = name.split(".") if path.name == "__init__.py" else name.split(".")[:-1]
    found = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found += [(node.lineno, alias.name) for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = package[: len(package) - node.level + 1] if node.level else []
            module = ".".join(base + ([node.module] if node.module else []))
            if module == "clinic_app":
                found += [(node.lineno, f"clinic_app.{alias.name}") for alias in node.names]
            else:
                found.append((node.lineno, module))
    return [(line, imported) for line, imported in found if imported.startswith("clinic_app.")]


def top_level(name: str) -> str:
    """``clinic_app.visits.models`` -> ``visits``; a name that is no package or module is the factory's."""
    first = name.split(".")[1]
    if first in GROUND_FLOOR:
        return "core"
    return first if (APP / first).is_dir() or (APP / f"{first}.py").exists() else "<factory>"


def import_graph() -> dict[tuple[str, str], list[str]]:
    """(package, package) -> the import sites (``path:line``) making that edge."""
    edges = defaultdict(list)
    for path in sorted(APP.rglob("*.py")):
        if path == APP / "__init__.py":
            continue
        source = top_level(module_name(path))
        for line, imported in imported_modules(path):
            target = top_level(imported)
            if target != source:
                edges[(source, target)].append(f"{path.relative_to(APP.parent)}:{line}")
    return edges


def simple_cycles(edges) -> list[list[str]]:
    """Every elementary cycle, each once, starting at its smallest node."""
    successors = defaultdict(set)
    for source, target in edges:
        successors[source].add(target)
    cycles = []

    def walk(start, node, path):
        for following in sorted(successors[node]):
            if following == start:
                cycles.append([*path, start])
            elif following > start and following not in path:
                walk(start, following, [*path, following])

    for start in sorted(successors):
        walk(start, start, [start])
    return cycles


def describe(cycle, edges) -> str:
    steps = [f"  {a} -> {b}: {', '.join(edges[(a, b)])}" for a, b in pairwise(cycle)]
    return " -> ".join(cycle) + "\n" + "\n".join(steps)


def test_no_import_cycle_between_packages():
    edges = {edge: sites for edge, sites in import_graph().items() if not set(edge) & APART}
    cycles = simple_cycles([edge for edge in edges if edge not in KNOWN_BACK_EDGES])
    assert not cycles, f"{len(cycles)} import cycle(s):\n" + "\n".join(describe(cycle, edges) for cycle in cycles)


def test_known_back_edges_still_exist():
    """A back edge whose imports are gone leaves the list, so the list only shrinks."""
    gone = sorted(set(KNOWN_BACK_EDGES) - set(import_graph()))
    assert not gone, f"no longer imported, remove from KNOWN_BACK_EDGES: {gone}"


def test_nothing_imports_the_factory_or_demo():
    edges = import_graph()
    offending = [
        f"{source} -> {target}: {', '.join(sites)}"
        for (source, target), sites in sorted(edges.items())
        if target == "<factory>" or (target in APART and source not in APART)
    ]
    assert not offending, "\n".join(offending)
