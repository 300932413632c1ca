"""Backtest import and reads; performance of live trading or a backtest."""

from __future__ import annotations

from typing import Any

from django.http import Http404
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import generics, status
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from backend.common.api.permissions import IsOperatorOrService
from backend.common.api.views import ReadAnyRoleWriteRestricted
from backend.common.exceptions import InvalidInput

from .selectors import backtest_get, backtest_list, performance_get
from .serializers import (
    BacktestDetailOutputSerializer,
    BacktestImportInputSerializer,
    BacktestSummaryOutputSerializer,
    PerformanceOutputSerializer,
    PerformanceQuerySerializer,
)
from .services import backtest_import


class BacktestListImportView(ReadAnyRoleWriteRestricted, generics.ListAPIView):
    """List imported runs; operators and services import LEAN result files."""

    serializer_class = BacktestSummaryOutputSerializer
    write_permission_classes = (IsOperatorOrService,)

    def get_queryset(self) -> Any:
        return backtest_list()

    @extend_schema(
        request=BacktestImportInputSerializer,
        responses={201: BacktestDetailOutputSerializer, 200: BacktestDetailOutputSerializer},
    )
    def post(self, request: Request) -> Response:
        data = request.data
        if isinstance(data, dict) and "result" in data:
            payload = BacktestImportInputSerializer(data=data)
            payload.is_valid(raise_exception=True)
            name, document = payload.validated_data["name"], payload.validated_data["result"]
        else:
            name = request.query_params.get("name", "")
            if not name:
                raise InvalidInput(
                    field="name",
                    rule="required",
                    message="give name (in the body with result, or ?name=)",
                )
            document = data
        try:
            run, created = backtest_import(
                document=document, name=name, imported_by=request.user.get_username()
            )
        except InvalidInput as error:
            if document is data or error.field == "name":
                raise
            # The result was given under "result": name its fields from the body's top.
            field = "result" if error.field == "body" else f"result.{error.field}"
            raise InvalidInput(field=field, rule=error.rule, message=error.message) from None
        detailed = backtest_get(backtest_id=run.pk)
        return Response(
            BacktestDetailOutputSerializer(detailed).data,
            status=status.HTTP_201_CREATED if created else status.HTTP_200_OK,
        )


class BacktestDetailView(APIView):
    """One imported run: statistics, equity curve, orders."""

    @extend_schema(responses=BacktestDetailOutputSerializer)
    def get(self, request: Request, backtest_id: int) -> Response:
        run = backtest_get(backtest_id=backtest_id) if 0 < backtest_id < 2**63 else None
        if run is None:
            raise Http404("no such backtest")
        return Response(BacktestDetailOutputSerializer(run).data)


class PerformanceView(APIView):
    """Equity curve, drawdown, returns and statistics of live trading or of ``?backtest=<id>``."""

    @extend_schema(
        parameters=[
            OpenApiParameter("backtest", int, required=False),
            OpenApiParameter("account", str, required=False),
        ],
        responses=PerformanceOutputSerializer,
    )
    def get(self, request: Request) -> Response:
        query = PerformanceQuerySerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        result = performance_get(
            backtest_id=query.validated_data.get("backtest"),
            account=query.validated_data["account"],
        )
        if result is None:
            raise Http404("no such backtest")
        return Response(PerformanceOutputSerializer(result).data)
