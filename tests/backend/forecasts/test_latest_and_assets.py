"""``GET /api/signals/latest/`` and ``GET /api/assets/``."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from backend.forecasts.services import forecast_messages_store
from signal_bus.messages import ForecastUpdate

pytestmark = pytest.mark.django_db
START = datetime(2025, 4, 5, tzinfo=UTC)


def store(asset: str, horizon: str, hours: int, *, prediction: float = 0.01) -> None:
    forecast_messages_store(
        messages=[
            ForecastUpdate(
                id=f"latest-{asset}-{horizon}-{hour}", ts_event=START + timedelta(hours=hour),
                ts_init=START + timedelta(hours=hour), asset=asset, horizon=horizon,
                prediction=prediction * (1 if hour % 2 else -1), confidence=0.5 + hour / 100,
                model="lightgbm", model_version="v1",
            )
            for hour in range(hours)
        ]
    )  # fmt: skip


def iso(moment: datetime) -> str:
    return moment.isoformat().replace("+00:00", "Z")


def test_roles(anonymous: Any, client_for: Any) -> None:
    for path in ("/api/signals/latest/", "/api/assets/"):
        assert anonymous.get(path).status_code == 401
        assert client_for().get(path).status_code == 403
        assert client_for("viewer").get(path).status_code == 200


def test_empty_tables_give_empty_lists(client_for: Any) -> None:
    viewer = client_for("viewer")
    assert viewer.get("/api/signals/latest/").json() == []
    assert viewer.get("/api/assets/").json() == []


def test_latest_signal_per_asset_and_horizon(client_for: Any) -> None:
    store("BTCUSD", "1h", 5)
    store("BTCUSD", "4h", 3)
    store("ETHUSD", "1h", 2)
    rows = client_for("viewer").get("/api/signals/latest/").json()
    assert [(row["asset"], row["horizon"], row["timestamp"]) for row in rows] == [
        ("BTCUSD", "1h", iso(START + timedelta(hours=4))),
        ("BTCUSD", "4h", iso(START + timedelta(hours=2))),
        ("ETHUSD", "1h", iso(START + timedelta(hours=1))),
    ]
    assert rows[0]["direction"] == -1  # hour 4: even, negative prediction
    assert rows[0]["confidence"] == pytest.approx(0.54)
    assert rows[2]["direction"] == 1


def test_latest_filters(client_for: Any) -> None:
    store("BTCUSD", "1h", 3)
    store("BTCUSD", "4h", 3)
    store("ETHUSD", "1h", 3)
    viewer = client_for("viewer")
    by_asset = viewer.get("/api/signals/latest/", {"asset": "ETHUSD"}).json()
    assert [(row["asset"], row["horizon"]) for row in by_asset] == [("ETHUSD", "1h")]
    by_horizon = viewer.get("/api/signals/latest/", {"horizon": "4h"}).json()
    assert [(row["asset"], row["horizon"]) for row in by_horizon] == [("BTCUSD", "4h")]
    assert viewer.get("/api/signals/latest/", {"asset": "NONE"}).json() == []


def test_latest_bad_filter_is_400(client_for: Any) -> None:
    response = client_for("viewer").get("/api/signals/latest/", {"asset": "x" * 41})
    assert response.status_code == 400
    assert response.json()["errors"][0]["field"] == "asset"


def test_assets_with_their_horizons_and_times(client_for: Any) -> None:
    store("ETHUSD", "1h", 2)
    store("BTCUSD", "4h", 3)
    store("BTCUSD", "1h", 6)
    assert client_for("viewer").get("/api/assets/").json() == [
        {"asset": "BTCUSD", "horizons": ["1h", "4h"], "oldest": iso(START),
         "newest": iso(START + timedelta(hours=5))},
        {"asset": "ETHUSD", "horizons": ["1h"], "oldest": iso(START),
         "newest": iso(START + timedelta(hours=1))},
    ]  # fmt: skip


def test_documented_in_openapi(anonymous: Any) -> None:
    paths = anonymous.get("/api/schema/?format=json").json()["paths"]
    assert "asset" in {item["name"] for item in paths["/api/signals/latest/"]["get"]["parameters"]}
    assert (
        paths["/api/assets/"]["get"]["responses"]["200"]["content"]["application/json"]["schema"][
            "type"
        ]
        == "array"
    )
