"""Pure parser of LEAN backtest result files, current camelCase and older PascalCase alike."""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from backend.common.exceptions import InvalidInput
from backend.common.validation import TIME_MAX, TIME_MIN, timestamp_range_check

EQUITY_CHART = "strategy equity"
EQUITY_SERIES = "equity"

ORDER_TYPES = (
    "market", "limit", "stop_market", "stop_limit", "market_on_open", "market_on_close",
    "option_exercise", "limit_if_touched", "combo_market", "combo_limit", "combo_leg_limit",
    "trailing_stop",
)  # fmt: skip
ORDER_STATUSES = {
    0: "new", 1: "submitted", 2: "partially_filled", 3: "filled", 5: "canceled", 6: "none",
    7: "invalid", 8: "cancel_pending", 9: "update_submitted",
}  # fmt: skip
ORDER_DIRECTIONS = ("buy", "sell", "hold")


@dataclass(frozen=True)
class ResultOrder:
    """One order of a result file."""

    order_id: int
    symbol: str
    time: datetime | None
    quantity: float
    price: float | None
    value: float | None
    order_type: str
    status: str
    direction: str
    tag: str


@dataclass(frozen=True)
class LeanResult:
    """What the backend keeps of a LEAN result file."""

    source_format: str
    statistics: dict[str, Any] = field(default_factory=dict)
    runtime_statistics: dict[str, Any] = field(default_factory=dict)
    total_performance: dict[str, Any] = field(default_factory=dict)
    algorithm_configuration: dict[str, Any] = field(default_factory=dict)
    equity: list[tuple[datetime, float]] = field(default_factory=list)
    orders: list[ResultOrder] = field(default_factory=list)


def _lower_keys(mapping: Mapping[str, Any]) -> dict[str, Any]:
    return {str(key).lower(): value for key, value in mapping.items()}


def _mapping(value: Any, field_name: str) -> dict[str, Any]:
    if value is None:
        return {}
    if not isinstance(value, Mapping):
        raise InvalidInput(field=field_name, rule="type", message="must be a JSON object")
    return dict(value)


def _timestamp(value: Any, field_name: str) -> datetime:
    """A time as unix seconds or ISO-8601, in UTC and within the storable range."""
    if isinstance(value, bool) or not isinstance(value, int | float | str):
        raise InvalidInput(
            field=field_name, rule="type", message="must be unix seconds or ISO-8601"
        )
    if isinstance(value, str):
        try:
            moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
        except ValueError:
            raise InvalidInput(
                field=field_name, rule="format", message=f"bad time {value[:64]!r}"
            ) from None
        return timestamp_range_check(value=moment, field=field_name)
    if not math.isfinite(value) or not TIME_MIN.timestamp() <= value < TIME_MAX.timestamp():
        raise InvalidInput(
            field=field_name,
            rule="range",
            message=(
                f"must lie between {TIME_MIN:%Y-%m-%d} and {TIME_MAX:%Y-%m-%d} UTC, "
                f"got unix time {value!r}"
            ),
        )
    return datetime.fromtimestamp(float(value), tz=UTC)


def _number(value: Any, field_name: str) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        raise InvalidInput(field=field_name, rule="type", message="must be a finite number")
    return float(value)


def _point(value: Any, field_name: str) -> tuple[datetime, float]:
    """A chart point: ``{"x": t, "y": v}`` (PascalCase era) or ``[t, v]`` / ``[t, o, h, l, c]``."""
    if isinstance(value, Mapping):
        lowered = _lower_keys(value)
        if "x" not in lowered or "y" not in lowered:
            raise InvalidInput(field=field_name, rule="required", message="a point needs x and y")
        return _timestamp(lowered["x"], field_name + ".x"), _number(lowered["y"], field_name + ".y")
    if isinstance(value, list) and len(value) >= 2:
        return _timestamp(value[0], field_name + "[0]"), _number(value[-1], field_name + "[-1]")
    raise InvalidInput(field=field_name, rule="type", message="a point is {x, y} or [time, value]")


def _equity(charts: dict[str, Any]) -> list[tuple[datetime, float]]:
    lowered = _lower_keys(charts)
    chart = lowered.get(EQUITY_CHART)
    if chart is None:
        return []
    chart_fields = _lower_keys(_mapping(chart, "charts.Strategy Equity"))
    series = _lower_keys(_mapping(chart_fields.get("series"), "charts.Strategy Equity.series"))
    equity = series.get(EQUITY_SERIES)
    if equity is None:
        return []
    values = (
        _lower_keys(_mapping(equity, "charts.Strategy Equity.series.Equity")).get("values") or []
    )
    if not isinstance(values, list):
        raise InvalidInput(
            field="charts.Strategy Equity.series.Equity.values",
            rule="type",
            message="must be a list",
        )
    points = [
        _point(value, f"charts.Strategy Equity.series.Equity.values[{index}]")
        for index, value in enumerate(values)
    ]
    by_time: dict[datetime, float] = {}
    for moment, number in points:
        by_time[moment] = number  # LEAN may repeat a timestamp; the last value wins
    return sorted(by_time.items())


def _enum_name(value: Any, names: Mapping[int, str] | tuple[str, ...]) -> str:
    if isinstance(value, str):
        return value.lower()
    if isinstance(value, int) and not isinstance(value, bool):
        if isinstance(names, tuple):
            return names[value] if 0 <= value < len(names) else str(value)
        return names.get(value, str(value))
    return ""


def _symbol(value: Any) -> str:
    if isinstance(value, str):
        return value
    if isinstance(value, Mapping):
        lowered = _lower_keys(value)
        for key in ("value", "permtick", "id"):
            if isinstance(lowered.get(key), str):
                return str(lowered[key])
    return ""


def _text(value: str, field_name: str, limit: int) -> str:
    """``value`` when its column can hold it (the lengths of ``BacktestOrder``'s columns)."""
    if len(value) > limit:
        raise InvalidInput(
            field=field_name,
            rule="max_length",
            message=f"at most {limit} characters, got {len(value)}",
        )
    return value


def _optional_number(value: Any, field_name: str) -> float | None:
    return None if value is None else _number(value, field_name)


def _orders(raw: Any) -> list[ResultOrder]:
    items: list[Any]
    if raw is None:
        return []
    if isinstance(raw, Mapping):
        items = list(raw.values())
    elif isinstance(raw, list):
        items = raw
    else:
        raise InvalidInput(field="orders", rule="type", message="must be an object or a list")
    orders: list[ResultOrder] = []
    for index, item in enumerate(items):
        name = f"orders[{index}]"
        order = _lower_keys(_mapping(item, name))
        order_id = order.get("id")
        if isinstance(order_id, bool) or not isinstance(order_id, int):
            raise InvalidInput(field=name + ".id", rule="type", message="must be an integer")
        if not -(2**63) <= order_id < 2**63:
            raise InvalidInput(
                field=name + ".id", rule="range", message="must fit in a signed 64-bit integer"
            )
        orders.append(
            ResultOrder(
                order_id=order_id,
                symbol=_text(_symbol(order.get("symbol")), name + ".symbol", 40),
                time=_timestamp(order["time"], name + ".time")
                if order.get("time") is not None
                else None,
                quantity=_number(order.get("quantity", 0), name + ".quantity"),
                price=_optional_number(order.get("price"), name + ".price"),
                value=_optional_number(order.get("value"), name + ".value"),
                order_type=_text(_enum_name(order.get("type"), ORDER_TYPES), name + ".type", 30),
                status=_text(_enum_name(order.get("status"), ORDER_STATUSES), name + ".status", 30),
                direction=_text(
                    _enum_name(order.get("direction"), ORDER_DIRECTIONS), name + ".direction", 10
                ),
                tag=_text(str(order.get("tag") or ""), name + ".tag", 200),
            )
        )
    seen: set[int] = set()
    for index, result_order in enumerate(orders):
        if result_order.order_id in seen:
            raise InvalidInput(
                field=f"orders[{index}].id",
                rule="unique",
                message=f"order {result_order.order_id} repeats",
            )
        seen.add(result_order.order_id)
    return sorted(orders, key=lambda order: order.order_id)


def lean_result_parse(document: Any) -> LeanResult:
    """Parse a LEAN result document.

    Raises
    ------
    InvalidInput
        When the document is not a LEAN result (no statistics, charts or orders) or a field
        has the wrong shape; the error names the field.
    """
    if not isinstance(document, Mapping):
        raise InvalidInput(field="body", rule="type", message="a LEAN result must be a JSON object")
    keys = {str(key) for key in document}
    lowered = _lower_keys(document)
    if not {"statistics", "charts", "orders"} & set(lowered):
        raise InvalidInput(
            field="statistics",
            rule="required",
            message="not a LEAN result: expected statistics, charts or orders (camelCase or PascalCase)",
        )
    pascal = bool({"Statistics", "Charts", "Orders"} & keys)
    return LeanResult(
        source_format="PascalCase" if pascal else "camelCase",
        statistics=_mapping(lowered.get("statistics"), "statistics"),
        runtime_statistics=_mapping(lowered.get("runtimestatistics"), "runtimeStatistics"),
        total_performance=_mapping(lowered.get("totalperformance"), "totalPerformance"),
        algorithm_configuration=_mapping(
            lowered.get("algorithmconfiguration"), "algorithmConfiguration"
        ),
        equity=_equity(_mapping(lowered.get("charts"), "charts")),
        orders=_orders(lowered.get("orders")),
    )
