"""HTTP client of the backend's REST API: JWT login and refresh, typed results, clear errors."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, cast

import httpx

from .errors import (
    AuthenticationFailed,
    BackendUnavailable,
    FieldError,
    NotFound,
    PermissionDenied,
    SessionExpired,
    ValidationFailed,
)
from .records import (
    AssetRecord,
    BacktestDetailRecord,
    BacktestSummaryRecord,
    BarRecord,
    ConfigChangeRecord,
    ConfigEntryRecord,
    FeedRecord,
    ForecastRecord,
    ModelRollbackRecord,
    ModelVersionDetailRecord,
    ModelVersionRecord,
    PerformanceRecord,
    PortfolioRecord,
    RearmRecord,
    RiskCurrentRecord,
    RiskDecisionRecord,
    SignalRecord,
)

OPERATOR_ROLE = "operator"
VIEWER_ROLE = "viewer"
SERVICE_ROLE = "service"
PAGE_SIZE = 1000


@dataclass
class BackendSession:
    """One logged-in user: the JWT pair (refreshed in place) and the roles found at login."""

    username: str
    access_token: str
    refresh_token: str
    roles: frozenset[str] = field(default_factory=frozenset)

    @property
    def is_operator(self) -> bool:
        """Whether the user may change things (re-arm, configure, import)."""
        return OPERATOR_ROLE in self.roles

    @property
    def may_import_backtests(self) -> bool:
        """Whether the user may import a LEAN result file."""
        return bool(self.roles & {OPERATOR_ROLE, SERVICE_ROLE})


def _iso(moment: datetime | None) -> str | None:
    return None if moment is None else moment.isoformat()


class BackendClient:
    """Talks to the backend under ``<base_url>/api/``; one instance serves every user.

    The client holds the connection pool only; each call takes the user's
    :class:`BackendSession`, whose access token is refreshed in place once when the
    backend answers 401.

    Parameters
    ----------
    base_url
        The backend's address, e.g. ``http://127.0.0.1:8000``.
    timeout_seconds
        Timeout of one request.
    transport
        An httpx transport (for tests); the default opens real connections.
    """

    def __init__(
        self,
        *,
        base_url: str,
        timeout_seconds: float = 10.0,
        transport: httpx.BaseTransport | None = None,
    ) -> None:
        self.base_url = base_url.rstrip("/")
        self._http = httpx.Client(
            base_url=f"{self.base_url}/api/", timeout=timeout_seconds, transport=transport
        )

    def close(self) -> None:
        """Close the connection pool."""
        self._http.close()

    # ------------------------------------------------------------------ transport
    def _send(
        self,
        method: str,
        path: str,
        *,
        token: str | None = None,
        params: Mapping[str, Any] | None = None,
        body: Any = None,
    ) -> httpx.Response:
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        clean = {key: value for key, value in (params or {}).items() if value is not None}
        try:
            return self._http.request(
                method, path, params=clean or None, json=body, headers=headers
            )
        except httpx.HTTPError as error:
            raise BackendUnavailable(
                f"The backend at {self.base_url} cannot be reached ({type(error).__name__})."
            ) from error

    @staticmethod
    def _detail(response: httpx.Response) -> str:
        try:
            document = response.json()
        except ValueError:
            return response.text[:200]
        if isinstance(document, dict) and "detail" in document:
            return str(document["detail"])
        return str(document)[:200]

    def _raise_for(self, response: httpx.Response) -> None:
        status = response.status_code
        if status < 400:
            return
        if status == 400:
            try:
                document = response.json()
            except ValueError:
                document = {}
            errors = [
                FieldError(
                    field=str(item.get("field", "body")),
                    rule=str(item.get("rule", "invalid")),
                    message=str(item.get("message", "")),
                )
                for item in (document.get("errors") or [])
                if isinstance(item, dict)
            ]
            detail = str(document.get("detail", "")) if isinstance(document, dict) else ""
            raise ValidationFailed(errors or [FieldError("body", "invalid", detail)], detail)
        if status == 401:
            raise SessionExpired("Your session expired; log in again.")
        if status == 403:
            raise PermissionDenied(self._detail(response))
        if status == 404:
            raise NotFound(self._detail(response))
        if status >= 500:
            raise BackendUnavailable(f"The backend answered {status}: {self._detail(response)}")
        raise BackendUnavailable(f"Unexpected answer {status}: {self._detail(response)}")

    def _call(
        self,
        session: BackendSession,
        method: str,
        path: str,
        *,
        params: Mapping[str, Any] | None = None,
        body: Any = None,
    ) -> Any:
        response = self._send(method, path, token=session.access_token, params=params, body=body)
        if response.status_code == 401:
            self.refresh(session)
            response = self._send(
                method, path, token=session.access_token, params=params, body=body
            )
        self._raise_for(response)
        if response.status_code == 204 or not response.content:
            return None
        return response.json()

    def _collect(
        self,
        session: BackendSession,
        path: str,
        *,
        params: Mapping[str, Any] | None = None,
        limit: int = PAGE_SIZE,
    ) -> list[Any]:
        """Follow ``next`` links until ``limit`` rows are read."""
        query: dict[str, Any] = {**(params or {}), "page_size": min(limit, PAGE_SIZE)}
        document = self._call(session, "GET", path, params=query)
        rows: list[Any] = list(document.get("results", []))
        while len(rows) < limit and document.get("next"):
            next_url = httpx.URL(str(document["next"]))
            document = self._call(
                session, "GET", next_url.path.split("/api/", 1)[1], params=dict(next_url.params)
            )
            rows.extend(document.get("results", []))
        return rows[:limit]

    # ------------------------------------------------------------------ authentication
    def login(self, username: str, password: str) -> BackendSession:
        """Obtain a JWT pair and find the user's roles.

        Raises
        ------
        AuthenticationFailed
            When the credentials are wrong, or the user holds no role.
        BackendUnavailable
            When the backend cannot be reached.
        """
        if not username or not password:
            raise AuthenticationFailed("Give a username and a password.")
        response = self._send(
            "POST", "auth/token/", body={"username": username, "password": password}
        )
        if response.status_code in (400, 401):
            raise AuthenticationFailed("Wrong username or password.")
        self._raise_for(response)
        tokens = response.json()
        session = BackendSession(
            username=username, access_token=tokens["access"], refresh_token=tokens["refresh"]
        )
        session.roles = self.roles_discover(session)
        if not session.roles:
            raise AuthenticationFailed(
                "This user holds none of the roles viewer, operator or service; "
                "ask an administrator for one."
            )
        return session

    def refresh(self, session: BackendSession) -> None:
        """Replace the session's access token; raise :class:`SessionExpired` when refused."""
        response = self._send(
            "POST", "auth/token/refresh/", body={"refresh": session.refresh_token}
        )
        if response.status_code in (400, 401):
            raise SessionExpired("Your session expired; log in again.")
        self._raise_for(response)
        tokens = response.json()
        session.access_token = tokens["access"]
        if "refresh" in tokens:
            session.refresh_token = tokens["refresh"]

    def roles_discover(self, session: BackendSession) -> frozenset[str]:
        """The user's roles, as the backend's ``GET auth/me/`` states them."""
        document = self._call(session, "GET", "auth/me/")
        roles = document.get("roles") if isinstance(document, dict) else None
        if not isinstance(roles, list):
            raise BackendUnavailable("The backend's auth/me/ answer has no list of roles.")
        return frozenset(str(role) for role in roles)

    # ------------------------------------------------------------------ reads
    def forecasts(
        self,
        session: BackendSession,
        *,
        asset: str | None = None,
        horizon: str | None = None,
        since: datetime | None = None,
        until: datetime | None = None,
        limit: int = PAGE_SIZE,
    ) -> list[ForecastRecord]:
        """Forecasts, newest first."""
        params = {"asset": asset, "horizon": horizon, "since": _iso(since), "until": _iso(until)}
        return cast(
            list[ForecastRecord], self._collect(session, "forecasts/", params=params, limit=limit)
        )

    def signals(
        self,
        session: BackendSession,
        *,
        asset: str | None = None,
        horizon: str | None = None,
        since: datetime | None = None,
        limit: int = PAGE_SIZE,
    ) -> list[SignalRecord]:
        """Signals, newest first."""
        params = {"asset": asset, "horizon": horizon, "since": _iso(since)}
        return cast(
            list[SignalRecord], self._collect(session, "signals/", params=params, limit=limit)
        )

    def signals_latest(
        self, session: BackendSession, *, asset: str | None = None, horizon: str | None = None
    ) -> list[SignalRecord]:
        """The newest signal of every asset and horizon, sorted by asset then horizon."""
        params = {"asset": asset, "horizon": horizon}
        return cast(
            list[SignalRecord], self._call(session, "GET", "signals/latest/", params=params)
        )

    def assets(self, session: BackendSession) -> list[AssetRecord]:
        """Every asset with forecasts: its horizons, oldest and newest forecast times."""
        return cast(list[AssetRecord], self._call(session, "GET", "assets/"))

    def bars(
        self,
        session: BackendSession,
        *,
        asset: str,
        interval: str,
        since: datetime | None = None,
        until: datetime | None = None,
        limit: int = 10_000,
    ) -> list[BarRecord]:
        """Price bars of ``asset``; raises :class:`NotFound` when the backend serves none."""
        params = {"asset": asset, "interval": interval, "since": _iso(since), "until": _iso(until)}
        return cast(
            list[BarRecord], self._collect(session, "market/bars/", params=params, limit=limit)
        )

    def feeds(self, session: BackendSession) -> list[FeedRecord]:
        """Every market-data feed with its state: per series the last bar, lag, gaps, refusals."""
        return cast(list[FeedRecord], self._collect(session, "market/feeds/"))

    def risk_current(self, session: BackendSession) -> RiskCurrentRecord:
        """The current risk factor, state, reasons and breakers."""
        return cast(RiskCurrentRecord, self._call(session, "GET", "risk/"))

    def risk_history(
        self, session: BackendSession, *, since: datetime | None = None, limit: int = PAGE_SIZE
    ) -> list[RiskDecisionRecord]:
        """Risk decisions, newest first."""
        rows = self._collect(session, "risk/history/", params={"since": _iso(since)}, limit=limit)
        return cast(list[RiskDecisionRecord], rows)

    def rearm(self, session: BackendSession, *, breaker: str, reason: str) -> RearmRecord:
        """Re-arm a tripped breaker (operator)."""
        body = {"breaker": breaker, "reason": reason}
        return cast(RearmRecord, self._call(session, "POST", "risk/rearm/", body=body))

    def performance(
        self, session: BackendSession, *, backtest_id: int | None = None
    ) -> PerformanceRecord:
        """Equity, drawdown, returns and statistics of live trading or one backtest."""
        params = {"backtest": backtest_id}
        return cast(PerformanceRecord, self._call(session, "GET", "performance/", params=params))

    def portfolio(self, session: BackendSession, *, limit: int = 100) -> PortfolioRecord:
        """The latest portfolio snapshot and the ones before it."""
        return cast(
            PortfolioRecord,
            self._call(session, "GET", "execution/portfolio/", params={"limit": limit}),
        )

    def strategy_config(self, session: BackendSession) -> list[ConfigEntryRecord]:
        """Every configuration key with its value, type and allowed range."""
        return cast(list[ConfigEntryRecord], self._call(session, "GET", "strategy/config/"))

    def strategy_config_update(
        self, session: BackendSession, *, values: Mapping[str, Any], reason: str
    ) -> list[ConfigChangeRecord]:
        """Change some keys (operator); returns the changes written."""
        document = self._call(
            session, "PUT", "strategy/config/", body={"values": dict(values), "reason": reason}
        )
        return cast(list[ConfigChangeRecord], document["changes"])

    def strategy_config_history(
        self, session: BackendSession, *, limit: int = 200
    ) -> list[ConfigChangeRecord]:
        """Configuration changes, newest first."""
        rows = self._collect(session, "strategy/config/history/", limit=limit)
        return cast(list[ConfigChangeRecord], rows)

    def backtests(self, session: BackendSession) -> list[BacktestSummaryRecord]:
        """Imported LEAN runs, newest first."""
        return cast(list[BacktestSummaryRecord], self._collect(session, "backtests/", limit=500))

    def backtest(self, session: BackendSession, backtest_id: int) -> BacktestDetailRecord:
        """One imported run with its equity curve and orders."""
        return cast(BacktestDetailRecord, self._call(session, "GET", f"backtests/{backtest_id}/"))

    def backtest_import(
        self, session: BackendSession, *, name: str, document: Any
    ) -> BacktestDetailRecord:
        """Import a LEAN result document under ``name`` (operator or service)."""
        body = {"name": name, "result": document}
        return cast(BacktestDetailRecord, self._call(session, "POST", "backtests/", body=body))

    def model_versions(
        self,
        session: BackendSession,
        *,
        status: str | None = None,
        asset_group: str | None = None,
        horizon: str | None = None,
        model: str | None = None,
        limit: int = 5000,
    ) -> list[ModelVersionRecord]:
        """Model versions with their lifecycle status (the backend orders them by model, version)."""
        params = {"status": status, "asset_group": asset_group, "horizon": horizon, "model": model}
        rows = self._collect(session, "models/", params=params, limit=limit)
        return cast(list[ModelVersionRecord], rows)

    def model_version(self, session: BackendSession, version_id: int) -> ModelVersionDetailRecord:
        """One version: training record, the rule's latest gate verdict, every transition."""
        return cast(ModelVersionDetailRecord, self._call(session, "GET", f"models/{version_id}/"))

    def model_champions(self, session: BackendSession) -> list[ModelVersionRecord]:
        """The live version of every asset group and horizon."""
        return cast(list[ModelVersionRecord], self._call(session, "GET", "models/champions/"))

    def model_transition(
        self, session: BackendSession, version_id: int, *, status: str, reason: str
    ) -> ModelVersionDetailRecord:
        """Move a version to ``status`` (operator); returns the version as it is now."""
        body = {"status": status, "reason": reason}
        return cast(
            ModelVersionDetailRecord,
            self._call(session, "POST", f"models/{version_id}/transition/", body=body),
        )

    def model_rollback(
        self, session: BackendSession, *, asset_group: str, horizon: str, reason: str
    ) -> ModelRollbackRecord:
        """Retire the champion of a group and horizon, make the one before it live (operator)."""
        body = {"asset_group": asset_group, "horizon": horizon, "reason": reason}
        return cast(ModelRollbackRecord, self._call(session, "POST", "models/rollback/", body=body))
