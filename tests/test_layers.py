"""Layers import one way: game → theory → envs → agents → training → evaluation → cli, and no package imports
itself in a circle.

Three checks: a static one over every import statement (function-level and ``TYPE_CHECKING`` imports
included, since those hide cycles), the same statements searched for cycles among the modules of each layer,
and a dynamic one that imports each layer in a fresh interpreter with every higher layer blocked.
"""

from __future__ import annotations

import ast
import itertools
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[1] / "infobargain"
LAYERS = ("game", "theory", "envs", "agents", "training", "evaluation", "cli")


def layer_of(module: str) -> int | None:
    """Index of ``module``'s layer; -1 for the package root (``infobargain``, ``infobargain.registration``),
    which must import no layer; None for modules outside the package."""
    parts = module.split(".")
    if parts[0] != "infobargain":
        return None
    if len(parts) == 1 or parts[1] not in LAYERS:
        return -1
    return LAYERS.index(parts[1])


def module_name(path: Path, root: Path = PACKAGE.parent) -> str:
    parts = path.relative_to(root).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def imported_modules(path: Path, root: Path = PACKAGE.parent) -> list[tuple[int, str]]:
    """Every (line, module) that ``path`` imports, relative imports resolved against its package."""
    own = module_name(path, root)
    package = own if path.name == "__init__.py" else own.rpartition(".")[0]
    found: list[tuple[int, str]] = []
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            found += [(node.lineno, alias.name) for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.split(".")[: len(package.split(".")) - node.level + 1]
                base = ".".join([*anchor, base] if base else anchor)
            found.append((node.lineno, base))
            found += [(node.lineno, f"{base}.{alias.name}") for alias in node.names]
    return found


def upward_imports() -> list[str]:
    problems = []
    for path in sorted(PACKAGE.rglob("*.py")):
        own = layer_of(module_name(path))
        for line, target in imported_modules(path):
            target_layer = layer_of(target)
            if own is not None and target_layer is not None and target_layer > own:
                problems.append(f"{path.relative_to(PACKAGE.parent)}:{line} imports {target}")
    return problems


def test_no_module_imports_a_higher_layer() -> None:
    assert upward_imports() == []


def test_the_static_check_sees_function_level_and_relative_imports(tmp_path: Path) -> None:
    probe = tmp_path / "infobargain" / "envs" / "probe.py"
    probe.parent.mkdir(parents=True)
    probe.write_text("def f():\n    from ..training import mappo\n    import infobargain.cli\n")
    found = imported_modules(probe, root=tmp_path)
    assert (2, "infobargain.training.mappo") in found
    assert (3, "infobargain.cli") in found
    assert [layer_of(name) for _, name in found if name.startswith("infobargain.")] == [4, 4, 6]


def module_graph(root: Path = PACKAGE) -> dict[str, set[str]]:
    """Which modules of the package each module imports, among modules of its own layer (a package's
    ``__init__`` counts as a module). ``from P import name`` points at the module ``P.name`` when there is one,
    at ``P`` otherwise."""
    paths = {module_name(path, root.parent): path for path in sorted(root.rglob("*.py"))}
    graph: dict[str, set[str]] = {}
    for own, path in paths.items():
        package = own if path.name == "__init__.py" else own.rpartition(".")[0]
        targets: set[str] = set()
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.Import):
                targets |= {alias.name for alias in node.names}
            elif isinstance(node, ast.ImportFrom):
                base = node.module or ""
                if node.level:
                    anchor = package.split(".")[: len(package.split(".")) - node.level + 1]
                    base = ".".join([*anchor, base] if base else anchor)
                targets |= {f"{base}.{a.name}" if f"{base}.{a.name}" in paths else base for a in node.names}
        graph[own] = {t for t in targets if t in paths and t != own and layer_of(t) == layer_of(own)}
    return graph


def import_cycles(graph: dict[str, set[str]]) -> list[frozenset[str]]:
    """The strongly connected components of more than one module (Tarjan's algorithm)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    cycles: list[frozenset[str]] = []
    counter = itertools.count()

    def visit(node: str) -> None:
        index[node] = low[node] = next(counter)
        stack.append(node)
        on_stack.add(node)
        for target in sorted(graph.get(node, ())):
            if target not in index:
                visit(target)
                low[node] = min(low[node], low[target])
            elif target in on_stack:
                low[node] = min(low[node], index[target])
        if low[node] == index[node]:
            component = set()
            while True:
                member = stack.pop()
                on_stack.discard(member)
                component.add(member)
                if member == node:
                    break
            if len(component) > 1:
                cycles.append(frozenset(component))

    for node in sorted(graph):
        if node not in index:
            visit(node)
    return cycles


def test_no_import_cycle_inside_a_layer() -> None:
    cycles = [sorted(cycle) for cycle in import_cycles(module_graph())]
    assert cycles == []


def test_the_cycle_check_sees_function_level_and_type_checking_imports(tmp_path: Path) -> None:
    envs = tmp_path / "infobargain" / "envs"
    envs.mkdir(parents=True)
    (tmp_path / "infobargain" / "__init__.py").write_text("")
    (envs / "__init__.py").write_text("from infobargain.envs import first\n")
    (envs / "first.py").write_text("def f():\n    from infobargain.envs.second import g\n")
    (envs / "second.py").write_text(
        "from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n    from infobargain.envs import first\n"
    )
    (envs / "third.py").write_text("from infobargain.envs.first import f\n")
    graph = module_graph(tmp_path / "infobargain")
    assert graph["infobargain.envs"] == {"infobargain.envs.first"}  # importing a submodule is not a cycle
    assert import_cycles(graph) == [frozenset({"infobargain.envs.first", "infobargain.envs.second"})]


@pytest.mark.parametrize("layer", LAYERS)
def test_each_layer_imports_with_higher_layers_blocked(layer: str) -> None:
    blocked = [f"infobargain.{name}" for name in LAYERS[LAYERS.index(layer) + 1 :]]
    program = textwrap.dedent(
        f"""
        import importlib, importlib.abc, pkgutil, sys

        BLOCKED = {blocked!r}

        class Block(importlib.abc.MetaPathFinder):
            def find_spec(self, name, path=None, target=None):
                if any(name == b or name.startswith(b + ".") for b in BLOCKED):
                    raise ImportError(f"{layer} imported the higher layer {{name}}")
                return None

        sys.meta_path.insert(0, Block())
        package = importlib.import_module("infobargain.{layer}")
        for info in pkgutil.walk_packages(package.__path__, package.__name__ + "."):
            if info.name.endswith("__main__"):  # running a module is not importing it
                continue
            try:
                importlib.import_module(info.name)
            except ModuleNotFoundError as error:  # an optional engine (Ray, ...) that is not installed
                if (error.name or "").startswith("infobargain"):
                    raise
        """
    )
    result = subprocess.run([sys.executable, "-c", program], capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr[-2000:]
