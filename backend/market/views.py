"""Market bar, feed, feed run and refused bar endpoints."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from django.http import Http404
from drf_spectacular.utils import extend_schema
from rest_framework import generics, status
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from backend.common.api.pagination import TimeCursorPagination
from backend.common.api.permissions import IsOperator
from backend.common.api.views import ReadAnyRoleWriteRestricted

from .filters import BarFilter, FeedRunFilter, RefusedBarFilter
from .models import Feed, FeedRun
from .selectors import bar_rows, feed_get, feed_list, feed_run_list, refused_bar_list
from .serializers import (
    BarOutputSerializer,
    FeedInputSerializer,
    FeedOutputSerializer,
    FeedRunOutputSerializer,
    FeedRunStartedSerializer,
    RefusedBarOutputSerializer,
    bar_row_output,
)
from .services import feed_create, feed_update


class BarListView(generics.ListAPIView):
    """List OHLCV bars (``timestamp`` is the bar's end), newest first, cursor pagination."""

    serializer_class = BarOutputSerializer
    filterset_class = BarFilter
    pagination_class = TimeCursorPagination

    def get_queryset(self) -> Any:
        return bar_rows()

    def list(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        # Rows go straight from the database cursor to JSON: year-long pages stay cheap.
        page = self.paginate_queryset(self.filter_queryset(self.get_queryset()))
        return self.get_paginated_response([bar_row_output(row) for row in page or []])


# ---------------------------------------------------------------- feeds


def _feed_or_404(name: str) -> Feed:
    feed = feed_get(name=name)
    if feed is None:
        raise Http404(f"no feed named {name[:64]!r}")
    return feed


def _feed_body(feed: Feed) -> Any:
    return FeedOutputSerializer(feed, context={"now": datetime.now(UTC)}).data


class FeedListCreateView(ReadAnyRoleWriteRestricted, generics.ListAPIView):
    """Feeds with their status (any role); create one (operator; audited, scheduled at once)."""

    serializer_class = FeedOutputSerializer
    write_permission_classes = (IsOperator,)

    def get_queryset(self) -> Any:
        return feed_list()

    def get_serializer_context(self) -> dict[str, Any]:
        return {**super().get_serializer_context(), "now": datetime.now(UTC)}

    @extend_schema(request=FeedInputSerializer, responses={201: FeedOutputSerializer})
    def post(self, request: Request) -> Response:
        payload = FeedInputSerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        feed = feed_create(actor=request.user.get_username(), values=dict(payload.validated_data))
        return Response(_feed_body(feed), status=status.HTTP_201_CREATED)


class FeedDetailView(ReadAnyRoleWriteRestricted, APIView):
    """One feed with its status (any role); change its settings (operator; audited)."""

    write_permission_classes = (IsOperator,)

    @extend_schema(responses=FeedOutputSerializer)
    def get(self, request: Request, name: str) -> Response:
        return Response(_feed_body(_feed_or_404(name)))

    @extend_schema(request=FeedInputSerializer, responses=FeedOutputSerializer)
    def patch(self, request: Request, name: str) -> Response:
        feed = _feed_or_404(name)
        payload = FeedInputSerializer(data=request.data, partial=True)
        payload.is_valid(raise_exception=True)
        feed = feed_update(
            feed=feed, actor=request.user.get_username(), changes=dict(payload.validated_data)
        )
        return Response(_feed_body(feed))


class FeedRunListView(generics.ListAPIView):
    """A feed's ingestion runs, newest first (filters ``status``, ``trigger``)."""

    serializer_class = FeedRunOutputSerializer
    filterset_class = FeedRunFilter

    def get_queryset(self) -> Any:
        if getattr(self, "swagger_fake_view", False):  # the schema generator has no feed
            return FeedRun.objects.none()
        return feed_run_list(feed=_feed_or_404(self.kwargs["name"])).select_related("feed")


class FeedRunStartView(APIView):
    """Queue an ingestion run of a feed now (operator); 202."""

    permission_classes = (IsOperator,)

    @extend_schema(request=None, responses={202: FeedRunStartedSerializer})
    def post(self, request: Request, name: str) -> Response:
        from .tasks import ingest_feed

        feed = _feed_or_404(name)
        ingest_feed.delay(feed.name)
        return Response({"feed": feed.name, "queued": True}, status=status.HTTP_202_ACCEPTED)


class RefusedBarListView(generics.ListAPIView):
    """Bars the ingestion refused, with reason and message (filters ``feed``, ``symbol``,
    ``reason``, ``resolution``, ``since``/``until`` on when they were last seen)."""

    serializer_class = RefusedBarOutputSerializer
    filterset_class = RefusedBarFilter

    def get_queryset(self) -> Any:
        return refused_bar_list()
