"""What the embedded demo runs: the full pipeline, or a short one for CI and quick checks."""

from __future__ import annotations

import datetime as dt
import hashlib
from dataclasses import dataclass, replace
from pathlib import Path

from alpha_models.models import MODEL_KINDS
from alpha_models.schedule import RETRAIN_FREQUENCIES

QUICK_SYMBOLS: tuple[str, ...] = ("AAPL", "MSFT")


@dataclass(frozen=True)
class DemoConfig:
    """Settings of one demo run.

    Parameters
    ----------
    data_folder
        LEAN data folder the bundled bars are written into.
    output_folder
        Where the forecasts file, model registry and report go.
    symbols
        Bundled symbols to use; empty for all of them.
    score_start
        Forecasts made before this date train the calibration only; from it on they are
        traded and scored.
    model
        Model kind of the forecast engine.
    retrain_frequency
        How often the walk-forward trainer refits.
    seed
        Random seed of the forecast engine (and of the generated hourly series).
    hourly
        Also generate the synthetic hourly series (:mod:`ats.demo.hourly`) and forecast
        its 1h and 4h horizons, so the dashboard shows them; the printed trading figures
        stay those of the bundled daily stocks.
    """

    data_folder: Path = Path("data")
    output_folder: Path = Path("reports")
    symbols: tuple[str, ...] = ()
    score_start: dt.date = dt.date(2005, 1, 3)
    model: str = "lightgbm"
    retrain_frequency: str = "monthly"
    seed: int = 0
    hourly: bool = True

    def __post_init__(self) -> None:
        if self.model not in MODEL_KINDS:
            raise ValueError(f"model must be one of {', '.join(MODEL_KINDS)}; got {self.model!r}")
        if self.retrain_frequency not in RETRAIN_FREQUENCIES:
            raise ValueError(
                f"retrain_frequency must be one of {', '.join(RETRAIN_FREQUENCIES)}; "
                f"got {self.retrain_frequency!r}"
            )

    @property
    def run_key(self) -> str:
        """A short name for what this run computes; messages of different runs never collide."""
        recipe = "|".join(
            [
                ",".join(self.symbols),
                self.score_start.isoformat(),
                self.model,
                self.retrain_frequency,
                str(self.seed),
            ]
        )
        return hashlib.sha256(recipe.encode("utf-8")).hexdigest()[:12]

    def quick(self) -> DemoConfig:
        """Return the short version: two symbols, a later start, quarterly refits.

        Without the generated hourly series, which is there for the dashboard that the
        short version never starts.
        """
        return replace(
            self,
            symbols=self.symbols or QUICK_SYMBOLS,
            score_start=max(self.score_start, dt.date(2010, 1, 4)),
            retrain_frequency="quarterly",
            hourly=False,
        )
