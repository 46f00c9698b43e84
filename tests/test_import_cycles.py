"""No import cycles among pyasynq's modules at module level, the supervisor imports no CLI, and
the core imports pyasynq's extras at module level only where it wires them in.

Read from the source with ``ast`` (nothing is imported). ``from pyasynq import x`` counts as an
import of the module ``pyasynq.x`` when there is one, else of the package itself.
"""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PACKAGES = (("engine", "pyasynq"), ("console", "pyasynq.console"))


def modules() -> dict[str, Path]:
    found = {}
    for folder, package in PACKAGES:
        for path in (ROOT / folder).rglob("*.py"):
            parts = [p for p in path.relative_to(ROOT / folder).with_suffix("").parts]
            parts = [p for p in parts if p != "__init__"]
            found[".".join([package, *parts])] = path
    return found


def imports(path: Path, known: dict[str, Path], *, module_level: bool) -> set[str]:
    tree = ast.parse(path.read_text("utf-8"))
    nodes = tree.body if module_level else list(ast.walk(tree))
    out: set[str] = set()
    for node in nodes:
        if isinstance(node, ast.Import):
            out.update(a.name for a in node.names if a.name in known)
        elif isinstance(node, ast.ImportFrom) and node.module:
            subs = [f"{node.module}.{a.name}" for a in node.names]
            out.update(s for s in subs if s in known)
            if any(s not in known for s in subs) and node.module in known:
                out.add(node.module)
    return out


def cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected components with more than one module (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []

    def visit(v: str) -> None:
        index[v] = low[v] = len(index)
        stack.append(v)
        on_stack.add(v)
        for w in graph[v]:
            if w not in index:
                visit(w)
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

    for v in graph:
        if v not in index:
            visit(v)
    return found


def test_no_module_level_import_cycles():
    known = modules()
    graph = {m: imports(p, known, module_level=True) - {m} for m, p in known.items()}
    assert cycles(graph) == []


def test_the_supervisor_does_not_import_the_cli():
    known = modules()
    used = imports(known["pyasynq.supervisor"], known, module_level=False)
    assert not any(m == "pyasynq.cli" or m.startswith("pyasynq.cli.") for m in used), used


EXTRAS = ("pyasynq.extras", "pyasynq.broker.extras")
FRONT_ENDS = ("pyasynq.console", "pyasynq.cli", "pyasynq.dash")
# Where the core wires an extra in (docs/architecture.md lists these places and why).
WIRING = {
    "pyasynq": {"pyasynq.extras.limits"},
    "pyasynq.broker.broker": {
        f"pyasynq.broker.extras.{name}"
        for name in (
            "alerts",
            "audit",
            "console_sessions",
            "limits",
            "previews",
            "search",
            "shared_secret",
            "workflows",
        )
    },
    "pyasynq.server": {"pyasynq.extras.limits"},
    "pyasynq.server_config": {"pyasynq.extras.limits"},
    "pyasynq.components.limits_sync": {"pyasynq.extras.limiter"},
    "pyasynq.components.janitor": {"pyasynq.extras.workflow_state"},
    "pyasynq.inspector": {
        "pyasynq.extras.inspector_workflows",
        "pyasynq.broker.extras.shared_secret",
    },
    "pyasynq.inspector_actions": {"pyasynq.extras.search"},
}


def _within(module: str, packages: tuple[str, ...]) -> bool:
    return any(module == p or module.startswith(p + ".") for p in packages)


def test_the_core_imports_extras_only_where_it_wires_them_in():
    known = modules()
    found = {}
    for module, path in known.items():
        if _within(module, EXTRAS + FRONT_ENDS):
            continue
        used = {m for m in imports(path, known, module_level=True) if _within(m, EXTRAS)}
        if used:
            found[module] = used
    assert found == WIRING


def test_the_cycle_finder_finds_a_cycle():
    assert cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [["a", "b", "c"]]
