"""Fan a forecast cycle out over workers, one task per asset group (no Django, no Celery).

The parent task (:func:`forecast_fanout_start`) makes sure the period's model version
exists — it looks it up in the shared registry and, when it is missing, trains it
itself under a Redis lock, so groups never train concurrently — then sends one
group task per asset group. Each group (:func:`forecast_group_run`) loads only its
assets' bars, predicts with that version and publishes. The group that finishes last
merges the outcomes and records the cycle (:func:`forecast_fanout_merge`).

Bookkeeping lives in Redis under ``<namespace>:forecast_fanout:<cycle id>`` (expiring
after a day). A group task is acknowledged only once done (``acks_late``) and is
re-queued when its worker dies; when it runs again it skips the forecasts already
published, and every forecast carries an id stable within the cycle, so consumers
storing by message id keep one copy even of a forecast re-published after a crash
between publishing and marking it.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
import os
import time
import uuid
from collections.abc import Callable, Mapping, Sequence
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING, Any

import structlog

if TYPE_CHECKING:
    from engines.forecast.engine import ForecastEngineConfig, LifecycleStore
    from engines.forecast.sources import BarLoader


class FanOutError(ValueError):
    """A fanned-out cycle cannot start; names the setting and the rule it breaks."""

    def __init__(self, *, field: str, rule: str, message: str) -> None:
        super().__init__(f"{field}: {message}")
        self.field = field
        self.rule = rule
        self.message = message


GroupDispatch = Callable[[list[dict[str, Any]]], None]
"""Sends one group task per keyword set (the backend sends Celery tasks)."""

logger = structlog.get_logger(__name__)

GROUP_SIZE_VARIABLE = "ATS_FORECAST_GROUP_SIZE"
BOOKKEEPING_SECONDS = 86_400
TRAINING_LOCK_SECONDS = 3_600


def _namespace() -> str:
    from signal_bus.redis_bus import NAMESPACE_VARIABLE

    return os.environ.get(NAMESPACE_VARIABLE, "").strip()


def cycle_key(cycle_id: str, part: str = "") -> str:
    """Return the Redis key of a cycle's bookkeeping (``part``: ``groups``, ``published``...)."""
    from signal_bus.channels import ChannelNames

    return ChannelNames(_namespace()).forecast_fanout_cycle(cycle_id, part)


def last_summary_key(horizon: str) -> str:
    """Return the Redis key holding the summary of the latest merged cycle of ``horizon``."""
    from signal_bus.channels import ChannelNames

    return ChannelNames(_namespace()).forecast_fanout_last(horizon)


_CONNECTION_VARIABLES = ("REDIS_URL", "REDIS_HOST", "REDIS_PORT", "REDIS_DB", "REDIS_PASSWORD")


@lru_cache(maxsize=4)
def _bus_for(settings: tuple[str, ...]) -> Any:
    from signal_bus import RedisBus

    return RedisBus.from_environment()


def _bus() -> Any:
    """Return this process's bus for the current connection settings (reused across tasks)."""
    return _bus_for(
        tuple(os.environ.get(name, "") for name in (*_CONNECTION_VARIABLES,)) + (_namespace(),)
    )


def _client() -> Any:
    return _bus().client


@lru_cache(maxsize=4)
def _load_version(folder: str, version: str) -> tuple[Any, Any]:
    from alpha_models.registry import ModelRegistry

    return ModelRegistry(Path(folder)).load(version)


def _group_size(group_size: int | None) -> int:
    from engines.forecast.fanout import FanOutConfig

    if group_size is None:
        group_size = int(os.environ.get(GROUP_SIZE_VARIABLE, "100"))
    return FanOutConfig(group_size=group_size).group_size


def period_version_ensure(
    *, horizon: str, now: dt.datetime, bar_loader: BarLoader | None = None
) -> tuple[str | None, int]:
    """Return the model version groups must use for the cycle at ``now`` and how many were trained.

    The version of the current period trained on the configured assets is looked up in
    the registry; when missing, it is trained here (a full walk-forward over every
    asset, publishing nothing) while holding a Redis lock, so two overlapping cycles
    do not train the same period twice. ``None`` means no version can be trained yet
    (too little history).
    """
    version, trained, _ = _period_version(horizon=horizon, now=now, bar_loader=bar_loader)
    return version, trained


def version_tradable(
    config: ForecastEngineConfig, version: str, lifecycle: LifecycleStore | None = None
) -> bool:
    """Whether the forecasts of a saved ``version`` trade.

    The lifecycle store's status when it knows the version (an operator may have
    retired or rolled it back since), else the promotion verdict recorded in the
    registry. A version trained before verdicts were recorded has none: it trades only
    when gating is off (``ATS_FORECAST_GATED=false``).
    """
    from alpha_models.registry import ModelRegistry
    from engines.forecast.engine import PROMOTION_DOCUMENT
    from risk_models.promotion import is_tradable

    if not config.gated:
        return True
    if lifecycle is not None:
        status = lifecycle.status_of(config.model, version)
        if status is not None:
            return is_tradable(status)
    record = ModelRegistry(config.registry_folder).document(version, PROMOTION_DOCUMENT)
    return bool(record is not None and record.get("tradable") is True)


def _period_version(
    *,
    horizon: str,
    now: dt.datetime,
    lifecycle: LifecycleStore | None = None,
    bar_loader: BarLoader | None = None,
) -> tuple[str | None, int, bool]:
    from alpha_models.schedule import period_start
    from engines.forecast.engine import ForecastEngine, config_from_environment
    from engines.forecast.fanout import data_time, period_version

    config = config_from_environment(horizon)
    engine = ForecastEngine(config, None, lifecycle=lifecycle, bar_loader=bar_loader)
    period = period_start(data_time(now, config.bars.security_type), config.retrain_frequency)

    def lookup() -> str | None:
        found = period_version(
            engine.registry.versions(model=config.model, horizon=horizon),
            model=config.model,
            horizon=horizon,
            period=period,
            assets=config.bars.symbols,
        )
        return None if found is None else found.version

    version = lookup() if config.bars.symbols else None
    if version is not None:
        return version, 0, version_tradable(config, version, lifecycle)
    from signal_bus.channels import ChannelNames

    lock_key = ChannelNames(_namespace()).forecast_fanout_training_lock(horizon)
    lock = _client().lock(lock_key, timeout=TRAINING_LOCK_SECONDS)
    with lock:
        version = lookup() if config.bars.symbols else None
        if version is not None:
            return version, 0, version_tradable(config, version, lifecycle)
        result = engine.run_cycle(now)
        current = engine.forecasters[0].current_version
        logger.info(
            "forecast_fanout_trained", horizon=horizon, versions_trained=result.versions_trained
        )
        if current is None:
            return None, result.versions_trained, False
        return (
            current.version,
            result.versions_trained,
            version_tradable(config, current.version, lifecycle),
        )


def forecast_fanout_start(
    *,
    horizon: str,
    now: dt.datetime,
    dispatch: GroupDispatch,
    group_size: int | None = None,
    lifecycle: LifecycleStore | None = None,
    bar_loader: BarLoader | None = None,
) -> dict[str, object]:
    """Start a fanned-out cycle: ensure the period's version, then send one task per asset group.

    ``dispatch`` receives the keyword arguments of every :func:`forecast_group_run` to start.
    ``bar_loader`` reads the ``database`` source (the group tasks get their own).
    Returns the cycle id, the version used, the number of groups and of versions trained.

    Raises
    ------
    FanOutError
        When the assets to forecast are not listed.
    """
    from engines.forecast.engine import config_from_environment
    from engines.forecast.fanout import asset_groups

    config = config_from_environment(horizon)
    size = _group_size(group_size)
    groups = asset_groups(config.bars.symbols, size)
    if not groups:
        raise FanOutError(
            field="ATS_FORECAST_SYMBOLS",
            rule="required",
            message="the fanned-out cycle needs the assets listed in ATS_FORECAST_SYMBOLS",
        )
    started = time.time()
    version, trained, tradable = _period_version(
        horizon=horizon, now=now, lifecycle=lifecycle, bar_loader=bar_loader
    )
    cycle_id = uuid.uuid4().hex
    expected = [f"{asset.upper()}:{horizon}" for group in groups for asset in group]
    client = _client()
    meta = cycle_key(cycle_id)
    client.hset(
        meta,
        mapping={
            "horizon": horizon,
            "group_count": len(groups),
            "expected": json.dumps(expected),
            "started": repr(started),
            "version": version or "",
            "tradable": "1" if tradable else "0",
        },
    )
    client.expire(meta, BOOKKEEPING_SECONDS)
    if version is not None:
        _context_store(cycle_id, config, version, now=now, loader=bar_loader)
    if version is None:
        for index, group in enumerate(groups):
            _group_record(cycle_id, index, (), tuple(f"{a.upper()}:{horizon}" for a in group))
    else:
        dispatch(
            [
                {
                    "cycle_id": cycle_id,
                    "group_index": index,
                    "horizon": horizon,
                    "now": now.isoformat(),
                    "version": version,
                    "assets": list(assets),
                }
                for index, assets in enumerate(groups)
            ]
        )
    logger.info(
        "forecast_fanout_started",
        cycle_id=cycle_id,
        horizon=horizon,
        groups=len(groups),
        version=version,
    )
    return {
        "cycle_id": cycle_id,
        "version": version,
        "tradable": tradable,
        "groups": len(groups),
        "versions_trained": trained,
    }


def forecast_group_run(
    *,
    cycle_id: str,
    group_index: int,
    horizon: str,
    now: dt.datetime,
    version: str,
    assets: Sequence[str],
    bar_loader: BarLoader | None = None,
) -> dict[str, object]:
    """Forecast and publish one asset group with ``version``; never trains.

    Assets whose newest bar falls in another period than ``version`` (or that have too
    few bars) are reported missing, and so are stale assets under the configuration's
    freshness rule (logged as ``forecast_asset_stale``). When the group fails, its assets
    are recorded as missing (so the cycle still merges) and the error is raised again.
    ``bar_loader`` reads the ``database`` source.
    """
    try:
        return _group_forecast(
            cycle_id=cycle_id,
            group_index=group_index,
            horizon=horizon,
            now=now,
            version=version,
            assets=assets,
            bar_loader=bar_loader,
        )
    except Exception:
        logger.exception("forecast_group_failed", cycle_id=cycle_id, group=group_index)
        missing = tuple(f"{asset.upper()}:{horizon}" for asset in assets)
        _group_record(cycle_id, group_index, (), missing)
        raise


def _group_forecast(
    *,
    cycle_id: str,
    group_index: int,
    horizon: str,
    now: dt.datetime,
    version: str,
    assets: Sequence[str],
    bar_loader: BarLoader | None = None,
) -> dict[str, object]:
    import numpy as np
    import pandas as pd

    from alpha_models.bars import BarPanel
    from alpha_models.features import uses_cross_section
    from alpha_models.live import LiveForecaster
    from alpha_models.schedule import period_start
    from engines.forecast.engine import config_from_environment
    from engines.forecast.fanout import decode_context, forecast_updates
    from engines.forecast.freshness import check_freshness, stale_assets_log
    from engines.forecast.sources import BarSourceError, load_bars

    client = _client()
    client.hincrby(cycle_key(cycle_id, "attempts"), str(group_index), 1)
    client.expire(cycle_key(cycle_id, "attempts"), BOOKKEEPING_SECONDS)
    config = config_from_environment(horizon)
    request = dataclasses.replace(config.bars, symbols=tuple(assets))
    rule = config.freshness
    skipped: frozenset[str] = frozenset()
    try:
        frames = load_bars(request, now=now, loader=bar_loader, allow_empty=rule is not None)
        if rule is not None:
            checked = check_freshness(
                frames,
                security_type=request.security_type,
                resolution=request.resolution,
                now=now,
                rule=rule,
            )
            stale_assets_log(
                checked.stale, rule=rule, horizons=horizon, cycle_id=cycle_id, group=group_index
            )
            frames, skipped = checked.frames, checked.stale_assets
        if not frames:
            raise BarSourceError(f"no complete bars for {', '.join(assets)}")
    except BarSourceError as error:
        logger.error(
            "forecast_group_failed", cycle_id=cycle_id, group=group_index, error=str(error)
        )
        missing_all = tuple(f"{asset.upper()}:{horizon}" for asset in assets)
        _group_record(cycle_id, group_index, (), missing_all)
        return {"group_index": group_index, "forecast": 0, "missing": list(missing_all)}
    model, metadata = _load_version(str(config.registry_folder), version)
    if uses_cross_section(metadata.features):
        # Cross-sectional features rank an asset among all the cycle's assets, as in
        # training: the group reads the others' bars too (those that fail are left out)
        # and publishes only its own assets.
        stored = client.get(cycle_key(cycle_id, "context"))
        own_names = {symbol.upper() for symbol in frames}
        context = (
            {s: f for s, f in decode_context(stored).items() if s.upper() not in own_names}
            if stored
            else _context_frames(config.bars, frames, now=now, loader=bar_loader)
        )
        if rule is not None and context:
            context = check_freshness(
                context,
                security_type=request.security_type,
                resolution=request.resolution,
                now=now,
                rule=rule,
            ).frames
        frames = {**context, **frames}
    panel = BarPanel.from_frames(frames)
    settings = config.walk_forward_configs()[0]
    forecaster = LiveForecaster(settings, registry=None)
    ends = panel.end_times_ns()
    known = ends[ends != np.iinfo(np.int64).min]
    same_period = known.size > 0 and period_start(
        pd.Timestamp(int(known.max())), settings.retrain_frequency
    ) == pd.Timestamp(metadata.valid_from)
    updates = []
    if same_period:
        forecaster.use(model, metadata)
        # The version's promotion verdict, recorded when the cycle started.
        tradable = client.hget(cycle_key(cycle_id), "tradable") == b"1"
        latest = forecaster.forecast_latest(panel)
        own = {asset.upper() for asset in assets}
        latest = latest.loc[latest["symbol"].astype(str).str.upper().isin(own)]
        if skipped and not latest.empty:
            latest = latest.loc[~latest["symbol"].astype(str).str.upper().isin(skipped)]
        updates = forecast_updates(
            latest.assign(tradable=tradable),
            now=now,
            model=config.model,
            security_type=config.bars.security_type,
            cycle_id=cycle_id,
        )
    published_key = cycle_key(cycle_id, "published")
    already = {member.decode() for member in client.smembers(published_key)}
    bus = _bus()
    for update in updates:
        if update.key in already:
            continue
        bus.publish(update)
        client.sadd(published_key, update.key)
    client.expire(published_key, BOOKKEEPING_SECONDS)
    made = tuple(update.key for update in updates)
    missing = tuple(
        key for key in (f"{asset.upper()}:{horizon}" for asset in assets) if key not in set(made)
    )
    _group_record(cycle_id, group_index, made, missing)
    return {"group_index": group_index, "forecast": len(made), "missing": list(missing)}


CONTEXT_BARS = 260
"""Trailing bars of the universe a cross-sectional cycle stores for its groups (more than
the live forecaster's window of 200)."""


def _context_store(
    cycle_id: str,
    config: Any,
    version: str,
    *,
    now: dt.datetime,
    loader: BarLoader | None,
) -> None:
    """Read the universe's trailing bars once and store them for the cycle's groups, when
    the version ranks assets against each other (else the groups need only their own)."""
    from alpha_models.features import uses_cross_section
    from engines.forecast.fanout import encode_context
    from engines.forecast.sources import BarSourceError, load_bars

    _, metadata = _load_version(str(config.registry_folder), version)
    if not uses_cross_section(metadata.features):
        return
    try:
        frames = load_bars(config.bars, now=now, loader=loader, allow_empty=True)
    except BarSourceError as error:
        # the groups read what they can themselves
        logger.warning("forecast_fanout_context_unavailable", cycle_id=cycle_id, error=str(error))
        return
    frames = {symbol: frame for symbol, frame in frames.items() if not frame.empty}
    key = cycle_key(cycle_id, "context")
    _client().set(key, encode_context(frames, CONTEXT_BARS), ex=BOOKKEEPING_SECONDS)


def _context_frames(
    request: Any, own: Mapping[str, Any], *, now: dt.datetime, loader: BarLoader | None
) -> dict[str, Any]:
    """Bars of the cycle's other assets; those that cannot be read are left out."""
    from engines.forecast.sources import BarSourceError, load_bars

    others = tuple(
        symbol for symbol in request.symbols if symbol.upper() not in {s.upper() for s in own}
    )
    if not others:
        return {}
    try:
        frames = load_bars(
            dataclasses.replace(request, symbols=others), now=now, loader=loader, allow_empty=True
        )
    except BarSourceError:
        frames = {}
        for symbol in others:
            try:
                frames.update(
                    load_bars(
                        dataclasses.replace(request, symbols=(symbol,)),
                        now=now,
                        loader=loader,
                        allow_empty=True,
                    )
                )
            except BarSourceError as error:
                logger.warning("forecast_group_context_missing", asset=symbol, error=str(error))
    return {symbol: frame for symbol, frame in frames.items() if not frame.empty}


def _group_record(
    cycle_id: str, group_index: int, made: tuple[str, ...], missing: tuple[str, ...]
) -> None:
    from engines.forecast.fanout import GroupOutcome

    client = _client()
    groups_key = cycle_key(cycle_id, "groups")
    outcome = GroupOutcome(group_index, made, missing)
    client.hset(groups_key, str(group_index), json.dumps(outcome.to_dict()))
    client.expire(groups_key, BOOKKEEPING_SECONDS)
    total = client.hget(cycle_key(cycle_id), "group_count")
    if total is None:
        logger.warning("forecast_fanout_cycle_unknown", cycle_id=cycle_id, group=group_index)
        return
    if client.hlen(groups_key) >= int(total) and client.set(
        cycle_key(cycle_id, "merged"), b"1", nx=True, ex=BOOKKEEPING_SECONDS
    ):
        forecast_fanout_merge(cycle_id=cycle_id)


def forecast_fanout_merge(*, cycle_id: str) -> dict[str, object]:
    """Merge the groups' outcomes of ``cycle_id``, record the cycle's metrics and store its summary."""
    from engines.forecast.fanout import GroupOutcome, merge_outcomes
    from engines.observability.metrics import forecast_cycle_observe

    client = _client()
    meta = {
        key.decode(): value.decode() for key, value in client.hgetall(cycle_key(cycle_id)).items()
    }
    outcomes = [
        GroupOutcome.from_dict(json.loads(raw))
        for raw in client.hgetall(cycle_key(cycle_id, "groups")).values()
    ]
    horizon = meta["horizon"]
    summary = merge_outcomes(
        outcomes,
        horizon=horizon,
        expected=json.loads(meta["expected"]),
        started=float(meta["started"]),
        finished=time.time(),
    )
    document = {"cycle_id": cycle_id, "version": meta.get("version") or None, **summary.to_dict()}
    encoded = json.dumps(document)
    client.set(cycle_key(cycle_id, "summary"), encoded, ex=BOOKKEEPING_SECONDS)
    client.set(last_summary_key(horizon), encoded)
    forecast_cycle_observe(
        horizon=horizon,
        duration_seconds=summary.duration_seconds,
        asset_count=summary.forecast_count,
        finished_at=dt.datetime.now(dt.UTC),
    )
    logger.info(
        "forecast_fanout_merged",
        cycle_id=cycle_id,
        horizon=horizon,
        forecast=summary.forecast_count,
        missing=len(summary.missing),
        duration_seconds=round(summary.duration_seconds, 3),
    )
    return document


def cycle_summary(cycle_id: str) -> dict[str, object] | None:
    """Return the merged summary of ``cycle_id``, or ``None`` while groups are still running."""
    raw = _client().get(cycle_key(cycle_id, "summary"))
    return None if raw is None else dict(json.loads(raw))
