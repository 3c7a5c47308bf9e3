"""The layers stay layers: read from the source with `ast`, every import counted, at any depth.

domain/ is pure; adapters implement ports and never call a use case; services reach the
outside world only through the ports in Deps; no two modules need each other; ports stay
narrow and rooms small (STYLE.md, "Growing without sprawl").
"""
from __future__ import annotations

import ast
from dataclasses import dataclass
from functools import cache
from pathlib import Path

import mccabe
import pytest

FUNCTIONS = Path(__file__).resolve().parents[2] / "functions"
PACKAGE = "kameng"

MAX_PORT_METHODS = 12
MAX_MODULE_LINES = 600
MAX_FUNCTION_LINES = 60
MAX_COMPLEXITY = 15



@dataclass(frozen=True)
class Module:
    name: str
    path: Path
    is_package: bool

    @property
    def layer(self) -> str:
        """The first folder under kameng/ ('domain', 'services', ...), or '' for a top-level module."""
        parts = self.name.split(".")
        return parts[1] if len(parts) > 2 or (len(parts) == 2 and self.is_package) else ""

    def tree(self) -> ast.Module:
        return _parsed(self.path)


@cache
def _parsed(path: Path) -> ast.Module:
    return ast.parse(path.read_text(encoding="utf-8"), filename=str(path))


@cache
def modules() -> dict[str, Module]:
    found = {}
    for path in sorted((FUNCTIONS / PACKAGE).rglob("*.py")):
        parts = list(path.relative_to(FUNCTIONS).with_suffix("").parts)
        is_package = parts[-1] == "__init__"
        if is_package:
            parts.pop()
        found[".".join(parts)] = Module(".".join(parts), path, is_package)
    return found


def imported(module: Module) -> set[str]:
    """The kameng modules `module` imports anywhere in its body: top level, in functions, under TYPE_CHECKING."""
    known = modules()
    targets = set()
    for node in ast.walk(module.tree()):
        if isinstance(node, ast.Import):
            targets |= {alias.name for alias in node.names if alias.name.split(".")[0] == PACKAGE}
        elif isinstance(node, ast.ImportFrom):
            source = _absolute(module, node)
            if source.split(".")[0] != PACKAGE:
                continue
            for alias in node.names:
                # `from kameng.services import notify` depends on the module notify, not on the package.
                submodule = f"{source}.{alias.name}"
                targets.add(submodule if submodule in known else source)
    return targets


def _absolute(module: Module, node: ast.ImportFrom) -> str:
    if not node.level:
        return node.module or ""
    base = module.name.split(".") if module.is_package else module.name.split(".")[:-1]
    base = base[: len(base) - (node.level - 1)]
    return ".".join(base + ([node.module] if node.module else []))


@cache
def graph() -> dict[str, frozenset[str]]:
    return {name: frozenset(imported(module)) for name, module in modules().items()}


def layer_of(name: str) -> str:
    module = modules().get(name)
    if module is not None:
        return module.layer
    parts = name.split(".")
    return parts[1] if len(parts) > 1 else ""


def leaks(from_layer: str, forbidden: set[str]) -> list[str]:
    return sorted(
        f"{name} imports {target}"
        for name, targets in graph().items() if layer_of(name) == from_layer
        for target in targets if layer_of(target) in forbidden
    )


def test_the_import_reader_sees_imports_at_every_depth():
    # Guards the checks below against passing because they read nothing.
    checkout = graph()["kameng.handlers.checkout"]
    assert {"kameng.http", "kameng.services.checkout", "kameng.wiring"} <= checkout
    assert "kameng.domain.shopper" in graph()["kameng.config"]  # imported inside a validator


def test_the_domain_imports_nothing_of_kameng_outside_the_domain():
    outside = sorted(
        f"{name} imports {target}"
        for name, targets in graph().items() if layer_of(name) == "domain"
        for target in targets if layer_of(target) != "domain"
    )
    assert outside == []


def test_adapters_import_no_service_or_handler():
    assert leaks("adapters", {"services", "handlers"}) == []


def test_services_import_no_adapter_or_handler():
    # A service reaches an adapter only through the ports in Deps.
    assert leaks("services", {"adapters", "handlers"}) == []


def test_no_modules_import_each_other_directly_or_through_a_chain():
    assert import_cycles() == []


def import_cycles() -> list[list[str]]:
    """Every strongly connected group of more than one module (or a module importing itself), as a cycle."""
    edges = {name: sorted(t for t in targets if t in modules()) for name, targets in graph().items()}
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    groups: list[list[str]] = []

    def visit(name: str) -> None:
        index[name] = low[name] = len(index)
        stack.append(name)
        on_stack.add(name)
        for target in edges[name]:
            if target not in index:
                visit(target)
                low[name] = min(low[name], low[target])
            elif target in on_stack:
                low[name] = min(low[name], index[target])
        if low[name] == index[name]:
            group = []
            while True:
                member = stack.pop()
                on_stack.discard(member)
                group.append(member)
                if member == name:
                    break
            if len(group) > 1 or name in edges[name]:
                groups.append(sorted(group))

    for name in sorted(edges):
        if name not in index:
            visit(name)
    return sorted(groups)


def test_each_port_has_at_most_twelve_public_methods():
    trees = [module.tree() for name, module in modules().items() if name.startswith("kameng.ports.")]
    protocols = [node for tree in trees for node in tree.body if isinstance(node, ast.ClassDef) and any(
        (isinstance(base, ast.Name) and base.id == "Protocol")
        or (isinstance(base, ast.Attribute) and base.attr == "Protocol") for base in node.bases)]
    assert len(protocols) > 15, "the ports package declares too few Protocols: is it read?"
    wide = {
        port.name: count for port in protocols
        if (count := sum(1 for item in port.body if isinstance(item, (ast.FunctionDef, ast.AsyncFunctionDef))
                         and not item.name.startswith("_"))) > MAX_PORT_METHODS
    }
    assert wide == {}


# ---------------------------------------------------------------- small rooms


def source_files() -> list[Path]:
    return sorted(FUNCTIONS.rglob("*.py"))


def shown(path: Path) -> str:
    return path.relative_to(FUNCTIONS).as_posix()


def functions_of(tree: ast.AST, prefix: str = ""):
    """(qualified name, node) of every function, methods and nested functions included."""
    for node in ast.iter_child_nodes(tree):
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
            yield prefix + node.name, node
            yield from functions_of(node, f"{prefix}{node.name}.")
        elif isinstance(node, ast.ClassDef):
            yield from functions_of(node, f"{prefix}{node.name}.")
        else:
            yield from functions_of(node, prefix)


def long_modules() -> dict[str, int]:
    counted = {shown(path): len(path.read_text(encoding="utf-8").splitlines()) for path in source_files()}
    return {name: lines for name, lines in counted.items() if lines > MAX_MODULE_LINES}


def long_functions() -> dict[str, int]:
    return {
        f"{shown(path)}::{name}": lines
        for path in source_files()
        for name, node in functions_of(_parsed(path))
        if (lines := node.end_lineno - node.lineno + 1) > MAX_FUNCTION_LINES
    }


def complex_functions() -> dict[str, int]:
    found = {}
    for path in source_files():
        visitor = mccabe.PathGraphingAstVisitor()
        visitor.preorder(_parsed(path), visitor)
        for function in visitor.graphs.values():
            if function.complexity() > MAX_COMPLEXITY:
                found[f"{shown(path)}::{function.entity}"] = function.complexity()
    return found


def test_the_size_checks_see_every_module_and_function():
    assert any(name.endswith("::handler") for name, _ in _all_functions())
    assert "kameng/http.py" in {shown(path) for path in source_files()}


def _all_functions():
    for path in source_files():
        for name, node in functions_of(_parsed(path)):
            yield f"{shown(path)}::{name}", node


@pytest.mark.parametrize("check, limit", [
    (long_modules, f"{MAX_MODULE_LINES} lines"),
    (long_functions, f"{MAX_FUNCTION_LINES} lines"),
    (complex_functions, f"cyclomatic complexity {MAX_COMPLEXITY}"),
], ids=["modules", "functions", "complexity"])
def test_no_module_or_function_outgrows_its_room(check, limit):
    assert check() == {}, f"past {limit}: split the job in two"
