"""Writes: record order events (orders, fills, lineage) and portfolio snapshots."""

from __future__ import annotations

from collections.abc import Sequence

from django.db import transaction
from django.db.models import F, Sum

from backend.forecasts.models import Forecast
from backend.recorder.receipts import (
    IngestOutcome,
    message_receipts_register,
    receipts_outcome,
)
from signal_bus.channels import EXECUTION_EVENTS
from signal_bus.messages import Message, OrderEvent
from signal_bus.messages import PortfolioSnapshot as PortfolioSnapshotMessage

from .models import Fill, Order, PortfolioSnapshot


def _forecast_lineage(tags: set[str]) -> dict[str, Forecast]:
    """Forecasts whose message id is one of the order tags."""
    if not tags:
        return {}
    return {
        forecast.message_id: forecast
        for forecast in Forecast.objects.filter(message_id__in=tags).only(
            "message_id", "model_version_id"
        )
    }


def _order_event_apply(*, event: OrderEvent, account: str, lineage: dict[str, Forecast]) -> None:
    forecast = lineage.get(event.tag)
    order, created = Order.objects.select_for_update().get_or_create(
        account=account,
        order_id=event.order_id,
        defaults={
            "symbol": event.symbol,
            "quantity": event.quantity,
            "direction": event.direction,
            "status": event.status,
            "tag": event.tag,
            "forecast_message_id": event.tag[:64],
            "model_version_id": forecast.model_version_id if forecast else None,
            "submitted_at": event.ts_event,
            "updated_at": event.ts_event,
        },
    )
    if not created and event.ts_event >= order.updated_at:
        order.status = event.status
        order.quantity = event.quantity
        order.updated_at = event.ts_event
        if event.tag and not order.tag:
            order.tag = event.tag
        if event.tag and not order.forecast_message_id:
            order.forecast_message_id = event.tag[:64]
        if forecast is not None and order.model_version_id is None:
            order.model_version_id = forecast.model_version_id
        order.save()
    if event.ts_event < order.submitted_at:
        Order.objects.filter(pk=order.pk).update(submitted_at=event.ts_event)
    if event.fill_quantity:
        Fill.objects.bulk_create(
            [
                Fill(
                    message_id=event.id,
                    order=order,
                    timestamp=event.ts_event,
                    fill_price=event.fill_price,
                    fill_quantity=event.fill_quantity,
                    fee=event.fee,
                )
            ],
            ignore_conflicts=True,
        )
        totals = Fill.objects.filter(order=order).aggregate(
            quantity=Sum("fill_quantity"), notional=Sum(F("fill_quantity") * F("fill_price"))
        )
        quantity = totals["quantity"] or 0.0
        Order.objects.filter(pk=order.pk).update(
            filled_quantity=quantity,
            average_fill_price=(totals["notional"] / quantity) if quantity else None,
        )


def execution_messages_store(*, messages: Sequence[Message], account: str = "live") -> int:
    """Store order events and portfolio snapshots; replays change nothing. Returns the count given."""
    return execution_messages_ingest(messages=messages, account=account).received


def execution_messages_ingest(
    *, messages: Sequence[Message], account: str = "live", refuse_conflicts: bool = False
) -> IngestOutcome:
    """Store order events and portfolio snapshots, each message id once whatever its time.

    Identical resends are counted as duplicates, other messages under a stored id as
    conflicts; neither changes an order, a fill or a snapshot. With ``refuse_conflicts``
    a conflict raises :class:`MessageConflict` and nothing of the batch is stored.
    """
    relevant = [
        message
        for message in messages
        if isinstance(message, OrderEvent | PortfolioSnapshotMessage)
    ]
    with transaction.atomic():
        receipts = message_receipts_register(channel=EXECUTION_EVENTS, messages=relevant)
        outcome = receipts_outcome(
            received=len(relevant), receipts=receipts, refuse_conflicts=refuse_conflicts
        )
        events = [message for message in receipts.new if isinstance(message, OrderEvent)]
        snapshots = [
            PortfolioSnapshot(
                message_id=message.id,
                account=account,
                timestamp=message.ts_event,
                equity=message.equity,
                cash=message.cash,
                holdings=dict(message.holdings),
                drawdown=message.drawdown,
            )
            for message in receipts.new
            if isinstance(message, PortfolioSnapshotMessage)
        ]
        lineage = _forecast_lineage({event.tag for event in events if event.tag})
        for event in sorted(events, key=lambda item: item.ts_event):
            _order_event_apply(event=event, account=account, lineage=lineage)
        PortfolioSnapshot.objects.bulk_create(snapshots, ignore_conflicts=True, batch_size=1000)
    return outcome
