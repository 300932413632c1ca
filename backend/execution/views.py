"""Execution endpoints: orders, portfolio, and events posted by LEAN (cloud web notifications)."""

from __future__ import annotations

from typing import Any

from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import generics, serializers
from rest_framework.permissions import BasePermission
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from backend.common.api.permissions import IsService
from backend.common.api.views import ingest_response
from backend.common.messages import documents_as_list, messages_from_documents
from backend.forecasts.serializers import ConflictSerializer, ReceivedSerializer
from backend.recorder.receipts import MessageConflict
from signal_bus.channels import EXECUTION_EVENTS
from signal_bus.messages import OrderEvent, PortfolioSnapshot

from .filters import OrderFilter
from .selectors import order_list, portfolio_latest, portfolio_snapshot_list
from .serializers import (
    ExecutionEventInputSerializer,
    OrderOutputSerializer,
    PortfolioOutputSerializer,
)
from .services import execution_messages_ingest

PORTFOLIO_HISTORY_LIMIT = 500


class OrderListView(generics.ListAPIView):
    """Orders with fills and lineage (forecast id, model and version), newest first."""

    serializer_class = OrderOutputSerializer
    filterset_class = OrderFilter

    def get_queryset(self) -> Any:
        return order_list()


class PortfolioQuerySerializer(serializers.Serializer[dict[str, object]]):
    account = serializers.CharField(required=False, default="live", max_length=60)
    limit = serializers.IntegerField(
        required=False, default=100, min_value=1, max_value=PORTFOLIO_HISTORY_LIMIT
    )


class PortfolioView(APIView):
    """The latest portfolio snapshot and the most recent ones before it."""

    @extend_schema(
        parameters=[
            OpenApiParameter("account", str, required=False),
            OpenApiParameter("limit", int, required=False),
        ],
        responses=PortfolioOutputSerializer,
    )
    def get(self, request: Request) -> Response:
        query = PortfolioQuerySerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        account = query.validated_data["account"]
        limit = query.validated_data["limit"]
        history = list(
            portfolio_snapshot_list(account=account).order_by("-timestamp", "-id")[:limit]
        )
        history.reverse()
        return Response(
            PortfolioOutputSerializer(
                {"latest": portfolio_latest(account=account), "history": history}
            ).data
        )


class ExecutionEventsView(APIView):
    """Store order events and portfolio snapshots sent by LEAN (service role)."""

    permission_classes: tuple[type[BasePermission], ...] = (IsService,)

    @extend_schema(
        request=ExecutionEventInputSerializer,
        responses={201: ReceivedSerializer, 409: ConflictSerializer},
    )
    def post(self, request: Request) -> Response:
        messages = messages_from_documents(
            documents=documents_as_list(request.data),
            channel=EXECUTION_EVENTS,
            expected=(OrderEvent, PortfolioSnapshot),
        )
        try:
            outcome = execution_messages_ingest(messages=messages, refuse_conflicts=True)
        except MessageConflict as conflict:
            outcome = conflict.outcome
        return ingest_response(outcome)
