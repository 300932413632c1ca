"""The pure logic behind the LEAN adapters: selection, inbox, risk combination, settings."""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest

from alpha_models.lean.forecast_selection import plan_insights, untradable_assets
from alpha_models.lean.recorded_forecasts import RecordedForecasts, RecordedForecastsError
from risk_models.decision import RiskDecision
from risk_models.lean.risk_combination import combine_risk
from risk_models.parameters import ParameterError, StrategyParameters
from risk_models.settings import StrategySettings, parameters_from_lookup
from risk_models.states import RiskState
from signal_bus.codec import encode
from signal_bus.lean.command_payload import CommandError, parse_signal_command
from signal_bus.lean.execution_sinks import WebNotificationSink
from signal_bus.lean.signal_inbox import SignalInbox
from signal_bus.messages import ForecastUpdate, RiskUpdate, StrategyConfigUpdate

NOW = datetime(2025, 4, 5, 12, 0, tzinfo=UTC)


def _forecast(
    at: datetime = NOW, prediction: float = 0.01, horizon: str = "4h", asset: str = "BTCUSD"
) -> ForecastUpdate:
    return ForecastUpdate.create(
        asset=asset, horizon=horizon, prediction=prediction, confidence=0.7, now=at
    )


def _active(factor: float = 1.0) -> RiskDecision:
    return RiskDecision(factor, RiskState.ACTIVE, ())


def test_plan_insights_period_direction_staleness_and_once_only() -> None:
    fresh = _forecast(NOW - timedelta(hours=1))
    small = _forecast(NOW, prediction=0.0001, asset="ETHUSD")
    stale = _forecast(NOW - timedelta(hours=5), asset="SOLUSD")
    future = _forecast(NOW + timedelta(seconds=1), asset="ADAUSD")
    plans = plan_insights(
        [fresh, small, stale, future],
        now=NOW,
        time_to_live=timedelta(hours=2),
        min_magnitude=0.001,
        already_emitted=set(),
    )
    assert [(p.forecast.asset, p.direction, p.period) for p in plans] == [
        ("BTCUSD", 1, timedelta(hours=1)),  # ttl (2h) shorter than horizon (4h): 1h left
        ("ETHUSD", 0, timedelta(hours=2)),
    ]
    assert [p.close_time for p in plans] == [NOW + timedelta(hours=1), NOW + timedelta(hours=2)]
    again = plan_insights(
        [fresh],
        now=NOW,
        time_to_live=timedelta(hours=2),
        min_magnitude=0.0,
        already_emitted={fresh.id},
    )
    assert again == []


def test_recorded_forecasts_are_point_in_time_and_replay_when_time_goes_back() -> None:
    first = _forecast(NOW)
    second = _forecast(NOW + timedelta(hours=1), prediction=-0.02)
    recorded = RecordedForecasts([second, first])
    assert recorded.as_of(NOW - timedelta(seconds=1)) == []
    assert recorded.as_of(NOW) == [first]
    assert recorded.as_of(NOW + timedelta(hours=2)) == [second]
    assert recorded.as_of(NOW) == [first]


def test_recorded_forecasts_name_the_bad_line() -> None:
    text = encode(_forecast()).decode() + "\n\n" + json.dumps({"asset": "X"}) + "\n"
    with pytest.raises(RecordedForecastsError, match="line 3"):
        RecordedForecasts.from_json_lines(text)


def test_inbox_keeps_newest_drops_duplicates_and_records_rejections() -> None:
    inbox = SignalInbox()
    newer, older = _forecast(NOW), _forecast(NOW - timedelta(minutes=5))
    assert inbox.accept("forecast_updates", encode(newer)) is not None
    assert inbox.accept("forecast_updates", encode(newer)) is None
    assert inbox.accept("forecast_updates", encode(older)) is None
    assert inbox.forecasts() == [newer]
    assert inbox.accept("forecast_updates", b'{"asset": "BTCUSD"}') is None
    assert (
        inbox.accept(
            "risk_updates",
            {
                "risk_factor": 0.8,
                "reasons": ["low_confidence"],
                "timestamp": "2025-04-05T12:00:00Z",
            },
        )
        is not None
    )
    assert inbox.risk() is not None
    assert [r.channel for r in inbox.rejections()] == ["forecast_updates"]
    change = StrategyConfigUpdate.create(
        key="max_allocation", value=0.3, version=2, changed_by="ops", now=NOW
    )
    stale_change = StrategyConfigUpdate.create(
        key="max_allocation", value=0.9, version=1, changed_by="ops", now=NOW
    )
    assert inbox.offer(change) is True
    assert inbox.offer(stale_change) is False
    assert inbox.take_config_changes() == [change]
    assert inbox.take_config_changes() == []


def test_brief_example_payloads_decode_in_the_inbox() -> None:
    inbox = SignalInbox()
    forecast = {
        "asset": "BTCUSD",
        "horizon": "4h",
        "prediction": 0.0082,
        "confidence": 0.76,
        "timestamp": "2025-04-05T12:00:00Z",
    }
    assert inbox.accept("forecast_updates", json.dumps(forecast)) is not None


def test_combine_risk_takes_the_stricter_verdict() -> None:
    parameters = StrategyParameters()
    remote = RiskUpdate.create(
        risk_factor=0.7, state="reducing", reasons=["high_volatility"], now=NOW
    )
    risk = combine_risk(remote, _active(0.9), now=NOW, parameters=parameters, remote_expected=True)
    assert (risk.factor, risk.state, risk.remote_stale) == (0.7, RiskState.REDUCING, False)
    assert "remote:high_volatility" in risk.reasons
    local_worse = combine_risk(
        remote, _active(0.5), now=NOW, parameters=parameters, remote_expected=True
    )
    assert local_worse.factor == 0.5


def test_combine_risk_stale_missing_and_halted() -> None:
    parameters = StrategyParameters(conservative_risk_factor=0.4, stale_risk_update_seconds=60)
    fresh_full = RiskUpdate.create(risk_factor=1.0, now=NOW)
    later = NOW + timedelta(seconds=61)
    stale = combine_risk(
        fresh_full, _active(), now=later, parameters=parameters, remote_expected=True
    )
    assert (stale.factor, stale.remote_stale) == (0.4, True)
    missing = combine_risk(None, _active(), now=NOW, parameters=parameters, remote_expected=True)
    assert (missing.factor, missing.reasons) == (0.4, ("no_risk_update",))
    not_expected = combine_risk(
        None, _active(), now=NOW, parameters=parameters, remote_expected=False
    )
    assert not_expected.factor == 1.0
    halted = RiskUpdate.create(risk_factor=0.0, state="halted", now=NOW)
    still_halted = combine_risk(
        halted, _active(), now=later, parameters=parameters, remote_expected=True
    )
    assert (still_halted.state, still_halted.factor) == (RiskState.HALTED, 0.0)


def test_settings_refuse_out_of_range_and_contradictions_keeping_old_values() -> None:
    settings = StrategySettings()
    refused = settings.apply("max_allocation", 1.5)
    assert not refused.accepted
    assert "strategy_config_refused key=max_allocation" in refused.log_line()
    assert settings.current.max_allocation == 0.25
    contradiction = settings.apply("drawdown_halt_limit", 0.01)  # below drawdown_threshold 0.05
    assert not contradiction.accepted
    assert settings.current.drawdown_halt_limit == 0.15
    unknown = settings.apply("leverage", 3)
    assert not unknown.accepted
    assert settings.apply("entry_confidence", "0.7", version=4).accepted
    assert settings.current.entry_confidence == 0.7
    assert settings.versions == {"entry_confidence": 4}


def test_parameters_from_lookup_uses_defaults_for_blanks_and_refuses_bad_values() -> None:
    parameters = parameters_from_lookup({"entry_confidence": "0.6", "max_allocation": ""}.get)
    assert (parameters.entry_confidence, parameters.max_allocation) == (0.6, 0.25)
    with pytest.raises(ParameterError, match="entry_confidence"):
        parameters_from_lookup({"entry_confidence": "0.2"}.get)


def test_signal_command_parsing() -> None:
    payload = encode(_forecast()).decode()

    class Dynamic:
        channel = "forecast_updates"

    Dynamic.payload = payload  # type: ignore[attr-defined]
    assert parse_signal_command(Dynamic()).payload == payload
    with pytest.raises(CommandError, match="channel"):
        parse_signal_command({"channel": "execution_events", "payload": payload})
    with pytest.raises(CommandError, match="payload"):
        parse_signal_command({"channel": "risk_updates", "payload": {"risk_factor": 1}})


def test_web_sink_counts_refused_and_failing_notifications() -> None:
    class Notifier:
        def __init__(self, answers: list[object]) -> None:
            self.answers = answers
            self.sent: list[tuple[str, object]] = []

        def web(self, address: str, data: object = None, headers: object = None) -> bool:
            answer = self.answers.pop(0)
            if isinstance(answer, Exception):
                raise answer
            self.sent.append((address, data))
            return bool(answer)

    notifier = Notifier([True, False, RuntimeError("network")])
    sink = WebNotificationSink(notifier, "https://backend.example/ingest")
    for _ in range(3):
        sink.send(_forecast())
    assert sink.failures == 2
    assert json.loads(str(notifier.sent[0][1]))["type"] == "forecast_update"


def test_plan_insights_skips_forecasts_with_less_than_a_second_left() -> None:
    # Insight.Price refuses periods under one second; such a forecast is skipped, not
    # turned into an exception inside update().
    almost_over = _forecast(NOW - timedelta(hours=4) + timedelta(milliseconds=500))
    one_second = _forecast(NOW - timedelta(hours=4) + timedelta(seconds=1), asset="ETHUSD")
    plans = plan_insights(
        [almost_over, one_second],
        now=NOW,
        time_to_live=timedelta(hours=5),
        min_magnitude=0.0,
        already_emitted=set(),
    )
    assert [(p.forecast.asset, p.period) for p in plans] == [("ETHUSD", timedelta(seconds=1))]


def test_non_tradable_forecasts_are_never_planned_as_insights() -> None:
    live = _forecast(NOW, asset="BTCUSD")
    shadow = replace(_forecast(NOW, asset="ETHUSD"), tradable=False)
    plans = plan_insights(
        [live, shadow],
        now=NOW,
        time_to_live=timedelta(hours=2),
        min_magnitude=0.0,
        already_emitted=set(),
    )
    assert [plan.forecast.asset for plan in plans] == ["BTCUSD"]


def test_an_asset_is_untradable_only_when_no_live_model_forecasts_it() -> None:
    forecasts = [
        replace(_forecast(NOW, asset="ETHUSD", horizon="1h"), tradable=False),
        _forecast(NOW, asset="ETHUSD", horizon="4h"),  # a live model of another horizon
        replace(_forecast(NOW, asset="SOLUSD"), tradable=False),
        replace(_forecast(NOW + timedelta(minutes=1), asset="ADAUSD"), tradable=False),
    ]
    assert untradable_assets(forecasts, now=NOW) == {"SOLUSD"}


def test_the_inbox_keeps_the_live_models_forecast_in_force() -> None:
    inbox = SignalInbox()
    champion = replace(_forecast(NOW), model_version="champion")
    challenger = replace(
        _forecast(NOW + timedelta(minutes=1)),
        id="challenger-1",
        model_version="challenger",
        tradable=False,
    )
    assert inbox.offer(champion)
    assert not inbox.offer(challenger)  # a shadow model never displaces the live one
    assert inbox.forecasts() == [champion]
    demoted = replace(
        _forecast(NOW + timedelta(minutes=2)),
        id="champion-2",
        model_version="champion",
        tradable=False,
    )
    assert inbox.offer(demoted)  # the live version itself stopped being live
    assert inbox.forecasts() == [demoted]
    promoted = replace(_forecast(NOW + timedelta(minutes=3)), id="challenger-2")
    assert inbox.offer(promoted)
    assert inbox.forecasts() == [promoted]
