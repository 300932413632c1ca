"""The C# shim parses cleanly, has lean-cli's project shape, and names only real Python code."""

from __future__ import annotations

import ast
import json
import xml.etree.ElementTree as ElementTree
from dataclasses import dataclass
from pathlib import Path

import tree_sitter
import tree_sitter_c_sharp

ROOT = Path(__file__).resolve().parents[2]
SHIM = ROOT / "algorithms" / "AdaptiveForecastShim"
LIBRARY = ROOT / "Library"


def _parse(source: bytes) -> tree_sitter.Tree:
    parser = tree_sitter.Parser(tree_sitter.Language(tree_sitter_c_sharp.language()))
    return parser.parse(source)


def _nodes(node: tree_sitter.Node) -> list[tree_sitter.Node]:
    found = [node]
    for child in node.children:
        found.extend(_nodes(child))
    return found


def _text(node: tree_sitter.Node | None) -> str:
    return "" if node is None or node.text is None else node.text.decode()


@dataclass(frozen=True)
class PythonReference:
    """``module`` and the attribute path used on it, e.g. ``("RecordedForecasts", "from_json_lines")``."""

    module: str
    attributes: tuple[str, ...]


def python_references(source: bytes) -> tuple[dict[str, str], list[PythonReference]]:
    """Return variable -> module for ``Py.Import`` declarations and every member chain on them."""
    tree = _parse(source)
    modules: dict[str, str] = {}
    for node in _nodes(tree.root_node):
        if node.type != "variable_declarator":
            continue
        value = next((c for c in node.children if c.type == "invocation_expression"), None)
        if value is None or _text(value.child_by_field_name("function")) != "Py.Import":
            continue
        literal = next(c for c in _nodes(value) if c.type == "string_literal_content")
        modules[_text(node.child_by_field_name("name"))] = _text(literal)
    references: list[PythonReference] = []
    for node in _nodes(tree.root_node):
        if node.type != "member_access_expression" or (
            node.parent is not None and node.parent.type == "member_access_expression"
        ):
            continue
        chain: list[str] = []
        current: tree_sitter.Node | None = node
        while current is not None and current.type == "member_access_expression":
            chain.insert(0, _text(current.child_by_field_name("name")))
            current = current.child_by_field_name("expression")
        root = _text(current)
        if root in modules:
            references.append(PythonReference(modules[root], tuple(chain)))
    return modules, references


def _module_tree(module: str) -> ast.Module | None:
    path = LIBRARY.joinpath(*module.split(".")).with_suffix(".py")
    if not path.is_file():
        return None
    return ast.parse(path.read_text(encoding="utf-8"))


def missing_names(references: list[PythonReference], modules: dict[str, str]) -> list[str]:
    """Modules that do not exist in Library/, and attributes they do not define."""
    problems = [f"module {module}" for module in modules.values() if _module_tree(module) is None]
    for reference in references:
        tree = _module_tree(reference.module)
        if tree is None:
            continue
        top = {
            node.name: node
            for node in tree.body
            if isinstance(node, ast.ClassDef | ast.FunctionDef)
        }
        first = reference.attributes[0]
        if first not in top:
            problems.append(f"{reference.module}.{first}")
            continue
        node = top[first]
        if len(reference.attributes) > 1 and isinstance(node, ast.ClassDef):
            members = {item.name for item in node.body if isinstance(item, ast.FunctionDef)}
            if reference.attributes[1] not in members:
                problems.append(f"{reference.module}.{first}.{reference.attributes[1]}")
    return problems


def test_main_cs_parses_without_errors() -> None:
    tree = _parse((SHIM / "Main.cs").read_bytes())
    bad = [
        (node.type, node.start_point)
        for node in _nodes(tree.root_node)
        if node.type == "ERROR" or node.is_missing
    ]
    assert bad == []
    classes = [node for node in _nodes(tree.root_node) if node.type == "class_declaration"]
    assert [_text(node.child_by_field_name("name")) for node in classes] == ["AdaptiveForecastShim"]
    bases = [_text(child) for child in classes[0].children if child.type == "base_list"]
    assert bases == [": QCAlgorithm"]


def test_main_cs_hosts_the_python_models() -> None:
    source = (SHIM / "Main.cs").read_text(encoding="utf-8")
    for call in (
        "SetAlpha(alpha)",
        "SetPortfolioConstruction(construction)",
        "AddRiskManagement(risk)",
    ):
        assert call in source
    modules, references = python_references(source.encode())
    assert "alpha_models.lean.forecast_alpha" in modules.values()
    assert (
        PythonReference("alpha_models.lean.forecast_alpha", ("ForecastAlphaModel",)) in references
    )
    assert (
        PythonReference(
            "risk_models.lean.adaptive_risk_management", ("AdaptiveRiskManagementModel",)
        )
        in references
    )


def test_every_python_module_and_class_named_by_the_shim_exists() -> None:
    modules, references = python_references((SHIM / "Main.cs").read_bytes())
    assert len(modules) >= 6
    assert missing_names(references, modules) == []


def test_checker_catches_a_misspelled_class_and_module() -> None:
    source = b"""
    class A : QCAlgorithm { void F() {
        dynamic m = Py.Import("alpha_models.lean.forecast_alpha");
        dynamic n = Py.Import("alpha_models.lean.no_such_module");
        var x = m.ForecastAlphaModl(1);
        var y = m.ForecastAlphaModel.no_such_method();
    } }
    """
    modules, references = python_references(source)
    assert missing_names(references, modules) == [
        "module alpha_models.lean.no_such_module",
        "alpha_models.lean.forecast_alpha.ForecastAlphaModl",
        "alpha_models.lean.forecast_alpha.ForecastAlphaModel.no_such_method",
    ]


def test_project_has_lean_cli_shape() -> None:
    config = json.loads((SHIM / "config.json").read_text(encoding="utf-8"))
    assert config["algorithm-language"] == "CSharp"
    project = ElementTree.parse(SHIM / "AdaptiveForecastShim.csproj").getroot()
    assert project.get("Sdk") == "Microsoft.NET.Sdk"
    assert project.findtext("./PropertyGroup/TargetFramework") == "net9.0"
    packages = {ref.get("Include") for ref in project.iter("PackageReference")}
    assert {"QuantConnect.Lean", "QuantConnect.DataSource.Libraries"} <= packages
    lean_json = json.loads((ROOT / "lean.json").read_text(encoding="utf-8"))
    assert "/Library" in lean_json["python-additional-paths"]
