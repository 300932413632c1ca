"""Risk endpoints: current verdict, history, re-arm."""

from __future__ import annotations

from typing import Any

from drf_spectacular.utils import extend_schema
from rest_framework import generics, status
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from backend.common.api.permissions import IsOperator

from .filters import RiskDecisionFilter
from .selectors import risk_current, risk_decision_list
from .serializers import (
    RearmInputSerializer,
    RearmOutputSerializer,
    RiskCurrentOutputSerializer,
    RiskDecisionOutputSerializer,
)
from .services import risk_rearm


class RiskCurrentView(APIView):
    """The current risk factor, state, reasons and breakers."""

    @extend_schema(responses=RiskCurrentOutputSerializer)
    def get(self, request: Request) -> Response:
        return Response(RiskCurrentOutputSerializer(risk_current()).data)


class RiskHistoryView(generics.ListAPIView):
    """Every recorded risk decision, newest first."""

    serializer_class = RiskDecisionOutputSerializer
    filterset_class = RiskDecisionFilter

    def get_queryset(self) -> Any:
        return risk_decision_list()


class RearmView(APIView):
    """Re-arm a tripped breaker (operator; reason required; audited and published)."""

    permission_classes = (IsOperator,)

    @extend_schema(request=RearmInputSerializer, responses={201: RearmOutputSerializer})
    def post(self, request: Request) -> Response:
        payload = RearmInputSerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        rearm = risk_rearm(
            breaker=payload.validated_data["breaker"],
            reason=payload.validated_data["reason"],
            user=request.user,
        )
        return Response(RearmOutputSerializer(rearm).data, status=status.HTTP_201_CREATED)
