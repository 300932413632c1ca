"""Strategy configuration endpoints."""

from __future__ import annotations

from typing import Any

from drf_spectacular.utils import extend_schema
from rest_framework import generics
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from backend.common.api.permissions import HasAnyRole, IsOperator

from .selectors import strategy_config_change_list, strategy_config_current
from .serializers import (
    ConfigChangeOutputSerializer,
    ConfigEntryOutputSerializer,
    ConfigUpdateInputSerializer,
    ConfigUpdateOutputSerializer,
)
from .services import strategy_config_update


class StrategyConfigView(APIView):
    """Read every parameter; the operator changes some (validated, historised, published)."""

    def get_permissions(self) -> list[Any]:
        return [IsOperator()] if self.request.method == "PUT" else [HasAnyRole()]

    @extend_schema(responses=ConfigEntryOutputSerializer(many=True))
    def get(self, request: Request) -> Response:
        return Response(ConfigEntryOutputSerializer(strategy_config_current(), many=True).data)

    @extend_schema(request=ConfigUpdateInputSerializer, responses=ConfigUpdateOutputSerializer)
    def put(self, request: Request) -> Response:
        payload = ConfigUpdateInputSerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        changes = strategy_config_update(
            values=payload.validated_data["values"],
            changed_by=request.user.get_username(),
            reason=payload.validated_data["reason"],
        )
        return Response(
            ConfigUpdateOutputSerializer(
                {"changes": changes, "config": strategy_config_current()}
            ).data
        )


class StrategyConfigHistoryView(generics.ListAPIView):
    """The append-only change history, newest first."""

    serializer_class = ConfigChangeOutputSerializer

    def get_queryset(self) -> Any:
        return strategy_config_change_list()
