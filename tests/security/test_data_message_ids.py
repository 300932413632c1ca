"""Defect 9: a message id is stored once whatever its timestamp; a conflicting resend is reported."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest

from backend.execution.models import PortfolioSnapshot
from backend.forecasts.models import Forecast, Signal
from backend.forecasts.services import forecast_messages_store
from backend.recorder.handlers import batch_handler_for
from backend.risk.models import RiskDecision
from backend.risk.services import risk_messages_store
from signal_bus.channels import FORECAST_UPDATES, RISK_UPDATES
from signal_bus.codec import decode_document
from tests.backend import conftest as backend_fixtures
from tests.backend.execution.test_api import snapshot
from tests.backend.forecasts.test_api import START, forecast_document
from tests.backend.risk.test_api import risk_document

# The backend suite's fixtures: users per role with JWT clients, a private bus namespace.
_private_bus, bus_namespace = backend_fixtures._private_bus, backend_fixtures.bus_namespace
make_user, client_for = backend_fixtures.make_user, backend_fixtures.client_for

pytestmark = pytest.mark.django_db
LATER = (START + timedelta(days=3)).isoformat()


def _service(client_for: Any) -> Any:
    client = client_for("service")
    client.raise_request_exception = False
    return client


def test_same_id_with_another_time_is_stored_once_and_reported(client_for: Any) -> None:
    service = _service(client_for)
    first = service.post("/api/forecasts/", forecast_document(0), format="json")
    assert first.status_code == 201
    assert first.json() == {"received": 1, "stored": 1, "duplicates": 0, "conflicts": 0}
    resend = service.post("/api/forecasts/", forecast_document(0, ts_event=LATER), format="json")
    assert resend.status_code == 409, resend.content
    body = resend.json()
    assert body["conflicts"] == 1
    assert body["conflicting_ids"] == ["fc-0"]
    assert "fc-0" in body["detail"]
    assert Forecast.objects.filter(message_id="fc-0").count() == 1
    assert Signal.objects.filter(forecast_message_id="fc-0").count() == 1
    assert Forecast.objects.get(message_id="fc-0").timestamp.isoformat().startswith("2025-04-05")


def test_same_id_and_time_with_other_content_is_a_conflict(client_for: Any) -> None:
    service = _service(client_for)
    assert service.post("/api/forecasts/", forecast_document(0), format="json").status_code == 201
    changed = forecast_document(0, prediction=0.5)
    response = service.post("/api/forecasts/", changed, format="json")
    assert response.status_code == 409
    assert response.json()["conflicts"] == 1
    assert Forecast.objects.get(message_id="fc-0").prediction != 0.5


def test_an_identical_resend_is_a_duplicate_not_a_conflict(client_for: Any) -> None:
    service = _service(client_for)
    batch = [forecast_document(index) for index in range(3)]
    assert service.post("/api/forecasts/", batch, format="json").status_code == 201
    again = service.post("/api/forecasts/", batch, format="json")
    assert again.status_code == 201
    assert again.json() == {"received": 3, "stored": 0, "duplicates": 3, "conflicts": 0}
    assert Forecast.objects.count() == 3


def test_a_batch_with_one_conflict_is_refused_whole(client_for: Any) -> None:
    service = _service(client_for)
    assert service.post("/api/forecasts/", forecast_document(0), format="json").status_code == 201
    batch = [forecast_document(0, ts_event=LATER), forecast_document(1), forecast_document(2)]
    response = service.post("/api/forecasts/", batch, format="json")
    assert response.status_code == 409
    body = response.json()
    assert (body["received"], body["stored"], body["conflicts"]) == (3, 0, 1)
    assert Forecast.objects.count() == 1


def test_one_id_twice_in_one_batch_with_two_times_is_a_conflict(client_for: Any) -> None:
    service = _service(client_for)
    batch = [forecast_document(0), forecast_document(0, ts_event=LATER)]
    response = service.post("/api/forecasts/", batch, format="json")
    assert response.status_code == 409
    assert not Forecast.objects.exists()
    # The recorder stores the first and dead-letters the second.
    forecast_messages_store(
        messages=[decode_document(document, FORECAST_UPDATES) for document in batch]
    )
    assert Forecast.objects.filter(message_id="fc-0").count() == 1


def test_recorder_path_stores_a_forecast_id_once() -> None:
    first = decode_document(forecast_document(5), FORECAST_UPDATES)
    moved = decode_document(forecast_document(5, ts_event=LATER), FORECAST_UPDATES)
    forecast_messages_store(messages=[first])
    forecast_messages_store(messages=[moved])
    assert Forecast.objects.filter(message_id="fc-5").count() == 1


def test_risk_decision_id_is_stored_once_whatever_its_time() -> None:
    first = decode_document(risk_document(1), RISK_UPDATES)
    moved = decode_document(risk_document(1, ts_event=LATER), RISK_UPDATES)
    risk_messages_store(messages=[first])
    risk_messages_store(messages=[moved])
    assert RiskDecision.objects.filter(message_id=first.id).count() == 1


def test_portfolio_snapshot_id_is_stored_once_whatever_its_time(client_for: Any) -> None:
    service = _service(client_for)
    document = snapshot(0, 1000.0)
    assert service.post("/api/execution/events/", document, format="json").status_code == 201
    moved = {**document, "ts_event": LATER}
    response = service.post("/api/execution/events/", moved, format="json")
    assert response.status_code == 409
    assert response.json()["conflicts"] == 1
    assert PortfolioSnapshot.objects.filter(message_id=document["id"]).count() == 1


class _DeadLetters:
    """A stand-in bus recording what the recorder dead-letters."""

    def __init__(self) -> None:
        self.letters: list[tuple[str, dict[str, bytes]]] = []

    def add_dead_letter(self, channel: str, fields: dict[str, bytes]) -> None:
        self.letters.append((channel, fields))


def test_recorder_dead_letters_a_conflicting_resend() -> None:
    bus = _DeadLetters()
    handle = batch_handler_for(FORECAST_UPDATES, bus=bus, group="g", consumer="c")  # type: ignore[arg-type]
    first = decode_document(forecast_document(7), FORECAST_UPDATES)
    moved = decode_document(forecast_document(7, ts_event=LATER), FORECAST_UPDATES)
    handle([first])
    handle([first])  # an identical replay: nothing to report
    assert bus.letters == []
    handle([moved])
    assert len(bus.letters) == 1
    channel, fields = bus.letters[0]
    assert channel == FORECAST_UPDATES
    assert fields["source_id"] == b"fc-7"
    assert fields["field"] == b"id"
    assert Forecast.objects.filter(message_id="fc-7").count() == 1
