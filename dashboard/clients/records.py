"""Typed shapes of the backend's JSON answers (as the OpenAPI schema describes them)."""

from __future__ import annotations

from typing import Any, NotRequired, TypedDict


class ForecastRecord(TypedDict):
    id: int
    message_id: str
    asset: str
    horizon: str
    prediction: float
    confidence: float
    timestamp: str
    ts_init: str
    model: str
    model_version: str | None
    interval_low: float | None
    interval_high: float | None
    tradable: NotRequired[bool]
    """False: published by a model version that is not live (never traded); absent: true."""


class SignalRecord(TypedDict):
    id: int
    forecast_message_id: str
    asset: str
    horizon: str
    timestamp: str
    direction: int
    confidence: float
    strength: float
    active: bool
    entry_threshold: float


class AssetRecord(TypedDict):
    asset: str
    horizons: list[str]
    oldest: str
    newest: str


class BarRecord(TypedDict):
    asset: str
    interval: str
    timestamp: str
    open: float
    high: float
    low: float
    close: float
    volume: float


class BreakerRecord(TypedDict):
    name: str
    state: str
    reason: str
    changed_at: str


class RiskCurrentRecord(TypedDict):
    risk_factor: float | None
    state: str
    reasons: list[str]
    inputs: dict[str, float]
    timestamp: str | None
    breakers: list[BreakerRecord]


class RiskDecisionRecord(TypedDict):
    id: int
    message_id: str
    timestamp: str
    ts_init: str
    risk_factor: float
    state: str
    reasons: list[str]
    inputs: dict[str, float]


class RearmRecord(TypedDict):
    id: int
    breaker: str
    reason: str
    requested_by: str
    requested_at: str
    message_id: str
    published: bool


class ConfigEntryRecord(TypedDict):
    key: str
    value: Any
    default: Any
    value_type: str
    minimum: float | None
    maximum: float | None
    choices: list[str]
    unit: str
    description: str
    version: int
    updated_at: str | None
    updated_by: str


class ConfigChangeRecord(TypedDict):
    id: int
    key: str
    old_value: Any
    new_value: Any
    version: int
    changed_by: str
    reason: str
    changed_at: str


class EquityPointRecord(TypedDict):
    timestamp: str
    equity: float


class PerformanceRecord(TypedDict):
    source: str
    backtest_id: int | None
    equity_curve: list[EquityPointRecord]
    drawdown: list[dict[str, Any]]
    returns: list[dict[str, Any]]
    statistics: dict[str, Any]
    lean_statistics: dict[str, Any]


class BacktestSummaryRecord(TypedDict):
    id: int
    name: str
    source_format: str
    imported_at: str
    imported_by: str
    started_at: str | None
    ended_at: str | None
    statistics: dict[str, Any]
    order_count: int
    equity_point_count: int


class BacktestOrderRecord(TypedDict):
    order_id: int
    symbol: str
    time: str
    quantity: float
    price: float
    value: float
    order_type: str
    status: str
    direction: str
    tag: str


class BacktestDetailRecord(TypedDict):
    id: int
    name: str
    source_format: str
    imported_at: str
    imported_by: str
    started_at: str | None
    ended_at: str | None
    statistics: dict[str, Any]
    runtime_statistics: dict[str, Any]
    total_performance: dict[str, Any]
    algorithm_configuration: dict[str, Any]
    equity_curve: list[EquityPointRecord]
    orders: list[BacktestOrderRecord]


class PortfolioSnapshotRecord(TypedDict, total=False):
    timestamp: str
    equity: float
    cash: float
    holdings: dict[str, float]
    drawdown: float


class PortfolioRecord(TypedDict):
    latest: PortfolioSnapshotRecord | None
    history: list[PortfolioSnapshotRecord]


class ModelVersionRecord(TypedDict):
    """One model version as ``GET models/`` and ``GET models/champions/`` list it."""

    id: int
    model: str
    version: str
    status: str
    asset_group: str
    horizon: str
    manual: bool
    status_changed_at: str | None
    created_at: str
    trained_at: str | None


class GateResultRecord(TypedDict):
    """One promotion gate's statistic (``None`` when not finite), threshold and verdict."""

    name: str
    statistic: float | None
    threshold: float
    passed: bool
    detail: str


class GateReportRecord(TypedDict):
    """Every out-of-sample gate on one walk-forward record."""

    passed: bool
    dates: int
    rows: int
    reasons: list[str]
    gates: list[GateResultRecord]
    figures: dict[str, float | None]


class ChallengerRecord(GateResultRecord):
    """The challenger gate against the champion it would replace."""

    champion: str


class GateDecisionRecord(TypedDict, total=False):
    """The automatic rule's latest decision on a version (empty before its first one)."""

    status: str
    rule: str
    reasons: list[str]
    gates: GateReportRecord
    shadow: GateResultRecord | None
    decided_at: str
    effective_status: str
    held: str | None
    challenger: ChallengerRecord


class ModelTransitionRecord(TypedDict):
    """One change of a version's status: who (a user or ``rule: ...``), why, when."""

    id: int
    from_status: str
    to_status: str
    actor: str
    reason: str
    manual: bool
    created_at: str
    replaced_id: int | None
    replaced: str | None


class ModelVersionDetailRecord(ModelVersionRecord):
    """One version with its training record, latest gate verdict and every transition."""

    metrics: dict[str, Any]
    gates: GateDecisionRecord
    transitions: list[ModelTransitionRecord]


class ModelRollbackRecord(TypedDict):
    """What a rollback did: the champion retired and the previous one live again."""

    retired: ModelVersionDetailRecord
    restored: ModelVersionDetailRecord


class FeedSeriesRecord(TypedDict):
    symbol: str
    bars: int
    last_bar_time: str | None
    last_bar_end: str | None
    lag_seconds: float | None
    gaps: int
    gap_ranges: list[dict[str, Any]]
    refused_bars: int
    error: str


class FeedStatusRecord(TypedDict):
    healthy: bool
    consecutive_failures: int
    last_error: str
    last_run_at: str | None
    last_success_at: str | None
    last_run_status: str | None
    lag_seconds: float | None
    gaps: int
    refused_bars: int
    series: list[FeedSeriesRecord]


class FeedRecord(TypedDict):
    """A market-data feed (``market/feeds/``): its settings and, under ``status``, its state."""

    name: str
    source: str
    exchange: str
    market: str
    security_type: str
    symbols: list[str]
    resolution: str
    start: str
    overlap: int
    enabled: bool
    failure_threshold: int
    status: FeedStatusRecord
