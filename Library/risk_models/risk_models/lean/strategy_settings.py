"""``StrategySettings``: the strategy parameters in force, changed live by ``strategy_config``.

A change goes through the shared schema (:func:`risk_models.parameters.validate`) and
the cross-field checks of :class:`StrategyParameters`; a refused change keeps the old
value. Pure: no LEAN, no I/O.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass

from risk_models.parameters import PARAMETER_SPECS, ParameterError, StrategyParameters, validate
from signal_bus.messages import StrategyConfigUpdate


@dataclass(frozen=True)
class ConfigOutcome:
    """What happened to one requested change."""

    key: str
    value: object
    accepted: bool
    detail: str

    def log_line(self) -> str:
        """One snake_case event with key=value context, for the algorithm log."""
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


class StrategySettings:
    """Holds the current :class:`StrategyParameters` and applies changes one at a time.

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
        """Apply ``strategy_config`` messages in order; stale versions are ignored."""
        outcomes: list[ConfigOutcome] = []
        for update in updates:
            if self.versions.get(update.key, 0) >= update.version:
                continue
            outcomes.append(self.apply(update.key, update.value, update.version))
        return outcomes
