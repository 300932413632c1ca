"""Options shared by the ``ats`` commands.

Each option that several commands take with the same meaning is declared here once: the
signal-bus connection (``bus_options``), the LEAN series a command reads or writes
(``lean_series_options`` and the single ``*_option`` factories it is made of), and the
forecast-model settings. A command passes keyword overrides for what differs in it (a default,
an environment variable, whether the option is required); names, types and parameter names
stay those declared here.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

import click

from alpha_models.features import FEATURE_SETS
from alpha_models.models import MODEL_KINDS
from alpha_models.models.factory import SCOPES
from alpha_models.schedule import RETRAIN_FREQUENCIES
from alpha_models.targets import TARGETS
from alpha_models.walk_forward import training_options as parse_training_options
from market_data.lean import RESOLUTIONS, SECURITY_TYPES
from risk_models.gates import GateConfig

if TYPE_CHECKING:
    from signal_bus.redis_bus import RedisBus


class Decorator(Protocol):
    """What an option factory returns: a decorator adding options to a command function."""

    def __call__(self, function: click.decorators.FC, /) -> click.decorators.FC: ...


def _option(name: str, base: Mapping[str, Any], settings: Mapping[str, Any]) -> Decorator:
    return click.option(name, **{**base, **settings})


def data_folder_option(*, exists: bool = False, prefix: str = "", **settings: Any) -> Decorator:
    """``--data-folder``: a LEAN data folder (``exists``: it must be there already)."""
    base = {
        "type": click.Path(exists=exists, file_okay=False, path_type=Path),
        "help": "LEAN data folder.",
    }
    return _option(f"--{prefix}data-folder", base, settings)


def security_type_option(*, prefix: str = "", **settings: Any) -> Decorator:
    """``--security-type``: LEAN security type, equity by default."""
    base = {
        "type": click.Choice(SECURITY_TYPES),
        "default": "equity",
        "show_default": True,
        "help": "LEAN security type.",
    }
    return _option(f"--{prefix}security-type", base, settings)


def market_option(*, prefix: str = "", **settings: Any) -> Decorator:
    """``--market``: LEAN market, usa by default."""
    base = {"default": "usa", "show_default": True, "help": "LEAN market, e.g. usa or binance."}
    return _option(f"--{prefix}market", base, settings)


def symbols_option(*, prefix: str = "", **settings: Any) -> Decorator:
    """``--symbols``: comma-separated symbols."""
    return _option(f"--{prefix}symbols", {"help": "Comma-separated symbols."}, settings)


def resolution_option(
    *, prefix: str = "", choices: Sequence[str] = RESOLUTIONS, **settings: Any
) -> Decorator:
    """``--resolution``: bar size, daily by default."""
    base = {
        "type": click.Choice(list(choices)),
        "default": "daily",
        "show_default": True,
        "help": "Bar resolution.",
    }
    return _option(f"--{prefix}resolution", base, settings)


def lean_series_options(
    *,
    prefix: str = "",
    exists: bool = False,
    resolutions: Sequence[str] = RESOLUTIONS,
    data_folder: Mapping[str, Any] | None = None,
    security_type: Mapping[str, Any] | None = None,
    market: Mapping[str, Any] | None = None,
    symbols: Mapping[str, Any] | None = None,
    resolution: Mapping[str, Any] | None = None,
) -> Decorator:
    """Add the options naming LEAN series: data folder, security type, market, symbols, resolution.

    ``prefix`` names a second series next to a command's own (``prices-`` gives
    ``--prices-data-folder`` and so on); each mapping overrides that option's settings.
    """
    decorators = [
        data_folder_option(prefix=prefix, exists=exists, **(data_folder or {})),
        security_type_option(prefix=prefix, **(security_type or {})),
        market_option(prefix=prefix, **(market or {})),
        symbols_option(prefix=prefix, **(symbols or {})),
        resolution_option(prefix=prefix, choices=resolutions, **(resolution or {})),
    ]

    def decorate(function: click.decorators.FC) -> click.decorators.FC:
        for decorator in reversed(decorators):
            function = decorator(function)
        return function

    return decorate


def model_option(**settings: Any) -> Decorator:
    """``--model``: the forecast model kind, lightgbm by default."""
    base = {"type": click.Choice(list(MODEL_KINDS)), "default": "lightgbm", "show_default": True}
    return _option("--model", base, settings)


def retrain_option(**settings: Any) -> Decorator:
    """``--retrain``: how often the walk-forward retrains, monthly by default."""
    base = {
        "type": click.Choice(list(RETRAIN_FREQUENCIES)),
        "default": "monthly",
        "show_default": True,
    }
    return _option("--retrain", base, settings)


def seed_option(**settings: Any) -> Decorator:
    """``--seed``: the models' random seed, 0 by default."""
    return _option("--seed", {"type": int, "default": 0, "show_default": True}, settings)


def registry_option(**settings: Any) -> Decorator:
    """``--registry``: the folder of saved model versions."""
    base = {
        "type": click.Path(file_okay=False, path_type=Path),
        "default": None,
        "help": "Folder of saved model versions.",
    }
    return _option("--registry", base, settings)


TRAINING_CLI_OPTIONS: tuple[tuple[str, str, Any, str], ...] = (
    ("--target", "target", click.Choice(list(TARGETS)), "Training target (default cs_rank)."),
    (
        "--features",
        "feature_set",
        click.Choice(list(FEATURE_SETS)),
        "Feature set (default extended).",
    ),
    (
        "--validation-fraction",
        "validation_fraction",
        click.FloatRange(0.0, 0.5),
        "Share of each fold's newest dates held out for early stopping and ensemble "
        "weights (default 0.2; 0 for none).",
    ),
    (
        "--scope",
        "scope",
        click.Choice(list(SCOPES)),
        "One model over all assets, or one per asset.",
    ),
    (
        "--ensemble-members",
        "ensemble_members",
        str,
        "Comma-separated ensemble members, each a kind or kind/per_asset.",
    ),
    (
        "--hyperparameters",
        "hyperparameters",
        str,
        'JSON {kind: {name: value}}, e.g. \'{"lightgbm": {"num_leaves": 31}}\'.',
    ),
)
"""Training choices (option, ``TRAINING_OPTIONS`` name, type, help); unset keeps the default."""


def training_cli_options(*, environment: bool = False) -> Callable[[Any], Any]:
    """Add the :data:`TRAINING_CLI_OPTIONS`; the command receives them as ``training``.

    ``training`` is a dict of ``WalkForwardConfig`` keyword arguments (only the options
    given). With ``environment``, each option also reads ``ATS_FORECAST_<NAME>``
    (``ATS_FORECAST_FEATURES`` for ``--features``), as the scheduled engine does.
    """

    def decorate(function: Callable[..., Any]) -> Callable[..., Any]:
        @functools.wraps(function)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            given = {name: kwargs.pop(f"training_{name}") for _, name, _, _ in TRAINING_CLI_OPTIONS}
            try:
                kwargs["training"] = parse_training_options(
                    lambda name: None if given[name] is None else str(given[name])
                )
            except ValueError as error:
                raise click.BadParameter(str(error)) from None
            return function(*args, **kwargs)

        for flag, name, kind, help_text in reversed(TRAINING_CLI_OPTIONS):
            variable = (
                "ATS_FORECAST_FEATURES" if name == "feature_set" else f"ATS_FORECAST_{name.upper()}"
            )
            wrapper = click.option(
                flag,
                f"training_{name}",
                type=kind,
                default=None,
                envvar=variable if environment else None,
                help=help_text,
            )(wrapper)
        return wrapper

    return decorate


GATE_OPTIONS: tuple[tuple[str, str, Any, str], ...] = (
    ("--min-ic-t", "min_ic_t", float, "Gate: block-bootstrap t-statistic the rank IC must reach."),
    ("--max-ece", "max_ece", float, "Gate: largest expected calibration error accepted."),
    (
        "--min-deflated-sharpe",
        "min_deflated_sharpe",
        float,
        "Gate: Deflated Sharpe Ratio (a probability) the sizing rule's after-cost returns "
        "must reach.",
    ),
    (
        "--trials",
        "trials",
        int,
        "Gate: configurations tried (models x entry thresholds); deflates the Sharpe ratio.",
    ),
    (
        "--cost-bps",
        "cost_bps",
        float,
        "Gate: trading cost per unit of turnover in the gate's sizing simulation, basis points.",
    ),
    ("--min-dates", "min_dates", int, "Gate: resolved forecast dates needed before any verdict."),
    (
        "--min-shadow-dates",
        "min_shadow_dates",
        int,
        "Gate: resolved dates a version is scored in shadow before it may go live.",
    ),
)
"""The promotion gates' thresholds a command may set: (option, GateConfig field, type, help)."""


def gate_options(function: click.decorators.FC) -> click.decorators.FC:
    """Add one option per promotion-gate threshold (:data:`GATE_OPTIONS`), GateConfig defaults.

    Each is passed under its ``GateConfig`` field name; :func:`gate_config` builds the
    configuration from them.
    """
    defaults = GateConfig()
    for name, field, kind, help_text in reversed(GATE_OPTIONS):
        function = click.option(
            name,
            field,
            type=kind,
            default=getattr(defaults, field),
            show_default=True,
            help=help_text,
        )(function)
    return function


def gate_config(values: Mapping[str, Any], **settings: Any) -> GateConfig:
    """Return the GateConfig of the :func:`gate_options` values (plus ``settings``).

    Raises ``click.BadParameter`` naming the option when a value is out of range.
    """
    chosen = {field: values[field] for _name, field, _kind, _help in GATE_OPTIONS}
    try:
        return GateConfig(**chosen, **settings)
    except ValueError as error:
        message = str(error)
        hint = next(
            (name for name, field, _kind, _help in GATE_OPTIONS if message.startswith(field)),
            None,
        )
        raise click.BadParameter(message, param_hint=hint) from None


def parameter_option(help: str) -> Decorator:
    """``--parameter KEY=VALUE`` (repeatable), passed as ``parameters``."""
    return click.option("--parameter", "parameters", multiple=True, metavar="KEY=VALUE", help=help)


def json_option(help: str) -> Decorator:
    """``--json``: print one JSON object instead of tables, passed as ``as_json``."""
    return click.option("--json", "as_json", is_flag=True, help=help)


def bus_options(function: click.decorators.FC) -> click.decorators.FC:
    """Add ``--redis-url`` and ``--namespace`` (from REDIS_URL and SIGNAL_BUS_NAMESPACE)."""
    function = click.option(
        "--namespace",
        envvar="SIGNAL_BUS_NAMESPACE",
        default="",
        show_default=True,
        help="Prefix of every channel and key on Redis (env SIGNAL_BUS_NAMESPACE).",
    )(function)
    return click.option(
        "--redis-url",
        envvar="REDIS_URL",
        default=None,
        help="Redis URL; default from REDIS_URL or REDIS_HOST/REDIS_PORT/REDIS_PASSWORD/REDIS_DB.",
    )(function)


def open_bus(redis_url: str | None, namespace: str) -> RedisBus:
    """Return a Redis bus for the options, or fail with a message saying what is wrong."""
    from signal_bus.connection import RedisConnectionConfig
    from signal_bus.redis_bus import RedisBus

    try:
        config = (
            RedisConnectionConfig.from_url(redis_url)
            if redis_url
            else RedisConnectionConfig.from_environment()
        )
        return RedisBus(config, namespace=namespace)
    except ValueError as error:
        raise click.ClickException(f"bad bus settings: {error}") from None
