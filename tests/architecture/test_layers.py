"""The package map's rules, read from the source (docs/architecture.md draws the map):

- ``pnav.sdk`` never imports ``pnav.server`` (integrators install the SDK's interfaces
  without the server's dependencies);
- the domain (chat, stores, brokers, routers, translators, casework, operators, stats,
  trace) never imports Flask, flask-sock or the web layer: it runs without a web
  framework, and the web layer is the only one that speaks HTTP;
- no import cycle between the modules of ``pnav``.

An AST walk of src/pnav, so the rules hold for imports inside functions and under
``TYPE_CHECKING`` too: a dependency is a dependency, whenever it runs.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

import pytest

SRC = Path(__file__).resolve().parents[2] / "src"
DOMAIN = [
    f"pnav.server.{name}"
    for name in (
        "chat",
        "stores",
        "brokers",
        "routers",
        "translators",
        "casework",
        "operators",
        "stats",
        "trace",
    )
]
WEB_ONLY = ["flask", "flask_sock", "simple_websocket", "werkzeug", "pnav.server.web"]


def _module_name(path: Path) -> str:
    parts = list(path.relative_to(SRC).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


MODULES = {_module_name(p): p for p in sorted(SRC.joinpath("pnav").rglob("*.py"))}


def _within(name: str, prefix: str) -> bool:
    return name == prefix or name.startswith(prefix + ".")


def _imports(module: str) -> Iterator[tuple[str, int]]:
    """(imported module, line) for every import statement of ``module``; ``from a import
    b`` counts as ``a.b`` when that is a module of pnav, else as ``a``."""
    path = MODULES[module]
    package = module if path.name == "__init__.py" else module.rpartition(".")[0]
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Import):
            for alias in node.names:
                yield alias.name, node.lineno
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.split(".")[: len(package.split(".")) - node.level + 1]
                base = ".".join([*anchor, *([base] if base else [])])
            for alias in node.names:
                sub = f"{base}.{alias.name}"
                yield (sub if sub in MODULES else base), node.lineno


def _violations(sources: list[str], forbidden: list[str]) -> list[str]:
    found = []
    for module in MODULES:
        if not any(_within(module, s) for s in sources):
            continue
        for target, line in _imports(module):
            if any(_within(target, f) for f in forbidden):
                found.append(f"{MODULES[module].relative_to(SRC)}:{line} imports {target}")
    return found


def test_the_walk_sees_the_package() -> None:
    # The rules below mean something only if the walk finds the modules and their imports.
    assert {"pnav.sdk.store", "pnav.server.chat.service", "pnav.server.web.app"} <= set(MODULES)
    assert ("flask", 1) in [(t, 1) for t, _ in _imports("pnav.server.web.app")]
    assert "pnav.sdk.store" in {t for t, _ in _imports("pnav.server.stores.sqlite.store")}


def test_the_sdk_never_imports_the_server() -> None:
    assert _violations(["pnav.sdk"], ["pnav.server"]) == []


@pytest.mark.parametrize("package", DOMAIN)
def test_the_domain_never_imports_the_web_layer(package: str) -> None:
    assert any(_within(m, package) for m in MODULES), f"{package} is not in src/pnav"
    assert _violations([package], WEB_ONLY) == []


def _cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected components of more than one module (Tarjan), or of one module
    that imports itself."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for nxt in sorted(graph[node]):
            if nxt not in index:
                visit(nxt)
                low[node] = min(low[node], low[nxt])
            elif nxt in on_stack:
                low[node] = min(low[node], index[nxt])
        if low[node] == index[node]:
            component = []
            while True:
                member = stack.pop()
                on_stack.discard(member)
                component.append(member)
                if member == node:
                    break
            if len(component) > 1 or node in graph[node]:
                found.append(sorted(component))

    for node in sorted(graph):
        if node not in index:
            visit(node)
    return found


def _graph() -> dict[str, set[str]]:
    return {m: {t for t, _ in _imports(m) if t in MODULES and t != m} for m in MODULES}


def test_the_cycle_finder_finds_a_cycle() -> None:
    assert _cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [["a", "b", "c"]]
    assert _cycles({"a": {"b"}, "b": set()}) == []


def test_no_import_cycle_inside_pnav() -> None:
    assert _cycles(_graph()) == []
