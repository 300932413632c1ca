"""Where the risk engine keeps its state across restarts.

Redis holds the state the engine saves after every change (:class:`RedisStateStore`). The
backend's database holds what the stream recorder stored of the engine's risk updates;
:class:`FallbackStateStore` falls back to it when Redis lost the state (a restart without
persistence, a flush, a new server) or holds a corrupt value, so a tripped breaker does not
come back armed.
"""

from __future__ import annotations

import copy
import json
import logging
from collections.abc import Callable, Mapping
from datetime import datetime
from typing import Any, Protocol

from risk_models.breakers import (
    BREAKER_STATES,
    BreakerTrip,
    RearmRecord,
    breaker_latches,
)
from risk_models.decision import RiskDecision
from risk_models.monitor import RiskMonitor
from risk_models.parameters import StrategyParameters
from signal_bus.channels import ChannelNames

_log = logging.getLogger(__name__)


class StateStore(Protocol):
    """Saves and loads the engine's state (a JSON-ready dict)."""

    def load(self) -> dict[str, Any] | None:
        """Return the saved state, or None if there is none."""

    def save(self, state: dict[str, Any]) -> None:
        """Replace the saved state."""


class MemoryStateStore:
    """Keeps the state in this process (tests, embedded runs)."""

    def __init__(self) -> None:
        self.saved: dict[str, Any] | None = None

    def load(self) -> dict[str, Any] | None:
        """Return a copy of the saved state."""
        return None if self.saved is None else json.loads(json.dumps(self.saved))

    def save(self, state: dict[str, Any]) -> None:
        """Keep a copy of ``state``."""
        self.saved = json.loads(json.dumps(state))


class RedisStateStore:
    """Keeps the state as one JSON value under ``key`` in Redis.

    Parameters
    ----------
    client
        A ``redis.Redis`` client (e.g. ``RedisBus.client``).
    key
        The key, including any namespace.
    """

    def __init__(self, client: Any, key: str) -> None:
        self._client = client
        self.key = key

    def load(self) -> dict[str, Any] | None:
        """Return the saved state; a corrupt value raises ``ValueError``."""
        raw = self._client.get(self.key)
        if raw is None:
            return None
        state = json.loads(raw)
        if not isinstance(state, dict):
            raise ValueError(f"risk engine state at {self.key} is not an object")
        return state

    def save(self, state: dict[str, Any]) -> None:
        """Store ``state`` as JSON."""
        self._client.set(self.key, json.dumps(state, separators=(",", ":")))


StateLoader = Callable[[], dict[str, Any] | None]
"""Returns the engine state as a second source knows it, or None; raises when unreachable."""


class FallbackStateStore:
    """Load from ``primary`` (Redis), else from ``fallback`` (the database); save to ``primary``.

    Parameters
    ----------
    primary
        The store the engine writes on every change (a :class:`RedisStateStore`).
    fallback
        Returns the state as the database knows it, in the same format, or None when it
        holds nothing (``backend.embedded.risk_engine_state_load`` after ``django_setup``);
        any exception it raises means the database is unavailable.
    base_parameters
        The engine's starting strategy parameters; parameters from ``fallback`` (only the
        keys an operator set) are laid over them. When the combination is inconsistent,
        the starting parameters are kept.

    Notes
    -----
    ``load`` uses, and logs (``risk_state_loaded source=...``), one of:

    - ``redis``: the Redis state, which wins when both exist since it is written on every
      change; the database is still read to keep breakers it saw trip later (below);
    - ``database``: Redis holds nothing or a corrupt value (not JSON, not an object, or
      not a state the engine can restore);
    - none: neither holds anything, and the engine starts fresh. When Redis holds nothing
      and the database is unreachable, that is logged as an error: every breaker starts
      armed.

    Fail-safe merge: a breaker that is tripped in the database, latched by the current
    parameters, not latched in the Redis state, and tripped *after* everything the Redis
    state knows (the time of its last decision and of its last re-arm of that breaker) is
    kept tripped. Redis then holds an older state than the engine last had (restored from an
    old snapshot, or saves failed while the breaker tripped), and an operator has to
    re-arm it again. The converse is not merged: a breaker latched in Redis stays latched
    even if the database shows a later re-arm; the re-arm was either applied by the engine
    (and Redis would show it) or never reached it, and in both cases a second re-arm is
    the safe way out.

    ``save`` writes to ``primary`` only: the database is written by the stream recorder
    from the published risk updates.
    """

    def __init__(
        self,
        primary: StateStore,
        fallback: StateLoader,
        *,
        base_parameters: Mapping[str, Any] | None = None,
    ) -> None:
        self._primary = primary
        self._fallback = fallback
        self._base_parameters = dict(base_parameters or {})
        self.source: str | None = None
        """Where the last ``load`` came from: ``"redis"``, ``"database"`` or None."""
        self.kept_from_database: tuple[str, ...] = ()
        """Breakers the last ``load`` kept tripped because the database saw them trip later."""

    def load(self) -> dict[str, Any] | None:
        """Return the state to restore (see the class notes for which source wins)."""
        self.source, self.kept_from_database = None, ()
        redis_state = self._load_primary()
        try:
            database_state = self._load_fallback()
        except Exception as error:  # any failure of the database means "unavailable"
            if redis_state is None:
                _log.error(
                    "risk_state_unavailable redis=empty database_error=%s: starting fresh, "
                    "every breaker armed; check the breakers before trading",
                    error,
                )
                return None
            _log.warning("risk_state_database_unusable error=%s: using Redis alone", error)
            self.source = "redis"
            return redis_state
        if redis_state is None:
            if database_state is None:
                _log.info("risk_state_loaded source=none: neither Redis nor the database has one")
                return None
            self.source = "database"
            _log.warning(
                "risk_state_loaded source=database latched=%s: Redis held no usable state",
                _latched_names(database_state),
            )
            return database_state
        self.source = "redis"
        if database_state is not None:
            try:
                redis_state, kept = merge_later_trips(redis_state, database_state)
            except (ValueError, KeyError, TypeError, AttributeError) as error:
                _log.warning("risk_state_merge_failed error=%s: using Redis alone", error)
                kept = []
            self.kept_from_database = tuple(kept)
            for name in kept:
                _log.warning(
                    "risk_state_breaker_kept_tripped breaker=%s: the database saw it trip after "
                    "the Redis state was written",
                    name,
                )
        _log.info("risk_state_loaded source=redis latched=%s", _latched_names(redis_state))
        return redis_state

    def save(self, state: dict[str, Any]) -> None:
        """Save to ``primary`` only."""
        self._primary.save(state)

    def _load_primary(self) -> dict[str, Any] | None:
        try:
            state = self._primary.load()
            if state is not None:
                check_state(state)
            return state
        except ValueError as error:
            _log.warning("risk_state_redis_corrupt error=%s: trying the database", error)
            return None

    def _load_fallback(self) -> dict[str, Any] | None:
        state = self._fallback()
        if state is None:
            return None
        if not isinstance(state, dict):
            raise ValueError(f"the database state is a {type(state).__name__}, not an object")
        state = dict(state, parameters=self._parameters_over_base(state.get("parameters")))
        state = _without_unlatched(state)
        check_state(state)
        return state

    def _parameters_over_base(self, stored: object) -> dict[str, Any]:
        merged = {**self._base_parameters, **(stored if isinstance(stored, Mapping) else {})}
        try:
            StrategyParameters.from_mapping(merged, ignore_unknown=True)
        except ValueError as error:
            _log.warning(
                "risk_state_database_parameters_rejected error=%s: keeping the starting ones",
                error,
            )
            return dict(self._base_parameters)
        return merged


def check_state(state: Mapping[str, Any]) -> None:
    """Raise ``ValueError`` unless the engine can restore ``state``."""
    try:
        monitor = state.get("monitor", {})
        if not isinstance(monitor, Mapping):
            raise ValueError("monitor is not an object")
        RiskMonitor.from_dict(monitor)
        StrategyParameters.from_mapping(state.get("parameters", {}), ignore_unknown=True)
    except (KeyError, TypeError, AttributeError) as error:
        raise ValueError(f"not a risk engine state: {error!r}") from None


def latching_breakers(parameters: StrategyParameters) -> frozenset[str]:
    """The breakers that stay tripped until re-armed under ``parameters`` (as the controller)."""
    auto_clear_stale = parameters.auto_clear_stale
    return frozenset(
        name for name in BREAKER_STATES if breaker_latches(name, auto_clear_stale=auto_clear_stale)
    )


def merge_later_trips(
    redis_state: Mapping[str, Any], database_state: Mapping[str, Any]
) -> tuple[dict[str, Any], list[str]]:
    """Return ``redis_state`` plus the database's trips newer than it, and their names.

    A database trip is added when its breaker latches under the Redis state's parameters,
    is not latched in the Redis state, and tripped after both the Redis state's last
    decision and its last re-arm of that breaker.
    """
    merged = copy.deepcopy(dict(redis_state))
    monitor = merged.setdefault("monitor", {})
    controller = monitor.setdefault("controller", {})
    latched = list(controller.get("latched", []))
    redis_latched = {BreakerTrip.from_dict(item).breaker for item in latched}
    known_until: dict[str, datetime] = {}
    last = controller.get("last_decision")
    decided_at = None if last is None else RiskDecision.from_dict(last).ts
    for item in controller.get("rearms", []):
        record = RearmRecord.from_dict(item)
        if record.breaker not in known_until or record.at > known_until[record.breaker]:
            known_until[record.breaker] = record.at
    parameters = StrategyParameters.from_mapping(merged.get("parameters", {}), ignore_unknown=True)
    latching = latching_breakers(parameters)
    database_controller = database_state.get("monitor", {}).get("controller", {})
    kept: list[str] = []
    for item in database_controller.get("latched", []):
        trip = BreakerTrip.from_dict(item)
        if trip.breaker in redis_latched or trip.breaker not in latching:
            continue
        seen = [
            moment for moment in (decided_at, known_until.get(trip.breaker)) if moment is not None
        ]
        if seen and trip.tripped_at <= max(seen):
            continue
        latched.append(trip.to_dict())
        kept.append(trip.breaker)
    controller["latched"] = latched
    return merged, kept


def _without_unlatched(state: dict[str, Any]) -> dict[str, Any]:
    """Drop latches of breakers that clear by themselves under the state's parameters."""
    parameters = StrategyParameters.from_mapping(state.get("parameters", {}), ignore_unknown=True)
    latching = latching_breakers(parameters)
    monitor = dict(state.get("monitor", {}))
    controller = dict(monitor.get("controller", {}))
    controller["latched"] = [
        item for item in controller.get("latched", []) if item.get("breaker") in latching
    ]
    monitor["controller"] = controller
    return dict(state, monitor=monitor)


def _latched_names(state: Mapping[str, Any]) -> list[str]:
    controller = state.get("monitor", {}).get("controller", {})
    return sorted(str(item.get("breaker")) for item in controller.get("latched", []))


def state_key(namespace: str) -> str:
    """Return the Redis key of the engine state under ``namespace``."""
    return ChannelNames(namespace).risk_engine_state()
