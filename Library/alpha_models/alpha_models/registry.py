"""Model versions on disk: the model's files plus a metadata JSON per version."""

from __future__ import annotations

import hashlib
import json
import os
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from alpha_models.arrays import Array
from alpha_models.errors import RegistryError
from alpha_models.models.base import ForecastModel
from alpha_models.models.factory import load_model

METADATA_FILE = "metadata.json"
MODEL_FOLDER = "model"


def data_hash(features: Array, targets: Array) -> str:
    """Return a short SHA-256 digest of the training matrices."""
    digest = hashlib.sha256()
    digest.update(np.ascontiguousarray(features, dtype=np.float64).tobytes())
    digest.update(np.ascontiguousarray(targets, dtype=np.float64).tobytes())
    return digest.hexdigest()[:16]


@dataclass(frozen=True)
class ModelVersion:
    """Metadata of one trained model version.

    Attributes
    ----------
    version
        Unique id: ``<model>-<horizon>-<period start>-<digest>``.
    model
        Model kind name.
    horizon
        Horizon name (``"1d"``...).
    training_start, training_end
        First and last ``available_at`` of the training rows (ISO-8601).
    last_label_end
        Latest label end among the training rows (ISO-8601).
    valid_from
        Start of the period the version forecasts (ISO-8601).
    features
        Feature names in column order.
    assets
        Assets the version was trained on.
    data_hash
        Digest of the training matrices.
    seed
        Random seed.
    params
        Model hyper-parameters.
    training_rows
        Number of training rows.
    prediction_scale
        Standard deviation of in-sample predictions (scales the confidence score).
    calibration
        The confidence calibrator fitted on earlier out-of-sample forecasts.
    out_of_sample
        Out-of-sample metrics known when the version was trained.
    """

    version: str
    model: str
    horizon: str
    training_start: str
    training_end: str
    last_label_end: str
    valid_from: str
    features: tuple[str, ...]
    assets: tuple[str, ...]
    data_hash: str
    seed: int
    params: dict[str, Any]
    training_rows: int
    prediction_scale: float
    calibration: dict[str, Any] = field(default_factory=dict)
    out_of_sample: dict[str, Any] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        """Return a JSON-serializable form."""
        document = asdict(self)
        document["features"] = list(self.features)
        document["assets"] = list(self.assets)
        return document

    @classmethod
    def from_dict(cls, document: dict[str, Any]) -> ModelVersion:
        """Rebuild from :meth:`to_dict` output."""
        values = dict(document)
        values["features"] = tuple(values["features"])
        values["assets"] = tuple(values["assets"])
        return cls(**values)


class ModelRegistry:
    """A folder of model versions, one sub-folder each.

    Parameters
    ----------
    folder
        Root folder; created on first save.
    """

    def __init__(self, folder: Path):
        self.folder = Path(folder)

    def path_of(self, version: str) -> Path:
        """Return the folder of ``version``."""
        if not version or "/" in version or "\\" in version or version.startswith("."):
            raise RegistryError(f"invalid model version {version!r}")
        return self.folder / version

    def contains(self, version: str) -> bool:
        """Return whether ``version`` is saved."""
        return (self.path_of(version) / METADATA_FILE).is_file()

    def save(self, model: ForecastModel, metadata: ModelVersion) -> Path:
        """Write the model and its metadata; an existing version is kept as is."""
        target = self.path_of(metadata.version)
        if self.contains(metadata.version):
            return target
        staging = self.folder / f".{metadata.version}.{os.getpid()}.tmp"
        model.save(staging / MODEL_FOLDER)
        (staging / METADATA_FILE).write_text(
            json.dumps(metadata.to_dict(), indent=2, sort_keys=True)
        )
        try:
            staging.rename(target)
        except OSError:
            if not self.contains(metadata.version):
                raise
        return target

    def save_document(self, version: str, name: str, document: dict[str, Any]) -> None:
        """Write ``<version>/<name>.json`` next to the metadata, replacing it atomically.

        For records kept about a saved version after training (e.g. its promotion
        verdict); the model files and ``metadata.json`` are never rewritten.
        """
        if not self.contains(version):
            raise RegistryError(f"model version {version!r} is not saved")
        if not name.isidentifier() or name in {"metadata", MODEL_FOLDER}:
            raise RegistryError(f"invalid document name {name!r}")
        target = self.path_of(version) / f"{name}.json"
        staging = target.with_name(f".{name}.{os.getpid()}.tmp")
        staging.write_text(json.dumps(document, indent=2, sort_keys=True))
        os.replace(staging, target)

    def document(self, version: str, name: str) -> dict[str, Any] | None:
        """Return ``<version>/<name>.json`` written by :meth:`save_document`, if any."""
        path = self.path_of(version) / f"{name}.json"
        try:
            loaded = json.loads(path.read_text())
        except FileNotFoundError:
            return None
        except (OSError, ValueError) as error:
            raise RegistryError(
                f"cannot read {name} of model version {version!r}: {error}"
            ) from error
        if not isinstance(loaded, dict):
            raise RegistryError(f"{name} of model version {version!r} is not a JSON object")
        return loaded

    def metadata(self, version: str) -> ModelVersion:
        """Read the metadata of ``version``."""
        path = self.path_of(version) / METADATA_FILE
        try:
            return ModelVersion.from_dict(json.loads(path.read_text()))
        except (OSError, ValueError, TypeError, KeyError) as error:
            raise RegistryError(f"cannot read model version {version!r}: {error}") from error

    def load(self, version: str) -> tuple[ForecastModel, ModelVersion]:
        """Load the model and metadata of ``version``."""
        metadata = self.metadata(version)
        return load_model(self.path_of(version) / MODEL_FOLDER), metadata

    def versions(
        self, *, model: str | None = None, horizon: str | None = None
    ) -> list[ModelVersion]:
        """Return saved versions, oldest ``valid_from`` first, optionally filtered."""
        if not self.folder.is_dir():
            return []
        found = []
        for entry in sorted(self.folder.iterdir()):
            if entry.name.startswith(".") or not (entry / METADATA_FILE).is_file():
                continue
            metadata = self.metadata(entry.name)
            if (model is None or metadata.model == model) and (
                horizon is None or metadata.horizon == horizon
            ):
                found.append(metadata)
        return sorted(found, key=lambda m: (m.valid_from, m.version))
