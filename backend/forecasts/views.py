"""Forecast and signal endpoints."""

from __future__ import annotations

from typing import Any

from drf_spectacular.utils import extend_schema
from rest_framework import generics
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from backend.common.api.pagination import TimeCursorPagination
from backend.common.api.permissions import IsService
from backend.common.api.views import ReadAnyRoleWriteRestricted, ingest_response
from backend.common.messages import documents_as_list, messages_from_documents
from backend.recorder.receipts import MessageConflict
from signal_bus.channels import FORECAST_UPDATES
from signal_bus.messages import ForecastUpdate

from .filters import ForecastFilter, SignalFilter
from .selectors import asset_catalog, forecast_rows, signal_latest, signal_list
from .serializers import (
    AssetOutputSerializer,
    ConflictSerializer,
    ForecastInputSerializer,
    ForecastOutputSerializer,
    ReceivedSerializer,
    SignalLatestQuerySerializer,
    SignalOutputSerializer,
    forecast_row_output,
)
from .services import forecast_messages_ingest


class ForecastListCreateView(ReadAnyRoleWriteRestricted, generics.ListAPIView):
    """List forecasts (cursor pagination, newest first); the service role posts new ones."""

    serializer_class = ForecastOutputSerializer
    filterset_class = ForecastFilter
    pagination_class = TimeCursorPagination
    write_permission_classes = (IsService,)

    def get_queryset(self) -> Any:
        return forecast_rows()

    def list(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        # Rows go straight from the database cursor to JSON: pages of hundreds stay cheap.
        page = self.paginate_queryset(self.filter_queryset(self.get_queryset()))
        return self.get_paginated_response([forecast_row_output(row) for row in page or []])

    @extend_schema(
        request=ForecastInputSerializer,
        responses={201: ReceivedSerializer, 409: ConflictSerializer},
    )
    def post(self, request: Request) -> Response:
        messages = messages_from_documents(
            documents=documents_as_list(request.data),
            channel=FORECAST_UPDATES,
            expected=(ForecastUpdate,),
        )
        try:
            outcome = forecast_messages_ingest(messages=messages, refuse_conflicts=True)
        except MessageConflict as conflict:
            outcome = conflict.outcome
        return ingest_response(outcome)


class SignalListView(generics.ListAPIView):
    """List signals, newest first."""

    serializer_class = SignalOutputSerializer
    filterset_class = SignalFilter

    def get_queryset(self) -> Any:
        return signal_list()


class SignalLatestView(APIView):
    """The newest signal of every asset and horizon (optionally of one asset or horizon)."""

    @extend_schema(
        parameters=[SignalLatestQuerySerializer],
        responses={200: SignalOutputSerializer(many=True)},
    )
    def get(self, request: Request) -> Response:
        query = SignalLatestQuerySerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        signals = signal_latest(
            asset=query.validated_data.get("asset"), horizon=query.validated_data.get("horizon")
        )
        return Response(SignalOutputSerializer(signals, many=True).data)


class AssetListView(APIView):
    """Every asset with forecasts, its horizons and its oldest and newest forecast times."""

    @extend_schema(responses={200: AssetOutputSerializer(many=True)})
    def get(self, request: Request) -> Response:
        return Response(AssetOutputSerializer(asset_catalog(), many=True).data)
