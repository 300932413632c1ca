"""The feed API: roles, validation errors naming field and rule, the beat entry following the rows."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from django_celery_beat.models import PeriodicTask

from backend.audit.models import AuditEvent
from backend.market.models import Feed
from backend.market.schedule import feed_schedules_sync_all
from tests.backend.conftest import field_errors

pytestmark = pytest.mark.django_db
FEEDS = "/api/market/feeds/"


def payload(**changes: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "name": "kraken-hour",
        "source": "ccxt",
        "exchange": "kraken",
        "symbols": ["XBTUSD", "ETHUSD"],
        "resolution": "hour",
        "start": "2024-01-01",
    }
    return body | changes


def test_the_default_feed_is_seeded_with_its_beat_entry() -> None:
    feed = Feed.objects.get(name="binance-hour")
    assert (feed.source, feed.exchange, feed.symbols, feed.resolution, feed.enabled) == (
        "ccxt",
        "binance",
        ["BTCUSDT", "ETHUSDT"],
        "hour",
        True,
    )
    task = PeriodicTask.objects.get(name="market ingest binance-hour")
    assert task.task == "market.ingest_feed"
    assert json.loads(task.kwargs) == {"feed_name": "binance-hour"}
    assert (task.crontab.minute, task.crontab.hour, task.enabled) == ("2", "*", True)


def test_roles(anonymous: Any, client_for: Any) -> None:
    assert anonymous.get(FEEDS).status_code == 401
    assert client_for().get(FEEDS).status_code == 403
    assert client_for("viewer").get(FEEDS).status_code == 200
    assert client_for("viewer").post(FEEDS, payload(), format="json").status_code == 403
    assert client_for("service").post(FEEDS, payload(), format="json").status_code == 403
    patch = {"enabled": False}
    detail = f"{FEEDS}binance-hour/"
    assert client_for("viewer").patch(detail, patch, format="json").status_code == 403
    assert client_for("viewer").post(f"{detail}run/").status_code == 403
    assert client_for("viewer").get(f"{detail}runs/").status_code == 200
    assert client_for("viewer").get("/api/market/refused-bars/").status_code == 200
    assert anonymous.get("/api/market/refused-bars/").status_code == 401
    assert client_for("viewer").get(f"{FEEDS}nope/").status_code == 404


def test_an_operator_creates_and_changes_a_feed_and_its_schedule_follows(client_for: Any) -> None:
    operator = client_for("operator")
    created = operator.post(FEEDS, payload(), format="json")
    assert created.status_code == 201, created.content
    body = created.json()
    assert (body["market"], body["security_type"], body["symbols"]) == (
        "kraken",
        "crypto",
        ["XBTUSD", "ETHUSD"],
    )
    assert body["status"]["healthy"] is True
    assert [row["symbol"] for row in body["status"]["series"]] == ["XBTUSD", "ETHUSD"]
    task = PeriodicTask.objects.get(name="market ingest kraken-hour")
    assert task.enabled
    assert json.loads(task.kwargs) == {"feed_name": "kraken-hour"}
    changed = operator.patch(
        f"{FEEDS}kraken-hour/", {"enabled": False, "resolution": "daily"}, format="json"
    )
    assert changed.status_code == 200, changed.content
    task.refresh_from_db()
    assert task.enabled is False
    assert (task.crontab.minute, task.crontab.hour) == ("5", "0")
    actions = list(AuditEvent.objects.filter(target="kraken-hour").values_list("action", flat=True))
    assert actions == ["feed_created", "feed_changed"]
    assert AuditEvent.objects.get(action="feed_changed").payload["enabled"] == {
        "from": True,
        "to": False,
    }
    equity = operator.post(
        FEEDS,
        payload(
            name="us-daily", source="polygon", exchange="", symbols=["aapl"], resolution="daily"
        ),
        format="json",
    )
    assert equity.status_code == 201, equity.content
    assert (equity.json()["market"], equity.json()["symbols"]) == ("usa", ["AAPL"])
    crontab = PeriodicTask.objects.get(name="market ingest us-daily").crontab
    assert (crontab.hour, crontab.day_of_week, str(crontab.timezone)) == (
        "16",
        "1-5",
        "America/New_York",
    )


@pytest.mark.parametrize(
    ("changes", "field", "rule"),
    [
        ({"resolution": "weekly"}, "resolution", "invalid_choice"),
        ({"exchange": "no-such-exchange"}, "exchange", "unknown_exchange"),
        ({"exchange": ""}, "exchange", "required"),
        ({"symbols": []}, "symbols", "empty"),
        ({"symbols": ["BTC/USDT"]}, "symbols[0]", "symbol"),
        ({"symbols": ["BTCUSDT", "btcusdt"]}, "symbols[1]", "duplicate"),
        ({"start": "2999-01-01"}, "start", "future"),
        ({"start": "1900-01-01"}, "start", "range"),
        ({"start": "01/02/2024"}, "start", "invalid"),
        ({"name": "Bad Name"}, "name", "pattern"),
        ({"name": "binance-hour"}, "name", "unique"),
        ({"source": "yahoo"}, "source", "invalid_choice"),
        ({"source": "polygon", "exchange": "binance"}, "exchange", "not_allowed"),
        ({"overlap": -1}, "overlap", "range"),
        ({"failure_threshold": 0}, "failure_threshold", "range"),
        ({"symbols": "BTCUSDT"}, "symbols", "not_a_list"),
    ],
)
def test_invalid_feeds_are_400s_naming_field_and_rule(
    client_for: Any, changes: dict[str, Any], field: str, rule: str
) -> None:
    response = client_for("operator").post(FEEDS, payload(**changes), format="json")
    assert field_errors(response) == {field: rule}
    assert (
        not Feed.objects.filter(name=payload(**changes)["name"])
        .exclude(name="binance-hour")
        .exists()
    )


def test_invalid_changes_are_400s_and_change_nothing(client_for: Any) -> None:
    operator = client_for("operator")
    detail = f"{FEEDS}binance-hour/"
    tomorrow = (datetime.now(UTC) + timedelta(days=2)).date().isoformat()
    assert field_errors(operator.patch(detail, {"start": tomorrow}, format="json")) == {
        "start": "future"
    }
    assert field_errors(operator.patch(detail, {"name": "other"}, format="json")) == {
        "name": "read_only"
    }
    assert field_errors(operator.patch(detail, {"symbols": []}, format="json")) == {
        "symbols": "empty"
    }
    assert Feed.objects.get(name="binance-hour").symbols == ["BTCUSDT", "ETHUSDT"]


def test_sync_removes_entries_of_deleted_feeds() -> None:
    Feed.objects.filter(name="binance-hour").delete()
    assert feed_schedules_sync_all() == {"synced": 0, "removed": 1}
    assert not PeriodicTask.objects.filter(name="market ingest binance-hour").exists()


def test_run_now_queues_the_task(client_for: Any, settings: Any, tmp_path: Any) -> None:
    settings.MARKET_DATA_FOLDER = str(tmp_path)
    Feed.objects.filter(name="binance-hour").update(symbols=["BTCUSDT"], enabled=False)
    response = client_for("operator").post(f"{FEEDS}binance-hour/run/")
    assert response.status_code == 202
    assert response.json() == {"feed": "binance-hour", "queued": True}
