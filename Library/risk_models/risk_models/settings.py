"""``StrategySettings``: the strategy parameters in force, changed live by ``strategy_config``.

The one way to change strategy parameters, used by LEAN's models, the risk engine and
(through :func:`plan_changes`) the backend's API: every value goes through the shared
schema (:func:`risk_models.parameters.validate`) and the cross-field checks of
:class:`StrategyParameters`; a refused change keeps the old value and says why, with the
allowed range. Pure: no LEAN, no I/O.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from risk_models.parameters import (
    PARAMETER_SPECS,
    CrossFieldError,
    ParameterError,
    StrategyParameters,
    validate,
)
from signal_bus.messages import StrategyConfigUpdate

# Up to this many keys in one change, every order is tried (7! = 5,040 orders).
EXHAUSTIVE_ORDER_LIMIT = 7


@dataclass(frozen=True)
class ConfigOutcome:
    """What happened to one requested change."""

    key: str
    value: object
    accepted: bool
    detail: str

    def log_line(self) -> str:
        """One snake_case event with key=value context, for logs."""
        event = "strategy_config_applied" if self.accepted else "strategy_config_refused"
        return f"{event} key={self.key} value={self.value!r} {self.detail}".rstrip()


def parameters_from_lookup(lookup: Callable[[str], str | None]) -> StrategyParameters:
    """Build parameters from a name -> text lookup (LEAN's ``get_parameter``); blanks use defaults.

    Raises
    ------
    ParameterError
        If a given value is out of range or two values contradict.
    """
    given: dict[str, object] = {}
    for name in PARAMETER_SPECS:
        text = lookup(name)
        if text is not None and str(text).strip():
            given[name] = str(text)
    return StrategyParameters.from_mapping(given)


def plan_changes(
    current: StrategyParameters, changes: Mapping[str, object]
) -> list[tuple[str, Any]]:
    """Return ``changes``, validated, in an order every consumer can apply one by one.

    ``strategy_config`` carries one key per message and consumers apply them in the order
    published, so a change is acceptable only if applying its keys one at a time from
    ``current`` passes every check at every step. The returned order does (up to
    :data:`EXHAUSTIVE_ORDER_LIMIT` keys every order is tried, beyond that a greedy one).

    Raises
    ------
    ParameterError
        Naming the key and its allowed range when a value is invalid on its own.
    CrossFieldError
        Naming every field involved when no order keeps the parameters consistent.
    """
    converted = {key: validate(key, value) for key, value in changes.items()}
    keys = sorted(converted)
    candidates: Iterable[tuple[str, ...]]
    if len(keys) <= EXHAUSTIVE_ORDER_LIMIT:
        candidates = itertools.permutations(keys)
    else:
        candidates = [_greedy_order(current, converted)]
    first_error: CrossFieldError | None = None
    for order in candidates:
        parameters = current
        try:
            for key in order:
                parameters = parameters.replace(**{key: converted[key]})
        except CrossFieldError as error:
            first_error = first_error or error
            continue
        return [(key, converted[key]) for key in order]
    final = _combined_error(current, converted) or first_error
    assert final is not None
    raise final


def _greedy_order(current: StrategyParameters, converted: Mapping[str, Any]) -> tuple[str, ...]:
    order: list[str] = []
    parameters = current
    remaining = sorted(converted)
    while remaining:
        for key in remaining:
            try:
                parameters = parameters.replace(**{key: converted[key]})
            except CrossFieldError:
                continue
            order.append(key)
            remaining.remove(key)
            break
        else:
            return (*order, *remaining)
    return tuple(order)


def _combined_error(
    current: StrategyParameters, converted: Mapping[str, Any]
) -> CrossFieldError | None:
    """The error of the whole change applied at once, naming every field it involves."""
    try:
        current.replace(**converted)
    except CrossFieldError as error:
        fields = tuple(dict.fromkeys([*sorted(converted), *error.fields]))
        return CrossFieldError(str(error), fields)
    return CrossFieldError(
        "these changes contradict each other at some step whatever their order; "
        "change them in separate steps",
        tuple(sorted(converted)),
    )


class StrategySettings:
    """Holds the current :class:`StrategyParameters` and applies changes.

    Parameters
    ----------
    initial
        The parameters at start.
    """

    def __init__(self, initial: StrategyParameters | None = None) -> None:
        self._current = initial or StrategyParameters()
        self.versions: dict[str, int] = {}

    @property
    def current(self) -> StrategyParameters:
        """The parameters in force now."""
        return self._current

    def replace_all(self, parameters: StrategyParameters) -> None:
        """Put ``parameters`` in force (a restored state)."""
        self._current = parameters

    def apply(self, key: str, value: object, version: int | None = None) -> ConfigOutcome:
        """Change one parameter; refuse (keeping the old value) if it is invalid."""
        try:
            converted = validate(key, value)
            changed = self._current.replace(**{key: converted})
        except ParameterError as error:
            old = getattr(self._current, key, None)
            return ConfigOutcome(key, value, False, f"kept={old!r} reason={error}")
        self._current = changed
        if version is not None:
            self.versions[key] = version
        detail = "" if version is None else f"version={version}"
        return ConfigOutcome(key, converted, True, detail)

    def apply_updates(self, updates: Iterable[StrategyConfigUpdate]) -> list[ConfigOutcome]:
        """Apply ``strategy_config`` messages; older versions than the one in force are ignored.

        Messages for keys that are not strategy parameters are left to their components.
        A batch whose values are consistent together is applied together, whatever the
        order of its messages (a restart reads the current values in no particular
        order); otherwise the messages are applied one by one in order.
        """
        fresh: dict[str, StrategyConfigUpdate] = {}
        for update in updates:
            if update.key not in PARAMETER_SPECS:
                continue
            if self.versions.get(update.key, 0) >= update.version:
                continue
            held = fresh.get(update.key)
            if held is None or update.version > held.version:
                fresh[update.key] = update
        if not fresh:
            return []
        together = self._apply_together(list(fresh.values()))
        if together is not None:
            return together
        return [self.apply(u.key, u.value, u.version) for u in fresh.values()]

    def _apply_together(self, updates: list[StrategyConfigUpdate]) -> list[ConfigOutcome] | None:
        try:
            converted = {u.key: validate(u.key, u.value) for u in updates}
            changed = self._current.replace(**converted)
        except ParameterError:
            return None
        self._current = changed
        outcomes: list[ConfigOutcome] = []
        for update in updates:
            self.versions[update.key] = update.version
            outcomes.append(
                ConfigOutcome(update.key, converted[update.key], True, f"version={update.version}")
            )
        return outcomes
