"""Strategy parameter schema: conversion, ranges, cross-field rules."""

from __future__ import annotations

import dataclasses

import pytest
from hypothesis import given
from hypothesis import strategies as st

from risk_models.parameters import PARAMETER_SPECS, ParameterError, StrategyParameters, validate


def test_every_schema_key_is_a_field_and_defaults_agree() -> None:
    parameters = StrategyParameters()
    names = [field.name for field in dataclasses.fields(parameters)]
    assert names == list(PARAMETER_SPECS)
    for name, spec in PARAMETER_SPECS.items():
        assert getattr(parameters, name) == spec.default
        assert spec.description, name
        assert isinstance(getattr(parameters, name), spec.kind), name


def test_brief_defaults() -> None:
    parameters = StrategyParameters()
    # Calibrated confidences sit near 0.5, so the brief's 0.6 would always apply: the
    # evidence-based defaults are 0.5 for both thresholds (alpha_models README).
    assert parameters.low_confidence_threshold == 0.5
    assert parameters.entry_confidence == 0.5
    assert parameters.low_confidence_multiplier == 0.8
    assert parameters.drawdown_threshold == 0.05
    assert parameters.drawdown_multiplier == 0.5
    assert parameters.volatility_ratio_threshold == 2.0
    assert parameters.volatility_multiplier == 0.6


@pytest.mark.parametrize(
    ("key", "value", "expected"),
    [
        ("entry_confidence", "0.7", 0.7),
        ("entry_confidence", 1, 1.0),
        ("skill_window", "30", 30),
        ("skill_window", 30.0, 30),
        ("auto_clear_stale", "false", False),
        ("auto_clear_stale", True, True),
    ],
)
def test_validate_converts(key: str, value: object, expected: object) -> None:
    result = validate(key, value)
    assert result == expected
    assert type(result) is type(expected)


@pytest.mark.parametrize(
    ("key", "value", "fragment"),
    [
        ("entry_confidence", 1.2, "[0.5, 1]"),
        ("entry_confidence", 0.4, "[0.5, 1]"),
        ("max_allocation", float("nan"), "[0, 1]"),
        ("max_allocation", "lots", "[0, 1]"),
        ("max_allocation", True, "[0, 1]"),
        ("skill_window", 2.5, "integer"),
        ("auto_clear_stale", "maybe", "true or false"),
        ("volatility_ratio_threshold", None, "[1, 20]"),
    ],
)
def test_validate_rejects_with_allowed_range(key: str, value: object, fragment: str) -> None:
    with pytest.raises(ParameterError) as caught:
        validate(key, value)
    assert key in str(caught.value)
    assert fragment in str(caught.value)


def test_unknown_key_is_rejected() -> None:
    with pytest.raises(ParameterError, match="unknown strategy parameter"):
        validate("leverage", 3)
    with pytest.raises(ParameterError, match="leverage"):
        StrategyParameters().replace(leverage=3)
    with pytest.raises(ParameterError, match="leverage"):
        StrategyParameters.from_mapping({"leverage": 3})
    assert (
        StrategyParameters.from_mapping({"leverage": 3}, ignore_unknown=True)
        == StrategyParameters()
    )


def test_replace_validates_and_keeps_original() -> None:
    original = StrategyParameters()
    changed = original.replace(entry_confidence="0.7", max_allocation=0.5)
    assert changed.entry_confidence == 0.7
    assert changed.max_allocation == 0.5
    assert original.entry_confidence == StrategyParameters().entry_confidence
    with pytest.raises(ParameterError, match="max_allocation"):
        original.replace(max_allocation=2.0)


@pytest.mark.parametrize(
    ("changes", "fragment"),
    [
        ({"drawdown_threshold": 0.2, "drawdown_halt_limit": 0.1}, "drawdown_halt_limit"),
        (
            {"volatility_ratio_threshold": 4.0, "volatility_spike_ratio": 3.0},
            "volatility_spike_ratio",
        ),
        ({"volatility_clear_ratio": 3.5, "volatility_spike_ratio": 3.0}, "volatility_clear_ratio"),
        ({"skill_min_observations": 60, "skill_window": 50}, "skill_min_observations"),
        ({"volatility_window": 300, "volatility_long_run_window": 250}, "volatility_window"),
    ],
)
def test_cross_field_rules(changes: dict[str, object], fragment: str) -> None:
    with pytest.raises(ParameterError, match=fragment):
        StrategyParameters().replace(**changes)


def test_round_trip_through_dict() -> None:
    parameters = StrategyParameters().replace(entry_confidence=0.65, skill_window=40)
    assert StrategyParameters.from_mapping(parameters.as_dict()) == parameters
    assert (
        StrategyParameters.from_mapping({k: str(v) for k, v in parameters.as_dict().items()})
        == parameters
    )


def test_frozen() -> None:
    with pytest.raises(dataclasses.FrozenInstanceError):
        StrategyParameters().max_allocation = 0.9  # type: ignore[misc]


@given(
    st.sampled_from([s for s in PARAMETER_SPECS.values() if s.kind is float]),
    st.floats(allow_nan=True),
)
def test_float_validation_matches_range(spec: object, value: float) -> None:
    from risk_models.parameters import ParameterSpec

    assert isinstance(spec, ParameterSpec)
    inside = (
        value == value
        and abs(value) != float("inf")
        and (spec.minimum is None or value >= spec.minimum)
        and (spec.maximum is None or value <= spec.maximum)
    )
    if inside:
        assert spec.validate(value) == value
    else:
        with pytest.raises(ParameterError):
            spec.validate(value)


def test_readme_documents_every_parameter() -> None:
    from pathlib import Path

    import risk_models

    # The README sits in the library folder, above the package (Library/risk_models/).
    readme = (Path(risk_models.__file__).parent.parent / "README.md").read_text()
    for name in PARAMETER_SPECS:
        assert f"`{name}`" in readme, name
