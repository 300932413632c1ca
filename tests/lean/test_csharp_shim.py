"""The C# shim parses cleanly, is the project lean-cli writes, starts Python before importing
the models, and names only real Python code and real LEAN members."""

from __future__ import annotations

import ast
import json
import re
from dataclasses import dataclass
from functools import cache
from pathlib import Path

import tree_sitter
import tree_sitter_c_sharp

from tests.lean.stub_index import StubClass, lineage, stub_classes, stubs_root

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
    # Each library folder holds the package of its own name (Library/<name>/<name>/...).
    library = module.split(".")[0]
    path = LIBRARY.joinpath(library, *module.split(".")).with_suffix(".py")
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


# lean-cli lean/components/util/project_manager.py, ProjectManager.get_csproj_file_default_content
# (written by _generate_csproj through _generate_file, which stores content.strip() + "\n") with
# the engine image's label target_framework (create_new_project); Lean's DockerfileLeanFoundation
# sets LABEL target_framework=net10.0, and lean/components/docker/lean_runner.py,
# LeanRunner._ensure_csproj_is_valid refuses to build a project whose TargetFramework differs.
LEAN_TARGET_FRAMEWORK = "net10.0"
LEAN_CLI_CSPROJ = """<Project Sdk="Microsoft.NET.Sdk">
    <PropertyGroup>
        <Configuration Condition=" '$(Configuration)' == '' ">Debug</Configuration>
        <Platform Condition=" '$(Platform)' == '' ">AnyCPU</Platform>
        <TargetFramework>{framework}</TargetFramework>
        <OutputPath>bin/$(Configuration)</OutputPath>
        <AppendTargetFrameworkToOutputPath>false</AppendTargetFrameworkToOutputPath>
        <DefaultItemExcludes>$(DefaultItemExcludes);backtests/*/code/**;live/*/code/**;optimizations/*/code/**</DefaultItemExcludes>
        <NoWarn>CS0618</NoWarn>
    </PropertyGroup>
    <ItemGroup>
        <PackageReference Include="QuantConnect.Lean" Version="2.5.*"/>
        <PackageReference Include="QuantConnect.DataSource.Libraries" Version="2.5.*"/>
    </ItemGroup>
</Project>
"""
# lean-cli lean/components/config/lean_config_manager.py, get_complete_lean_config: the algorithm
# type is the first match of this pattern in Main.cs, loaded from "<project folder>.dll".
LEAN_CLI_ALGORITHM_TYPE = re.compile(r"class\s*([^\s:]+)\s*:\s*QCAlgorithm")


def test_project_is_the_csharp_project_lean_cli_writes() -> None:
    config = json.loads((SHIM / "config.json").read_text(encoding="utf-8"))
    assert config["algorithm-language"] == "CSharp"
    # lean-cli names the file after the project folder (ProjectManager._generate_csproj).
    assert sorted(path.name for path in SHIM.glob("*.csproj")) == [f"{SHIM.name}.csproj"]
    csproj = (SHIM / f"{SHIM.name}.csproj").read_text(encoding="utf-8")
    assert csproj == LEAN_CLI_CSPROJ.format(framework=LEAN_TARGET_FRAMEWORK)
    main = (SHIM / "Main.cs").read_text(encoding="utf-8")
    assert LEAN_CLI_ALGORITHM_TYPE.findall(main)[:1] == ["AdaptiveForecastShim"]
    lean_json = json.loads((ROOT / "lean.json").read_text(encoding="utf-8"))
    assert "/Library" in lean_json["python-additional-paths"]


# --------------------------------------------------------------- Python starts before the imports


def _invocations(node: tree_sitter.Node, function: str) -> list[tree_sitter.Node]:
    return [
        found
        for found in _nodes(node)
        if found.type == "invocation_expression"
        and _text(found.child_by_field_name("function")) == function
    ]


def _method(tree: tree_sitter.Tree, name: str) -> tree_sitter.Node:
    methods = [
        node
        for node in _nodes(tree.root_node)
        if node.type == "method_declaration" and _text(node.child_by_field_name("name")) == name
    ]
    assert len(methods) == 1, f"one method {name} expected"
    return methods[0]


def _inside_gil(node: tree_sitter.Node) -> bool:
    """True when ``node`` sits in the body of a ``using (Py.GIL()) { ... }`` statement."""
    current = node.parent
    while current is not None:
        body = current.child_by_field_name("body") if current.type == "using_statement" else None
        resources = [c for c in current.children if c.type == "invocation_expression"]
        if (
            body is not None
            and body.start_byte <= node.start_byte < body.end_byte
            and any(_text(c.child_by_field_name("function")) == "Py.GIL" for c in resources)
        ):
            return True
        current = current.parent
    return False


def _string_literals(node: tree_sitter.Node) -> list[str]:
    return [_text(found) for found in _nodes(node) if found.type == "string_literal_content"]


def initialization_problems(source: bytes) -> list[str]:
    """What is wrong with how ``Initialize`` starts Python before it imports the models."""
    tree = _parse(source)
    initialize = _method(tree, "Initialize")
    imports = _invocations(tree.root_node, "Py.Import")
    problems: list[str] = []
    if not imports:
        return ["no Py.Import"]
    if any(not initialize.start_byte <= call.start_byte < initialize.end_byte for call in imports):
        problems.append("Py.Import outside Initialize")
    problems += [
        f"Py.Import without the GIL on line {call.start_point[0] + 1}"
        for call in imports
        if not _inside_gil(call)
    ]
    locks = _invocations(initialize, "Py.GIL")
    if not locks:
        problems.append("no using (Py.GIL()) in Initialize")
    first_gil = min((call.start_byte for call in locks), default=initialize.end_byte)
    # AlgorithmFactory/Loader.cs, TryCreatePythonAlgorithm is the only caller of
    # PythonInitializer.Initialize for an algorithm, and only for Python ones.
    started = _invocations(initialize, "PythonInitializer.Initialize")
    if not started or started[0].start_byte > first_gil or _inside_gil(started[0]):
        # Common/Python/PythonInitializer.cs, Initialize starts the engine and releases the GIL;
        # Py.GIL() before it has no interpreter to lock.
        problems.append("PythonInitializer.Initialize() not called before the first Py.GIL()")
    added = _invocations(initialize, "PythonInitializer.AddPythonPaths")
    if not added or added[0].start_byte > first_gil:
        problems.append("PythonInitializer.AddPythonPaths not called before the first Py.GIL()")
    elif started and added[0].start_byte < started[0].start_byte:
        problems.append("PythonInitializer.AddPythonPaths called before Initialize()")
    return problems


def python_paths_added(source: bytes) -> list[str]:
    initialize = _method(_parse(source), "Initialize")
    calls = _invocations(initialize, "PythonInitializer.AddPythonPaths")
    return [path for call in calls for path in _string_literals(call)]


def test_python_is_started_and_library_on_the_path_before_the_first_import() -> None:
    source = (SHIM / "Main.cs").read_bytes()
    assert initialization_problems(source) == []
    config = json.loads((SHIM / "config.json").read_text(encoding="utf-8"))
    # lean-cli lean/components/config/lean_config_manager.py, get_complete_lean_config: a Python
    # project's python-additional-paths get "/" + each library path, then "/Library"; lean-cli
    # mounts the workspace's Library/ at /Library (LeanRunner.mount_project_and_library_directories).
    expected = [f"/{library['path']}" for library in config["libraries"]] + ["/Library"]
    assert python_paths_added(source) == expected
    broken = b"""
    class A : QCAlgorithm {
        public override void Initialize() {
            using (Py.GIL()) { PythonInitializer.Initialize(); }
            dynamic m = Py.Import("alpha_models.lean.forecast_alpha");
        }
    }
    """
    assert initialization_problems(broken) == [
        "Py.Import without the GIL on line 5",
        "PythonInitializer.Initialize() not called before the first Py.GIL()",
        "PythonInitializer.AddPythonPaths not called before the first Py.GIL()",
    ]


# ------------------------------------------------------------ LEAN members exist in the stubs

# Names Main.cs takes from .NET or Python.NET rather than LEAN: not in quantconnect-stubs.
NOT_LEAN = frozenset(
    {
        "ArgumentException",
        "CultureInfo",
        "DateTime",
        "StringSplitOptions",
        "Py",  # Python.NET: Py.GIL, Py.Import
        "PyObject",  # Python.NET: InvokeMethod, and ToPython() on any object
    }
)


def snake_case(name: str) -> str:
    """The Python name the stubs give a C# member (PascalCase to snake_case).

    Python.NET's src/runtime/Util/Util.cs, ToSnakeCase: a word starts at an upper-case letter
    after a lower-case letter or digit, at the last capital of an acronym followed by a
    lower-case letter, and at a digit run after a letter.
    """
    words = re.sub(r"(?<=[a-z0-9])(?=[A-Z])|(?<=[A-Z])(?=[A-Z][a-z])", "_", name)
    return re.sub(r"(?<=[A-Za-z])(?=[0-9])", "_", words).lower()


def _namespace(module: str) -> str:
    """``QuantConnect.Algorithm`` for the stub module ``QuantConnect.Algorithm.__init__``."""
    return module.removesuffix(".__init__")


@cache
def _top_level_classes(module: str) -> frozenset[str]:
    path = stubs_root().parent.joinpath(*module.split(".")).with_suffix(".pyi")
    tree = ast.parse(path.read_text(encoding="utf-8"))
    return frozenset(node.name for node in tree.body if isinstance(node, ast.ClassDef))


def _namespaces(tree: tree_sitter.Tree) -> list[str]:
    """Namespaces a simple type name resolves in: the using directives and the enclosing ones."""
    found: list[str] = []
    for node in _nodes(tree.root_node):
        if node.type == "using_directive":
            found += [_text(c) for c in node.children if c.type in ("qualified_name", "identifier")]
        elif node.type == "namespace_declaration":
            parts = _text(node.child_by_field_name("name")).split(".")
            found += [".".join(parts[:end]) for end in range(len(parts), 0, -1)]
    return found


def _stub_class(name: str, namespaces: list[str]) -> StubClass | None:
    """The top-level stub class ``name`` in one of ``namespaces`` (C#'s simple-name lookup)."""
    for namespace in namespaces:
        for stub in stub_classes().get(name, []):
            if _namespace(stub.module) == namespace and name in _top_level_classes(stub.module):
                return stub
    return None


def _member_problem(owner: StubClass, member: str, arguments: int | None) -> str | None:
    """None when ``owner`` (or a base) has the stubs' name for C# ``member``, taking ``arguments``."""
    python_name = snake_case(member)
    for stub in lineage(owner):
        if python_name.upper() in stub.attributes or python_name in stub.properties:
            return None  # enum members and constants are upper case (ToSnakeCase(constant: true))
        if python_name in stub.attributes and arguments is None:
            return None
        for parameters in stub.methods.get(python_name, []):
            required = sum(parameter.required for parameter in parameters)
            if arguments is None or required <= arguments <= len(parameters):
                return None
    return f"{owner.name}.{member}" + ("" if arguments is None else f"/{arguments}")


def _argument_count(invocation: tree_sitter.Node | None) -> int | None:
    if invocation is None or invocation.type != "invocation_expression":
        return None
    arguments = invocation.child_by_field_name("arguments")
    return 0 if arguments is None else sum(c.type == "argument" for c in arguments.children)


def lean_members(source: bytes) -> tuple[set[str], list[str]]:
    """Every LEAN member Main.cs uses, as ``Class.Member``, and those the stubs do not have."""
    tree = _parse(source)
    namespaces = _namespaces(tree)
    algorithm = _stub_class("QCAlgorithm", namespaces)
    assert algorithm is not None
    own_methods = {
        _text(node.child_by_field_name("name"))
        for node in _nodes(tree.root_node)
        if node.type == "method_declaration"
    }
    used: set[str] = set()
    problems: list[str] = []

    def check(owner: StubClass, member: str, arguments: int | None) -> None:
        used.add(f"{owner.name}.{member}")
        problem = _member_problem(owner, member, arguments)
        if problem is not None:
            problems.append(problem)

    for node in _nodes(tree.root_node):
        if node.type == "method_declaration" and any(
            _text(c) == "override" for c in node.children if c.type == "modifier"
        ):
            check(algorithm, _text(node.child_by_field_name("name")), None)
        elif node.type == "invocation_expression":
            function = node.child_by_field_name("function")
            name = _text(function)
            if function is not None and function.type == "identifier" and name not in own_methods:
                check(algorithm, name, _argument_count(node))  # inherited from QCAlgorithm
        elif node.type == "member_access_expression":
            root = node.child_by_field_name("expression")
            member = _text(node.child_by_field_name("name"))
            if root is None or root.type != "identifier":
                continue
            owner_name = _text(root)
            if not owner_name[:1].isupper() or owner_name in NOT_LEAN:
                continue  # a local, a field, or .NET / Python.NET
            arguments = _argument_count(node.parent)
            if snake_case(owner_name) in algorithm.properties:  # e.g. ObjectStore
                check(algorithm, owner_name, None)
                type_name = algorithm.properties[snake_case(owner_name)]
                modules = [_namespace(stub.module) for stub in stub_classes().get(type_name, [])]
                owner = _stub_class(type_name, modules)
            else:
                owner = _stub_class(owner_name, namespaces)
            if owner is None:
                problems.append(owner_name)
                continue
            check(owner, member, arguments)
        elif node.type in ("object_creation_expression", "parameter", "base_list"):
            names = (
                [node.child_by_field_name("type")] if node.type != "base_list" else node.children
            )
            for type_node in names:
                type_name = _text(type_node)
                if type_node is None or type_node.type != "identifier" or type_name in NOT_LEAN:
                    continue
                used.add(type_name)
                if _stub_class(type_name, namespaces) is None:
                    problems.append(type_name)
    return used, problems


def test_every_lean_member_the_shim_uses_is_in_the_stubs() -> None:
    # Cases from Python.NET's src/embed_tests/TestUtil.cs, ConvertsNameToSnakeCase.
    cases = {
        "TestCamelCaseString": "test_camel_case_string",
        "TestCCS": "test_ccs",
        "CCSTest": "ccs_test",
        "SP500EMini": "sp_500_e_mini",
        "Sentiment30Days": "sentiment_30_days",
        "PriceChange1m": "price_change_1m",
        "PERatio": "pe_ratio",
        "EVToEBITDA3YearGrowth": "ev_to_ebitda_3_year_growth",
    }
    assert {name: snake_case(name) for name in cases} == cases
    used, problems = lean_members((SHIM / "Main.cs").read_bytes())
    assert problems == []
    assert {
        "PythonInitializer.Initialize",
        "PythonInitializer.AddPythonPaths",
        "QCAlgorithm.SetAlpha",
        "QCAlgorithm.SetPortfolioConstruction",
        "QCAlgorithm.AddRiskManagement",
        "QCAlgorithm.SetExecution",
        "QCAlgorithm.Initialize",
        "QCAlgorithm.OnOrderEvent",
        "ObjectStore.Read",
        "Resolution.Daily",
        "ImmediateExecutionModel",
    } <= used
    misspelled = b"""
    using QuantConnect.Python;
    using QuantConnect.Algorithm.Framework.Execution;
    namespace QuantConnect.Algorithm.CSharp {
    class A : QCAlgorithm {
        public override void Initialise() {
            PythonInitializer.Initialise();
            PythonInitializer.AddPythonPaths();
            SetAlpah(x);
            AddEquity("SPY", Resolution.Dayly);
            ObjectStore.Contains("k");
            SetExecution(new ImmediateExecutionModle());
            NoSuchClass.Run();
        }
    } }
    """
    assert sorted(lean_members(misspelled)[1]) == sorted(
        [
            "QCAlgorithm.Initialise",
            "PythonInitializer.Initialise/0",
            "PythonInitializer.AddPythonPaths/0",
            "QCAlgorithm.SetAlpah/1",
            "Resolution.Dayly",
            "ObjectStore.Contains/1",
            "ImmediateExecutionModle",
            "NoSuchClass",
        ]
    )
