"""Model lifecycle: which model versions may trade.

Every model version has a status: ``candidate`` (trained, not yet proven) →
``shadow`` (passed the out-of-sample gates; its forecasts are published, stored and
scored as they resolve, never traded) → ``live`` (the champion of its asset group and
horizon: its forecasts trade) → ``retired``. Only ``live`` versions trade.

:func:`next_status` is the automatic rule, applied when a version's period starts
with what is known then (no look-ahead):

- the out-of-sample gates fail → ``candidate`` (a live or shadow model that stops
  passing stops trading);
- a candidate passes them → ``shadow`` from then on;
- a shadow version whose shadow record passes :func:`~risk_models.gates.shadow_gate`
  → ``live``;
- a live one that still passes stays ``live`` (its scheduled refit is the same
  recipe on more data, not a challenger).

:func:`gate_walk_forward` applies the rule period by period to a walk-forward's
forecasts (one recipe refitted each period), which is how a backtest, ``ats risk
evaluate`` and the main job trade only proven models. Replacing one champion by
another recipe (:func:`~risk_models.gates.challenger_gate`), operator decisions and
rollback are kept by the backend, which audits every transition.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from typing import Any

import numpy as np
import pandas as pd

from risk_models.gates import GateConfig, GateReport, GateResult, evaluate_gates, shadow_gate


class ModelStatus(StrEnum):
    """Where a model version is in its lifecycle."""

    CANDIDATE = "candidate"
    SHADOW = "shadow"
    LIVE = "live"
    RETIRED = "retired"


ALLOWED_TRANSITIONS: dict[ModelStatus, frozenset[ModelStatus]] = {
    ModelStatus.CANDIDATE: frozenset({ModelStatus.SHADOW, ModelStatus.RETIRED}),
    ModelStatus.SHADOW: frozenset({ModelStatus.LIVE, ModelStatus.CANDIDATE, ModelStatus.RETIRED}),
    ModelStatus.LIVE: frozenset({ModelStatus.RETIRED, ModelStatus.CANDIDATE}),
    ModelStatus.RETIRED: frozenset({ModelStatus.LIVE}),
}
"""From each status, the statuses a version may move to (``retired`` → ``live`` is rollback)."""


class TransitionError(ValueError):
    """A status change the lifecycle does not allow."""

    def __init__(self, current: ModelStatus | str, target: ModelStatus | str):
        allowed = ", ".join(sorted(ALLOWED_TRANSITIONS[ModelStatus(current)]))
        super().__init__(
            f"a {current} model version cannot become {target}; allowed: {allowed or 'none'}"
        )
        self.current = str(current)
        self.target = str(target)


def check_transition(current: ModelStatus | str, target: ModelStatus | str) -> None:
    """Raise :class:`TransitionError` unless ``current`` may become ``target``."""
    if ModelStatus(target) not in ALLOWED_TRANSITIONS[ModelStatus(current)]:
        raise TransitionError(current, target)


RULE_LIVE_REFIT = "refit of a live model; gates passed"


def is_tradable(status: ModelStatus | str) -> bool:
    """Only live versions trade."""
    return ModelStatus(status) is ModelStatus.LIVE


@dataclass(frozen=True)
class Decision:
    """The automatic rule's verdict for a version when its period starts."""

    status: ModelStatus
    rule: str
    gates: GateReport
    shadow: GateResult | None = None

    @property
    def shadow_served(self) -> bool:
        """Whether the recipe has served its shadow period: a live verdict whose shadow
        gate passed, or the refit of a recipe that was already live."""
        if self.status is not ModelStatus.LIVE:
            return False
        return self.rule == RULE_LIVE_REFIT or (self.shadow is not None and self.shadow.passed)

    @property
    def reasons(self) -> tuple[str, ...]:
        """Why the version is not live (empty when it is)."""
        if self.status is ModelStatus.LIVE:
            return ()
        failed = self.gates.reasons
        if self.shadow is not None and not self.shadow.passed:
            failed = (*failed, self.shadow.detail)
        return failed or (self.rule,)

    def to_dict(self) -> dict[str, Any]:
        """Return JSON-ready values."""
        return {
            "status": str(self.status),
            "rule": self.rule,
            "reasons": list(self.reasons),
            "gates": self.gates.to_dict(),
            "shadow": None if self.shadow is None else self.shadow.to_dict(),
        }


def next_status(
    current: ModelStatus,
    gates: GateReport,
    shadow_record: pd.DataFrame | None,
    config: GateConfig,
) -> Decision:
    """Apply the automatic rule (module docstring) to a recipe whose status is ``current``."""
    if not gates.passed:
        return Decision(ModelStatus.CANDIDATE, "out-of-sample gates failed", gates)
    if current is ModelStatus.LIVE:
        return Decision(ModelStatus.LIVE, RULE_LIVE_REFIT, gates)
    if current is not ModelStatus.SHADOW:
        return Decision(ModelStatus.SHADOW, "out-of-sample gates passed; shadow starts", gates)
    record = shadow_record if shadow_record is not None else pd.DataFrame()
    verdict = (
        shadow_gate(record, config)
        if not record.empty
        else GateResult("shadow", 0.0, float(config.min_shadow_dates), False, "no shadow forecasts")
    )
    if verdict.passed:
        return Decision(ModelStatus.LIVE, "shadow period passed", gates, verdict)
    return Decision(ModelStatus.SHADOW, "shadow period running", gates, verdict)


@dataclass(frozen=True)
class PeriodDecision:
    """The status a walk-forward version had over its period."""

    version: str
    valid_from: pd.Timestamp
    decision: Decision

    def to_dict(self) -> dict[str, Any]:
        """Return JSON-ready values."""
        return {
            "version": self.version,
            "valid_from": self.valid_from.isoformat(),
            **self.decision.to_dict(),
        }


class WalkForwardGate:
    """The automatic rule over one recipe's walk-forward, deciding each period once.

    A period's decision depends only on forecasts whose outcome was known by its first
    forecast, so it is made once, when the period's first forecast appears, and kept:
    :meth:`apply` decides the periods it has not seen, in time order, and reuses the
    others. Periods are keyed by their first forecast's time, not by version id: inside
    LEAN the trainer sees a sliding window of history, so the same period's version is
    refitted on slightly different rows (a new id) from one day to the next. A period
    older than the newest decided one that was never decided (its first rows fell out
    of the window) takes the status in force at its start. That keeps a daily refresh
    inside a LEAN backtest, or each engine cycle, cheap and free of look-ahead.

    Parameters
    ----------
    config
        Gate thresholds.
    horizon_bars
        The horizon in bars (the bootstrap block is at least this long).
    """

    def __init__(self, config: GateConfig | None = None, *, horizon_bars: int = 1) -> None:
        self.config = config or GateConfig()
        self.horizon_bars = horizon_bars
        self.decisions: dict[pd.Timestamp, PeriodDecision] = {}
        self._status = ModelStatus.CANDIDATE
        self._shadow_since: pd.Timestamp | None = None

    def apply(self, forecasts: pd.DataFrame) -> pd.DataFrame:
        """Return ``forecasts`` with ``status`` and ``tradable`` columns.

        ``forecasts``: ``time``, ``symbol``, ``model_version``, ``prediction``,
        ``confidence``, ``forward_return``, ``label_end`` and ``next_return``.
        """
        frame = forecasts.copy()
        if frame.empty:
            return frame.assign(status=pd.Series(dtype=object), tradable=pd.Series(dtype=bool))
        starts = frame.groupby("model_version", sort=False)["time"].min().sort_values(kind="stable")
        label_end = pd.to_datetime(frame["label_end"])
        times = pd.to_datetime(frame["time"])
        statuses: dict[str, str] = {}
        for version, start in starts.items():
            moment = pd.Timestamp(start)
            known_decision = self.decisions.get(moment)
            if known_decision is None and self.decisions and moment < max(self.decisions):
                known_decision = self._in_force_at(moment)
            if known_decision is None:
                known_decision = self._decide(str(version), moment, frame, label_end, times)
            statuses[str(version)] = (
                str(ModelStatus.CANDIDATE)
                if known_decision is None
                else str(known_decision.decision.status)
            )
        status = frame["model_version"].astype(str).map(statuses)
        frame["status"] = status.astype(object)
        frame["tradable"] = (status == str(ModelStatus.LIVE)).to_numpy(dtype=bool)
        return frame

    def _in_force_at(self, moment: pd.Timestamp) -> PeriodDecision | None:
        earlier = [start for start in self.decisions if start <= moment]
        return self.decisions[max(earlier)] if earlier else None

    def _decide(
        self,
        version: str,
        moment: pd.Timestamp,
        frame: pd.DataFrame,
        label_end: pd.Series,
        times: pd.Series,
    ) -> PeriodDecision:
        known = frame[label_end.notna() & (label_end <= moment)]
        report = evaluate_gates(known, self.config, horizon_bars=self.horizon_bars)
        shadow = (
            None if self._shadow_since is None else known[times[known.index] >= self._shadow_since]
        )
        decision = next_status(self._status, report, shadow, self.config)
        if decision.status is ModelStatus.SHADOW and self._status is not ModelStatus.SHADOW:
            self._shadow_since = moment
        elif decision.status is not ModelStatus.SHADOW:
            self._shadow_since = None
        self._status = decision.status
        decided = PeriodDecision(version, moment, decision)
        self.decisions[moment] = decided
        return decided

    def ordered(self) -> list[PeriodDecision]:
        """Every decision so far, oldest first."""
        return [self.decisions[start] for start in sorted(self.decisions)]


def gate_walk_forward(
    forecasts: pd.DataFrame,
    config: GateConfig | None = None,
    *,
    horizon_bars: int = 1,
) -> tuple[pd.DataFrame, list[PeriodDecision]]:
    """Give every walk-forward forecast the status of its version, decided without look-ahead.

    Parameters
    ----------
    forecasts
        One recipe's walk-forward forecasts: ``time``, ``symbol``, ``model_version``,
        ``prediction``, ``confidence``, ``forward_return``, ``label_end`` and
        ``next_return`` (the next bar's return, what the sizing rule earns).

    Returns
    -------
    tuple
        The forecasts with ``status`` and ``tradable`` columns, and one decision per
        version in time order. A version's decision uses only the forecasts whose
        outcome was known (``label_end``) by its first forecast.
    """
    gate = WalkForwardGate(config, horizon_bars=horizon_bars)
    return gate.apply(forecasts), gate.ordered()


def tradable_mask(frame: pd.DataFrame) -> np.ndarray[Any, np.dtype[np.bool_]]:
    """Return which rows of a forecast table may trade (rows without the column may)."""
    if "tradable" not in frame.columns:
        return np.ones(len(frame), dtype=bool)
    values = frame["tradable"].to_numpy(dtype=object)
    return np.array([True if value is None or value != value else bool(value) for value in values])


NO_LIVE_MODEL = "no live model"


def no_live_model_reason(asset: str) -> str:
    """The risk reason given for an asset whose forecasts come from no live model version."""
    return f"{NO_LIVE_MODEL} for {asset}"
