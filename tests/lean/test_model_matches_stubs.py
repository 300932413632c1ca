"""The LEAN model may only use names and parameters that LEAN's published stubs have."""

from __future__ import annotations

import inspect
from enum import Enum
from typing import Any

import pytest

from tests.lean.lean_model import algorithm_imports
from tests.lean.stub_index import Parameter, StubClass, lineage, stub_classes

# LEAN builds these itself; algorithms never call their constructors, so the fake's
# constructors are free to differ (they only set up test state).
FRAMEWORK_CONSTRUCTED = {
    "Security",
    "SecurityHolding",
    "SecurityManager",
    "SecurityPortfolioManager",
    "SecurityTransactionManager",
    "InsightManager",
    "NotificationManager",
    "ObjectStore",
    "ScheduledEvent",
    "Order",
    "TradeBars",
    "IDateRule",
    "ITimeRule",
    "SecurityExchange",
    "SecurityExchangeHours",
    "DateRules",
    "TimeRules",
    "ScheduleManager",
}
CHECKED_DUNDERS = {"__init__", "__getitem__", "__contains__", "__iter__", "__len__"}


def _fake_classes() -> list[type]:
    return [
        value
        for name, value in vars(algorithm_imports).items()
        if isinstance(value, type)
        and value.__module__ == algorithm_imports.__name__
        and not name.startswith("_")
        and name == value.__name__
    ]


def _fake_parameters(function: Any, drop_first: bool) -> list[Parameter]:
    parameters = list(inspect.signature(function).parameters.values())
    if drop_first:
        parameters = parameters[1:]
    return [
        Parameter(parameter.name, parameter.default is inspect.Parameter.empty)
        for parameter in parameters
    ]


def _matches_overload(fake: list[Parameter], stub: list[Parameter]) -> bool:
    """The fake's parameters are a prefix of the overload's and cover its required ones."""
    if len(fake) > len(stub):
        return False
    if [p.name for p in fake] != [p.name for p in stub[: len(fake)]]:
        return False
    return all(not parameter.required for parameter in stub[len(fake) :])


def _member_problems(fake_class: type, stub: StubClass) -> list[str]:
    chain = lineage(stub)
    problems: list[str] = []

    def find_methods(name: str) -> list[list[Parameter]]:
        return [overload for cls in chain for overload in cls.methods.get(name, [])]

    def find_property(name: str) -> str | None:
        for cls in chain:
            if name in cls.properties:
                return cls.properties[name]
        return None

    def has_attribute(name: str) -> bool:
        return any(name in cls.attributes or name in cls.properties for cls in chain)

    if issubclass(fake_class, Enum):
        return [
            f"{fake_class.__name__}.{member} not in stubs"
            for member in fake_class.__members__
            if not has_attribute(member)
        ]

    for name, value in vars(fake_class).items():
        if name.startswith("_") and name not in CHECKED_DUNDERS:
            continue
        if name == "__init__" and fake_class.__name__ in FRAMEWORK_CONSTRUCTED:
            continue
        label = f"{fake_class.__name__}.{name}"
        if isinstance(value, property):
            if find_property(name) is None and not has_attribute(name):
                problems.append(f"{label}: no such property")
            continue
        if isinstance(value, staticmethod):
            static_overloads = [
                overload
                for cls in chain
                if name in cls.static_methods
                for overload in cls.methods[name]
            ]
            fake = _fake_parameters(value.__func__, drop_first=False)
            if not any(_matches_overload(fake, overload) for overload in static_overloads):
                problems.append(f"{label}{[p.name for p in fake]}: no matching static overload")
            continue
        if inspect.isfunction(value):
            fake = _fake_parameters(value, drop_first=True)
            overloads = find_methods(name)
            returned = find_property(name)
            if not overloads and returned:
                # LEAN exposes some methods as callable objects (e.g. ``history``).
                overloads = [
                    overload
                    for callable_class in stub_classes().get(returned, [])
                    for overload in callable_class.methods.get("__call__", [])
                ]
            if not any(_matches_overload(fake, overload) for overload in overloads):
                problems.append(f"{label}{[p.name for p in fake]}: no matching overload")
            continue
        if not has_attribute(name):
            problems.append(f"{label}: no such attribute")
    return problems


@pytest.mark.parametrize("fake_class", _fake_classes(), ids=lambda cls: cls.__name__)
def test_fake_class_exists_in_stubs_with_compatible_members(fake_class: type) -> None:
    candidates = stub_classes().get(fake_class.__name__, [])
    assert candidates, f"{fake_class.__name__} is not a LEAN class"
    reports = [_member_problems(fake_class, candidate) for candidate in candidates]
    best = min(reports, key=len)
    assert best == [], f"{fake_class.__name__} drifted from the stubs: {best}"


def test_checker_rejects_a_drifted_fake() -> None:
    class Insight:  # a wrong parameter name and an invented property
        @staticmethod
        def price(symbol: str, duration: int) -> None:
            return None

        @property
        def expected_return(self) -> float:
            return 0.0

    problems = _member_problems(Insight, stub_classes()["Insight"][0])
    assert any("price" in problem for problem in problems)
    assert any("expected_return" in problem for problem in problems)


def test_fake_covers_the_framework_names_the_adapters_use() -> None:
    needed = {
        "AlphaModel",
        "PortfolioConstructionModel",
        "RiskManagementModel",
        "Insight",
        "InsightDirection",
        "PortfolioTarget",
        "IPortfolioTarget",
        "Symbol",
        "Slice",
        "QCAlgorithm",
        "OrderEvent",
        "OrderStatus",
        "Resolution",
    }
    assert needed <= {cls.__name__ for cls in _fake_classes()}
