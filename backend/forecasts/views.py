"""Forecast, signal and model-version endpoints."""

from __future__ import annotations

from typing import Any

from django.http import Http404
from drf_spectacular.utils import extend_schema
from rest_framework import generics
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from backend.common.api.pagination import TimeCursorPagination
from backend.common.api.permissions import IsOperator, IsService
from backend.common.api.views import ReadAnyRoleWriteRestricted, ingest_response
from backend.common.messages import documents_as_list, messages_from_documents
from backend.recorder.receipts import MessageConflict
from signal_bus.channels import FORECAST_UPDATES
from signal_bus.messages import ForecastUpdate

from .filters import ForecastFilter, ModelVersionFilter, SignalFilter
from .lifecycle import rollback, transition
from .models import ModelVersion
from .selectors import (
    asset_catalog,
    forecast_rows,
    model_version_champions,
    model_version_detail,
    model_version_list,
    signal_latest,
    signal_list,
)
from .serializers import (
    AssetOutputSerializer,
    ConflictSerializer,
    ForecastInputSerializer,
    ForecastOutputSerializer,
    ModelRollbackInputSerializer,
    ModelRollbackOutputSerializer,
    ModelTransitionInputSerializer,
    ModelVersionDetailSerializer,
    ModelVersionOutputSerializer,
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


def _version_or_404(version_id: int) -> ModelVersion:
    version = model_version_detail(version_id=version_id) if 0 < version_id < 2**63 else None
    if version is None:
        raise Http404("no such model version")
    return version


class ModelVersionListView(generics.ListAPIView):
    """Every model version with its lifecycle status; filters status, asset_group, horizon, model."""

    serializer_class = ModelVersionOutputSerializer
    filterset_class = ModelVersionFilter

    def get_queryset(self) -> Any:
        return model_version_list()


class ModelVersionDetailView(APIView):
    """One model version: status, training metrics, latest gate results, every transition."""

    @extend_schema(responses=ModelVersionDetailSerializer)
    def get(self, request: Request, version_id: int) -> Response:
        return Response(ModelVersionDetailSerializer(_version_or_404(version_id)).data)


class ModelChampionListView(APIView):
    """The live version (champion) of every asset group and horizon; a plain list."""

    @extend_schema(responses={200: ModelVersionOutputSerializer(many=True)})
    def get(self, request: Request) -> Response:
        return Response(ModelVersionOutputSerializer(model_version_champions(), many=True).data)


class ModelTransitionView(APIView):
    """Move a version to another status (operator; reason required; audited).

    Making a version live retires its group's champion. The automatic rule never
    overrides an operator's transition on that version.
    """

    permission_classes = (IsOperator,)

    @extend_schema(
        request=ModelTransitionInputSerializer, responses={200: ModelVersionDetailSerializer}
    )
    def post(self, request: Request, version_id: int) -> Response:
        version = _version_or_404(version_id)
        payload = ModelTransitionInputSerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        transition(
            version,
            payload.validated_data["status"],
            actor=request.user.get_username(),
            reason=payload.validated_data["reason"],
            manual=True,
        )
        return Response(ModelVersionDetailSerializer(_version_or_404(version_id)).data)


class ModelRollbackView(APIView):
    """Retire the champion of a group and horizon, restore the one before it (operator; audited)."""

    permission_classes = (IsOperator,)

    @extend_schema(
        request=ModelRollbackInputSerializer, responses={200: ModelRollbackOutputSerializer}
    )
    def post(self, request: Request) -> Response:
        payload = ModelRollbackInputSerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        retired, restored = rollback(
            payload.validated_data["asset_group"],
            payload.validated_data["horizon"],
            actor=request.user.get_username(),
            reason=payload.validated_data["reason"],
        )
        body = {
            "retired": _version_or_404(retired.pk),
            "restored": _version_or_404(restored.pk),
        }
        return Response(ModelRollbackOutputSerializer(body).data)
