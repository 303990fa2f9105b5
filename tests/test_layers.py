"""One direction of flow (docs/design.md): nothing before rendering imports rendering or a
front door, rendering imports no front door, and the API does not import the command line,
even inside a function. Checked on the source (every import statement, wherever it is, and
every import_module or __import__ of a constant name), since a module imported in one run
may be missing in another (the package's names and the commands are loaded when used)."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parent.parent / "symgrad"

# The layers of docs/design.md, in the order of the flow, by module (a folder: every module
# in it). Every module of the package is in exactly one (test_every_module_has_a_layer).
LAYERS = {
    "reading": ["errors", "expressions", "numbers", "arguments", "files", "budget", "parallel", "digits"],
    "spec": ["networks", "layers", "activations", "custom", "costs", "notation", "formula", "proofs",
             "extrema", "through_output", "tidy"],
    "derivation": ["derive"],
    "evaluation": ["numeric"],
    "analysis": ["analysis", "verify", "notes"],
    "rendering": ["render"],
    "front doors": ["api", "cli", "commands", "__init__"],
}
# What each layer may not import (by module name prefix).
FORBIDDEN = {
    **{layer: ("symgrad.render", "symgrad.api", "symgrad.cli", "symgrad.commands")
       for layer in ("reading", "spec", "derivation", "evaluation", "analysis")},
    "rendering": ("symgrad.api", "symgrad.cli", "symgrad.commands"),
}


def module_name(path: Path) -> str:
    parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def layer_of(module: str) -> str | None:
    top = module.split(".")[1] if "." in module else "__init__"
    found = [layer for layer, names in LAYERS.items() if top in names]
    return found[0] if len(found) == 1 else None


def imported(source: str, module: str, is_package: bool = False) -> set[str]:
    """Every module ``source`` (the text of ``module``) imports, anywhere in it: relative
    imports resolved; ``from symgrad import x`` as symgrad.x when x is a module, else as
    symgrad itself (whose names lead to rendering); import_module("...") and
    __import__("...") of a constant name."""
    package = module if is_package else module.rpartition(".")[0]
    names = set()
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            names |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.split(".")[:len(package.split(".")) - node.level + 1]
                base = ".".join(anchor + ([base] if base else []))
            for alias in node.names:
                inner = PACKAGE.parent.joinpath(*f"{base}.{alias.name}".split("."))
                is_module = inner.with_suffix(".py").exists() or inner.is_dir()
                names.add(f"{base}.{alias.name}" if is_module else base)
        elif isinstance(node, ast.Call) and node.args and isinstance(node.args[0], ast.Constant) \
                and isinstance(node.args[0].value, str):
            function = node.func
            called = function.attr if isinstance(function, ast.Attribute) else \
                function.id if isinstance(function, ast.Name) else ""
            if called in ("import_module", "__import__"):
                names.add(node.args[0].value)
    return names


def against_the_flow(module: str, names: set[str]) -> list[str]:
    """The imports of ``module`` that go against the flow."""
    layer = layer_of(module)
    forbidden = ("symgrad.cli", "symgrad.commands") if module == "symgrad.api" else \
        FORBIDDEN.get(layer, ())
    if not forbidden:
        return []
    return sorted(name for name in names if name == "symgrad" or name.startswith(forbidden))


MODULES = {module_name(path): path for path in sorted(PACKAGE.rglob("*.py"))}


def test_every_module_has_a_layer():
    assert len(MODULES) > 50
    assert [module for module in MODULES if layer_of(module) is None] == []


@pytest.mark.parametrize("module", MODULES)
def test_no_import_against_the_flow(module):
    path = MODULES[module]
    names = imported(path.read_text(encoding="utf-8"), module, path.name == "__init__.py")
    assert against_the_flow(module, names) == [], f"{layer_of(module)} module {module}"


def test_the_check_sees_imports_inside_functions_and_relative_ones():
    """The walk finds what a module would hide: an import in a function, a relative one, a
    name from the package (its __init__ loads rendering), an import_module call."""
    source = ("def f():\n    from ..render import document\n    from symgrad import decimal\n"
              "    import importlib\n    importlib.import_module('symgrad.cli')\n")
    names = imported(source, "symgrad.derive.probe")
    assert against_the_flow("symgrad.derive.probe", names) == [
        "symgrad", "symgrad.cli", "symgrad.render.document"]
    assert against_the_flow("symgrad.render.probe", names) == ["symgrad", "symgrad.cli"]
    assert against_the_flow("symgrad.cli", names) == []
