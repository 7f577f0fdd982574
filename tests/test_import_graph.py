"""The import graph of ragtune's modules (parsed with ast, imports inside functions included) has no cycle,
and the plugin packages sit between core's data model and the study that drives them."""

from __future__ import annotations

import ast
from pathlib import Path

import ragtune

ROOT = Path(ragtune.__file__).parent

# core's study runner: the one part of core above the plugins (samplers, pruners, storage), which it
# creates by default (the study, its trials and the ways to make them). Every other core module is the
# data model the plugins read.
STUDY_RUNNER = {
    "ragtune.core",
    "ragtune.core.study",
    "ragtune.core.trial",
    "ragtune.core.fixed_trial",
    "ragtune.core.create_trial",
    "ragtune.core.optimize",
    "ragtune.core.callbacks",
    "ragtune.core.dataframe",
    "ragtune.core.study_admin",
}
PLUGINS = ("ragtune.samplers", "ragtune.pruners", "ragtune.storage")


def _modules(root: Path = ROOT) -> dict[str, Path]:
    out: dict[str, Path] = {}
    for path in root.rglob("*.py"):
        parts = ["ragtune", *path.relative_to(root).with_suffix("").parts]
        if parts[-1] == "__init__":
            parts.pop()
        out[".".join(parts)] = path
    return out


def _type_checking_nodes(tree: ast.AST) -> set[int]:
    """Nodes under ``if TYPE_CHECKING:`` (never run, so never an import at run time)."""
    skip: set[int] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test):
            for stmt in node.body:
                skip.update(id(n) for n in ast.walk(stmt))
    return skip


def import_graph(modules: dict[str, Path]) -> dict[str, set[str]]:
    """module -> ragtune modules it imports at run time: at the top, inside functions, anywhere."""
    graph: dict[str, set[str]] = {}
    for name, path in modules.items():
        tree = ast.parse(path.read_text(encoding="utf-8"))
        skip = _type_checking_nodes(tree)
        package = name if path.name == "__init__.py" else name.rpartition(".")[0]
        edges: set[str] = set()
        for node in ast.walk(tree):
            if id(node) in skip:
                continue
            if isinstance(node, ast.Import):
                edges.update(a.name for a in node.names if a.name in modules)
            elif isinstance(node, ast.ImportFrom):
                base = node.module or ""
                if node.level:
                    anchor = package.split(".")[: len(package.split(".")) - (node.level - 1)]
                    base = ".".join([*anchor, *([base] if base else [])])
                for alias in node.names:
                    target = f"{base}.{alias.name}"
                    if target in modules:
                        edges.add(target)
                    elif base in modules:
                        edges.add(base)
        edges.discard(name)
        graph[name] = edges
    return graph


def find_cycle(graph: dict[str, set[str]]) -> list[str] | None:
    """One cycle (as a path that returns to its start), or None."""
    state: dict[str, int] = {}  # 1: on the current path, 2: done
    path: list[str] = []

    def visit(node: str) -> list[str] | None:
        state[node] = 1
        path.append(node)
        for nxt in sorted(graph.get(node, ())):
            if state.get(nxt) == 1:
                return [*path[path.index(nxt) :], nxt]
            if nxt not in state and (found := visit(nxt)) is not None:
                return found
        path.pop()
        state[node] = 2
        return None

    for start in sorted(graph):
        if start not in state and (found := visit(start)) is not None:
            return found
    return None


def _layer(module: str) -> str:
    if module in STUDY_RUNNER:
        return "study"
    parts = module.split(".")
    return ".".join(parts[:2])


def test_the_graph_builder_sees_function_level_and_relative_imports(tmp_path):
    pkg = tmp_path / "ragtune"
    (pkg / "sub").mkdir(parents=True)
    (pkg / "__init__.py").write_text("")
    (pkg / "sub" / "__init__.py").write_text("from .a import f\n")
    (pkg / "sub" / "a.py").write_text("def f():\n    from ragtune.sub import b\n")
    (pkg / "sub" / "b.py").write_text(
        "from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n    from ragtune import c\nfrom . import a\n"
    )
    (pkg / "c.py").write_text("import ragtune.sub.b\n")
    graph = import_graph(_modules(pkg))
    assert graph["ragtune.sub.a"] == {"ragtune.sub.b"}  # inside a function
    assert graph["ragtune.sub.b"] == {"ragtune.sub.a"}  # relative; TYPE_CHECKING left out
    assert graph["ragtune.sub"] == {"ragtune.sub.a"}
    assert graph["ragtune.c"] == {"ragtune.sub.b"}
    cycle = find_cycle(graph)
    assert cycle is not None and cycle[0] == cycle[-1] and set(cycle) == {"ragtune.sub.a", "ragtune.sub.b"}
    del graph["ragtune.sub.b"]
    assert find_cycle(graph) is None


def test_no_import_cycle_among_ragtune_modules():
    graph = import_graph(_modules())
    assert len(graph) > 150 and "ragtune.pipelines.cache" in graph
    cycle = find_cycle(graph)
    assert cycle is None, "import cycle: " + " -> ".join(cycle or [])


def test_no_cycle_among_ragtune_packages_with_the_study_above_the_plugins():
    graph = import_graph(_modules())
    layers: dict[str, set[str]] = {}
    for module, targets in graph.items():
        here = _layer(module)
        layers.setdefault(here, set()).update(_layer(t) for t in targets if _layer(t) != here)
    cycle = find_cycle(layers)
    assert cycle is None, "package cycle: " + " -> ".join(cycle or [])
    for plugin in PLUGINS:  # plugins read core's data model, never the study that drives them
        assert "study" not in layers.get(plugin, set()), plugin
