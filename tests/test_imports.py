"""The package's import graph (every `import` / `from … import` of a lawglm module, at module level, inside
functions or under TYPE_CHECKING) has no cycles, and every module imports on its own."""

from __future__ import annotations

import ast
import importlib
from pathlib import Path

import pytest

import lawglm

PACKAGE = Path(lawglm.__file__).resolve().parent


def module_name(path: Path) -> str:
    parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


MODULES = {module_name(p): p for p in sorted(PACKAGE.rglob("*.py"))}


def imported(name: str, path: Path) -> set[str]:
    """The lawglm modules `name` imports anywhere in its source (a package's __init__ is not counted
    as a dependency of its own submodules)."""
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    out = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            targets = [a.name for a in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.rsplit(".", node.level - 1)[0] if node.level > 1 else package
                base = f"{anchor}.{base}" if base else anchor
            targets = [f"{base}.{a.name}" for a in node.names] + [base]
        else:
            continue
        out |= {t for t in targets if t in MODULES and t != name}
    return out - {n for n in out if name.startswith(n + ".")}


GRAPH = {name: imported(name, path) for name, path in MODULES.items()}


def find_cycle(graph: dict[str, set[str]]) -> list[str] | None:
    """One import cycle as [a, b, ..., a], or None (depth-first search, three colours)."""
    state: dict[str, int] = {}
    stack: list[str] = []

    def visit(node: str) -> list[str] | None:
        state[node] = 1
        stack.append(node)
        for nxt in sorted(graph[node]):
            if state.get(nxt) == 1:
                return stack[stack.index(nxt):] + [nxt]
            if nxt not in state and (found := visit(nxt)):
                return found
        stack.pop()
        state[node] = 2
        return None

    for node in sorted(graph):
        if node not in state and (found := visit(node)):
            return found
    return None


def test_the_cycle_finder_finds_a_cycle():
    assert find_cycle({"a": {"b"}, "b": {"c"}, "c": {"a"}}) == ["a", "b", "c", "a"]
    assert find_cycle({"a": {"b", "c"}, "b": {"c"}, "c": set()}) is None
    assert GRAPH["lawglm.answer.assistant"] >= {
        "lawglm.statutes.citations",
        "lawglm.records",
        "lawglm.settings",
    }


def test_lawglm_imports_have_no_cycles():
    assert find_cycle(GRAPH) is None, " -> ".join(find_cycle(GRAPH))


@pytest.mark.parametrize("name", sorted(MODULES))
def test_every_module_imports_on_its_own(name):
    importlib.import_module(name)


# The pipeline's layers, lowest first: a module may import its own layer and those below it, never above.
# search and models are side by side and independent of each other; train and eval (offline work) are above
# everything that serves, so serving code can never import them.
LAYERS = {
    "lawglm": 0, "lawglm.settings": 0, "lawglm.errors": 0, "lawglm.records": 0, "lawglm.numerals": 0,
    "lawglm.statutes": 1,
    "lawglm.search": 2, "lawglm.models": 2,
    "lawglm.answer": 3, "lawglm.contracts": 3,
    "lawglm.server": 4, "lawglm.tools": 4,
    "lawglm.train": 5, "lawglm.eval": 5,
    "lawglm.cli": 6,
}
SIDE_BY_SIDE = {
    frozenset({"lawglm.search", "lawglm.models"}),
    frozenset({"lawglm.answer", "lawglm.contracts"}),
}
SERVING = (
    "lawglm.statutes",
    "lawglm.search",
    "lawglm.models",
    "lawglm.answer",
    "lawglm.contracts",
    "lawglm.server",
)


def group(name: str) -> str:
    """The layer group of a module: its top-level folder, or the base module itself."""
    parts = name.split(".")
    return ".".join(parts[:2]) if len(parts) > 1 else name


def layer_violations(graph: dict[str, set[str]]) -> list[str]:
    out = []
    for name, deps in sorted(graph.items()):
        for dep in sorted(deps):
            a, b = group(name), group(dep)
            if a == b:
                continue
            if LAYERS[b] > LAYERS[a] or frozenset({a, b}) in SIDE_BY_SIDE:
                out.append(f"{name} -> {dep}")
    return out


def test_every_module_has_a_layer():
    assert not [n for n in MODULES if group(n) not in LAYERS]


def test_the_layer_check_finds_an_upward_import():
    assert layer_violations({"lawglm.search.index": {"lawglm.answer.prompts"}}) == [
        "lawglm.search.index -> lawglm.answer.prompts"]
    assert layer_violations({"lawglm.models.generation": {"lawglm.search.retrieval"}})
    assert layer_violations({"lawglm.server.app": {"lawglm.train.sft"}})
    assert not layer_violations(
        {"lawglm.answer.assistant": {"lawglm.search.retrieval", "lawglm.models.decoding"}}
    )


def test_imports_follow_the_pipeline_layers():
    assert layer_violations(GRAPH) == []


def test_serving_code_never_imports_training_or_evaluation():
    offline = [f"{n} -> {d}" for n, deps in GRAPH.items() if n.startswith(SERVING)
               for d in deps if d.startswith(("lawglm.train", "lawglm.eval"))]
    assert offline == []
