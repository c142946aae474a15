"""The emulator's modules import each other in one direction only (issue 10: no control <-> faults <-> signals
circle), counting imports inside functions too."""

from __future__ import annotations

import ast
from pathlib import Path

EMULATOR = Path(__file__).resolve().parents[2] / "emulator"


def _graph() -> dict[str, set[str]]:
    modules = {path.stem for path in EMULATOR.glob("*.py")}
    graph: dict[str, set[str]] = {}
    for path in EMULATOR.glob("*.py"):
        edges = set()
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.ImportFrom) and node.level == 1:
                if node.module:
                    edges.add(node.module.split(".")[0])
                else:
                    edges.update(alias.name for alias in node.names)
        graph[path.stem] = {edge for edge in edges if edge in modules and edge != path.stem}
    return graph


def _cycle(graph: dict[str, set[str]]) -> list[str] | None:
    state: dict[str, int] = {}
    stack: list[str] = []

    def visit(node: str) -> list[str] | None:
        state[node] = 1
        stack.append(node)
        for edge in sorted(graph[node]):
            if state.get(edge) == 1:
                return stack[stack.index(edge):] + [edge]
            if edge not in state and (found := visit(edge)):
                return found
        stack.pop()
        state[node] = 2
        return None

    for node in sorted(graph):
        if node not in state and (found := visit(node)):
            return found
    return None


def test_no_import_cycle_between_emulator_modules():
    graph = _graph()
    assert {"control", "faults", "signals", "middleware"} <= set(graph)
    assert _cycle(graph) is None, " -> ".join(_cycle(graph))
    assert graph["faults"] == set() and graph["config"] == set()  # the registry and the settings are leaves


def test_the_cycle_finder_finds_one():
    assert _cycle({"a": {"b"}, "b": {"c"}, "c": {"a"}}) == ["a", "b", "c", "a"]
