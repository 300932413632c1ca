"""The REST API under ``/api/``."""

from __future__ import annotations

from django.urls import path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerView

from backend.accounts.views import CurrentUserView, LoginView, LogoutView, RefreshView
from backend.audit.views import AuditEventListView
from backend.backtests.views import BacktestDetailView, BacktestListImportView, PerformanceView
from backend.execution.views import ExecutionEventsView, OrderListView, PortfolioView
from backend.forecasts.views import (
    AssetListView,
    ForecastListCreateView,
    ModelChampionListView,
    ModelRollbackView,
    ModelTransitionView,
    ModelVersionDetailView,
    ModelVersionListView,
    SignalLatestView,
    SignalListView,
)
from backend.market.views import (
    BarListView,
    FeedDetailView,
    FeedListCreateView,
    FeedRunListView,
    FeedRunStartView,
    RefusedBarListView,
)
from backend.risk.views import RearmView, RiskCurrentView, RiskHistoryView
from backend.strategy.views import StrategyConfigHistoryView, StrategyConfigView

urlpatterns = [
    path("schema/", SpectacularAPIView.as_view(), name="schema"),
    path("docs/", SpectacularSwaggerView.as_view(url_name="schema"), name="docs"),
    path("auth/token/", LoginView.as_view(), name="token_obtain_pair"),
    path("auth/token/refresh/", RefreshView.as_view(), name="token_refresh"),
    path("auth/logout/", LogoutView.as_view(), name="auth_logout"),
    path("auth/me/", CurrentUserView.as_view(), name="auth_me"),
    path("forecasts/", ForecastListCreateView.as_view(), name="forecasts"),
    path("signals/", SignalListView.as_view(), name="signals"),
    path("signals/latest/", SignalLatestView.as_view(), name="signals_latest"),
    path("assets/", AssetListView.as_view(), name="assets"),
    path("models/", ModelVersionListView.as_view(), name="models"),
    path("models/champions/", ModelChampionListView.as_view(), name="model_champions"),
    path("models/rollback/", ModelRollbackView.as_view(), name="model_rollback"),
    path("models/<int:version_id>/", ModelVersionDetailView.as_view(), name="model_detail"),
    path(
        "models/<int:version_id>/transition/",
        ModelTransitionView.as_view(),
        name="model_transition",
    ),
    path("market/bars/", BarListView.as_view(), name="market_bars"),
    path("market/feeds/", FeedListCreateView.as_view(), name="market_feeds"),
    path("market/feeds/<str:name>/", FeedDetailView.as_view(), name="market_feed_detail"),
    path("market/feeds/<str:name>/runs/", FeedRunListView.as_view(), name="market_feed_runs"),
    path("market/feeds/<str:name>/run/", FeedRunStartView.as_view(), name="market_feed_run"),
    path("market/refused-bars/", RefusedBarListView.as_view(), name="market_refused_bars"),
    path("risk/", RiskCurrentView.as_view(), name="risk"),
    path("risk/history/", RiskHistoryView.as_view(), name="risk_history"),
    path("risk/rearm/", RearmView.as_view(), name="risk_rearm"),
    path("performance/", PerformanceView.as_view(), name="performance"),
    path("strategy/config/", StrategyConfigView.as_view(), name="strategy_config"),
    path(
        "strategy/config/history/",
        StrategyConfigHistoryView.as_view(),
        name="strategy_config_history",
    ),
    path("execution/orders/", OrderListView.as_view(), name="execution_orders"),
    path("execution/portfolio/", PortfolioView.as_view(), name="execution_portfolio"),
    path("execution/events/", ExecutionEventsView.as_view(), name="execution_events"),
    path("backtests/", BacktestListImportView.as_view(), name="backtests"),
    path("backtests/<int:backtest_id>/", BacktestDetailView.as_view(), name="backtest_detail"),
    path("audit/", AuditEventListView.as_view(), name="audit"),
]
