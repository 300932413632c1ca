"""Read quantconnect-stubs with ``ast``: classes, their members and call signatures."""

from __future__ import annotations

import ast
import importlib.util
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path


@dataclass(frozen=True)
class Parameter:
    """One parameter of a stub function."""

    name: str
    required: bool


@dataclass
class StubClass:
    """A class found in the stubs with the members it declares itself."""

    module: str
    name: str
    bases: list[str]
    methods: dict[str, list[list[Parameter]]] = field(default_factory=dict)
    static_methods: set[str] = field(default_factory=set)
    properties: dict[str, str] = field(default_factory=dict)
    attributes: set[str] = field(default_factory=set)


def stubs_root() -> Path:
    """Folder holding the installed ``QuantConnect`` stub package."""
    spec = importlib.util.find_spec("QuantConnect")
    if spec is None or not spec.submodule_search_locations:
        raise RuntimeError("quantconnect-stubs is not installed")
    return Path(next(iter(spec.submodule_search_locations)))


def _base_name(node: ast.expr) -> str:
    if isinstance(node, ast.Subscript):
        return _base_name(node.value)
    if isinstance(node, ast.Attribute):
        return node.attr
    if isinstance(node, ast.Name):
        return node.id
    return ""


def _annotation_name(node: ast.expr | None) -> str:
    if node is None:
        return ""
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return node.value.rsplit(".", 1)[-1]
    return _base_name(node)


def _parameters(function: ast.FunctionDef, drop_first: bool) -> list[Parameter]:
    arguments = function.args
    positional = [*arguments.posonlyargs, *arguments.args]
    defaults_start = len(positional) - len(arguments.defaults)
    result = [
        Parameter(argument.arg, index < defaults_start) for index, argument in enumerate(positional)
    ]
    result += [
        Parameter(argument.arg, default is None)
        for argument, default in zip(arguments.kwonlyargs, arguments.kw_defaults, strict=True)
    ]
    return result[1:] if drop_first else result


def _decorators(function: ast.FunctionDef) -> set[str]:
    return {_base_name(decorator) for decorator in function.decorator_list}


def _read_class(module: str, node: ast.ClassDef) -> StubClass:
    stub = StubClass(module, node.name, [_base_name(base) for base in node.bases])
    for item in node.body:
        if isinstance(item, ast.FunctionDef):
            decorators = _decorators(item)
            if "property" in decorators:
                stub.properties[item.name] = _annotation_name(item.returns)
            elif "setter" in decorators:
                continue
            else:
                is_static = "staticmethod" in decorators
                if is_static:
                    stub.static_methods.add(item.name)
                stub.methods.setdefault(item.name, []).append(_parameters(item, not is_static))
        elif isinstance(item, ast.AnnAssign) and isinstance(item.target, ast.Name):
            stub.attributes.add(item.target.id)
        elif isinstance(item, ast.Assign):
            stub.attributes.update(t.id for t in item.targets if isinstance(t, ast.Name))
    return stub


@cache
def stub_classes() -> dict[str, list[StubClass]]:
    """Every class in the QuantConnect stubs, by simple name (nested classes included)."""
    root = stubs_root()
    index: dict[str, list[StubClass]] = {}
    for path in sorted(root.rglob("*.pyi")):
        module = ".".join(path.relative_to(root.parent).with_suffix("").parts)
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.ClassDef):
                index.setdefault(node.name, []).append(_read_class(module, node))
    return index


def lineage(stub: StubClass) -> list[StubClass]:
    """The class followed by all classes its bases resolve to (by simple name)."""
    index = stub_classes()
    seen: set[int] = set()
    ordered: list[StubClass] = []
    pending = [stub]
    while pending:
        current = pending.pop(0)
        if id(current) in seen:
            continue
        seen.add(id(current))
        ordered.append(current)
        for base in current.bases:
            pending.extend(index.get(base, []))
    return ordered
