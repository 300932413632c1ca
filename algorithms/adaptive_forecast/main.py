"""Adaptive forecast algorithm: forecasts -> insights -> sized targets -> risk-adjusted targets.

Wiring only: every choice comes from ``get_parameter`` (config.json ``parameters``,
``lean backtest --parameter``, or the cloud project's parameters); the logic lives in
the linked libraries ``alpha_models``, ``risk_models`` and ``signal_bus``.
"""

from __future__ import annotations

import os
from datetime import date, timedelta
from typing import Any

from AlgorithmImports import (
    AccountType,
    BrokerageName,
    DeploymentTarget,
    ImmediateExecutionModel,
    OrderEvent,
    QCAlgorithm,
    Resolution,
    Slice,
)

from alpha_models.lean.forecast_alpha import ForecastAlphaModel
from alpha_models.lean.forecast_sources import (
    ForecastSource,
    InAlgorithmForecastSource,
    InboxForecastSource,
    RecordedForecastSource,
    load_recorded_forecasts,
)
from alpha_models.walk_forward import WalkForwardConfig, WalkForwardTrainer, training_options
from risk_models.gates import GateConfig
from risk_models.lean.adaptive_risk_management import AdaptiveRiskManagementModel
from risk_models.lean.forecast_sizing_portfolio_construction import (
    ForecastSizingPortfolioConstructionModel,
)
from risk_models.promotion import WalkForwardGate
from risk_models.settings import StrategySettings, parameters_from_lookup
from signal_bus.horizon import Horizon
from signal_bus.lean.command_payload import (
    CommandError,
    is_rearm_command,
    parse_rearm_command,
    parse_signal_command,
)
from signal_bus.lean.execution_recorder import ExecutionRecorder
from signal_bus.lean.execution_sinks import ExecutionSink, select_execution_sink
from signal_bus.lean.redis_listener import start_redis_signal_feed
from signal_bus.lean.signal_inbox import SignalInbox
from signal_bus.lean.time_utc import as_utc

RESOLUTIONS = {"daily": Resolution.DAILY, "hour": Resolution.HOUR, "minute": Resolution.MINUTE}
BAR_PERIODS = {
    "daily": timedelta(days=1),
    "hour": timedelta(hours=1),
    "minute": timedelta(minutes=1),
}
SOURCES = ("in_algorithm", "recorded", "redis", "command")
# The brokerage model whose default market is each crypto market ``ats data import`` writes
# (Common/Brokerages/*BrokerageModel.cs DefaultMarkets); margin accounts, so the sizing
# rule's short positions are allowed.
CRYPTO_BROKERAGES = {"binance": BrokerageName.BINANCE, "coinbase": BrokerageName.COINBASE}


class AdaptiveForecastAlgorithm(QCAlgorithm):
    """Trade the forecasting core's forecasts under the risk engine's control."""

    def initialize(self) -> None:
        """Read parameters, subscribe to the assets and set the framework models."""
        start = date.fromisoformat(self._text("start_date", "2010-01-04"))
        end = date.fromisoformat(self._text("end_date", "2012-12-31"))
        self.set_start_date(start.year, start.month, start.day)
        self.set_end_date(end.year, end.month, end.day)
        self.set_cash(float(self._text("cash", "100000")))
        resolution_name = self._text("resolution", "daily")
        resolution = RESOLUTIONS[resolution_name]
        tickers = [
            ticker.strip().upper()
            for ticker in self._text("assets", "AAPL,MSFT").split(",")
            if ticker.strip()
        ]
        self.crypto = self._text("security_type", "equity") == "crypto"
        if self.crypto:
            # Crypto trades around the clock in UTC; the algorithm's clock and its time
            # rules follow (Common/Scheduling/TimeRules.cs uses the algorithm's zone).
            self.set_time_zone("UTC")
            market = (self._optional("market") or "binance").lower()
            if market in CRYPTO_BROKERAGES:
                self.set_brokerage_model(CRYPTO_BROKERAGES[market], AccountType.MARGIN)
            currency = self._text("account_currency", "")
            if currency:
                self.set_account_currency(currency)
            # QCAlgorithm.AddCrypto without a market would use the brokerage model's default
            # market (Common/Brokerages/DefaultBrokerageModel.cs: coinbase), not the folder
            # `ats data import` wrote (crypto/<market>/...).
            self.assets = [
                add.symbol for add in (self.add_crypto(t, resolution, market) for t in tickers)
            ]
        else:
            market = (self._optional("market") or "usa").lower()
            self.assets = [
                add.symbol for add in (self.add_equity(t, resolution, market) for t in tickers)
            ]

        settings = StrategySettings(parameters_from_lookup(self._optional))
        self.inbox = SignalInbox()
        self.feed: Any = None
        source_name = self._text("forecast_source", "in_algorithm")
        if source_name not in SOURCES:
            raise ValueError(
                f"forecast_source must be one of {', '.join(SOURCES)}; got {source_name!r}"
            )
        source = self._forecast_source(source_name, resolution_name, settings)
        remote_risk = source_name in ("redis", "command")

        self.set_alpha(ForecastAlphaModel(source, settings))
        self.set_portfolio_construction(
            ForecastSizingPortfolioConstructionModel(settings, self.inbox)
        )
        self.risk_model = AdaptiveRiskManagementModel(settings, self.inbox if remote_risk else None)
        self.add_risk_management(self.risk_model)
        self.set_execution(ImmediateExecutionModel())
        snapshot_minutes = float(self._text("snapshot_minutes", "60"))
        self.execution_sink = self._execution_sink(source_name)
        self.recorder = ExecutionRecorder(self.execution_sink, timedelta(minutes=snapshot_minutes))

    def on_data(self, slice: Slice) -> None:
        """Send a portfolio snapshot when one is due."""
        self.recorder.maybe_snapshot(self)

    def on_order_event(self, order_event: OrderEvent) -> None:
        """Record the order event; its tag is the forecast id."""
        self.recorder.record_order_event(self, order_event)

    def on_command(self, data: Any) -> bool | None:
        """Accept a bus message or a breaker re-arm sent as a LEAN command (cloud live)."""
        if is_rearm_command(data):
            return self._rearm(data)
        try:
            command = parse_signal_command(data)
        except CommandError as error:
            self.log(f"command_refused reason={error}")
            return False
        accepted = self.inbox.accept(command.channel, command.payload) is not None
        if not accepted:
            rejections = self.inbox.rejections()
            reason = rejections[-1].reason if rejections else "duplicate or older"
            self.log(f"command_ignored channel={command.channel} reason={reason}")
        return accepted

    def on_end_of_algorithm(self) -> None:
        """Stop the background subscriber and flush the execution records."""
        if self.feed is not None:
            self.feed.stop()
        self.log(self.execution_sink.close(timeout=5.0).log_line())

    # ------------------------------------------------------------------ wiring

    def _rearm(self, data: Any) -> bool:
        try:
            command = parse_rearm_command(data)
            record = self.risk_model.rearm(
                command.breaker, reason=command.reason, by=command.by, now=as_utc(self.utc_time)
            )
        except ValueError as error:  # CommandError or BreakerError
            self.log(f"breaker_rearm_refused reason={error}")
            return False
        self.log(f"breaker_rearmed breaker={record.breaker} by={record.by} reason={record.reason}")
        return True

    def _forecast_source(
        self, name: str, resolution_name: str, settings: StrategySettings
    ) -> ForecastSource:
        if name == "recorded":
            location = self._text("forecasts_location", "adaptive_forecast/forecasts.jsonl")
            return RecordedForecastSource(load_recorded_forecasts(location, self.object_store))
        if name == "in_algorithm":
            config = WalkForwardConfig(
                horizon=Horizon(self._text("horizon", "1d")),
                resolution=resolution_name,
                model=self._text("model", "sklearn"),
                retrain_frequency=self._text("retrain_frequency", "quarterly"),
                minimum_training_rows=int(self._text("minimum_training_rows", "300")),
                # target, feature_set, validation_fraction, scope, ensemble_members,
                # hyperparameters: blank parameters keep the trainer's defaults
                **training_options(self._optional),
            )
            # Only proven models trade (issue 21): each model version's out-of-sample
            # gates are checked on what was known when its period started; a version
            # that has not passed them (and its shadow period) publishes non-tradable
            # forecasts, which the alpha model never turns into insights.
            self.gate: WalkForwardGate | None = None
            if self._text("gated", "true").lower() != "false":
                self.gate = WalkForwardGate(
                    GateConfig(entry_confidence=settings.current.entry_confidence),
                    horizon_bars=config.horizon_bars,
                )
            source = InAlgorithmForecastSource(
                WalkForwardTrainer(config),
                BAR_PERIODS[resolution_name],
                None if self.gate is None else self.gate.apply,
            )
            logged: set[str] = set()
            lookback = int(self._text("lookback_bars", "750"))
            time_zones = {
                str(symbol.value): str(self.securities[symbol].exchange.time_zone)
                for symbol in self.assets
            }

            def refresh() -> None:
                history = self.history(self.assets, lookback, RESOLUTIONS[resolution_name])
                source.refresh(history, as_utc(self.utc_time), time_zones)
                for item in [] if self.gate is None else self.gate.ordered():
                    if item.version not in logged:
                        logged.add(item.version)
                        reasons = "; ".join(item.decision.reasons) or "tradable"
                        self.log(
                            f"model_version={item.version} status={item.decision.status} "
                            f"reasons={reasons}"
                        )

            self.train(
                self.date_rules.every_day(self.assets[0]), self._bar_ends(resolution_name), refresh
            )
            return source
        if name == "redis":
            self.feed = start_redis_signal_feed(
                self.inbox, self._redis_url(), self._text("bus_namespace", "")
            )
        return InboxForecastSource(self.inbox)

    def _bar_ends(self, resolution_name: str) -> Any:
        """A time rule firing when each bar ends, so training sees it on its own slice.

        US equity daily bars end at the close (16:00 New York, 13:00 on early closes:
        Common/Util/LeanData.cs SetStrictEndTimes), which BeforeMarketClose(symbol, 0)
        follows day by day; other bars end every bar period from midnight in the
        algorithm's time zone (TimeRules.Every).
        """
        if resolution_name == "daily" and not self.crypto:
            return self.time_rules.before_market_close(self.assets[0], 0)
        return self.time_rules.every(BAR_PERIODS[resolution_name])

    def _execution_sink(self, source_name: str) -> ExecutionSink:
        configured = self._text("redis_url", "") or os.environ.get("REDIS_URL", "")
        return select_execution_sink(
            live_mode=self.live_mode,
            # Engine/Setup/BaseSetupHandler.cs Setup: LocalPlatform under open-source LEAN.
            cloud=self.deployment_target != DeploymentTarget.LOCAL_PLATFORM,
            webhook_url=self._text("execution_webhook_url", ""),
            redis_url=configured or (self._redis_url() if source_name == "redis" else None),
            namespace=self._text("bus_namespace", ""),
            notifier=self.notify,
        )

    def _redis_url(self) -> str:
        return self._text("redis_url", "") or os.environ.get(
            "REDIS_URL", "redis://localhost:6379/0"
        )

    def _text(self, name: str, default: str) -> str:
        value = self.get_parameter(name, default)
        return default if value is None else str(value)

    def _optional(self, name: str) -> str | None:
        value = self.get_parameter(name, "")
        return str(value) if value else None
