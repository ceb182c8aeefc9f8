"""Saving and loading fitted models without pickle.

A model file is a ZIP archive (the container NumPy's ``.npz`` uses) holding:

- ``model.json``: ``{"format": "kmeanskit-model", "version": 1, "kmeanskit_version", "class",
  "params", "attributes", "arrays": {name: {"file", "sha256"}}, "digest"}``. ``params`` are the
  constructor's parameters, ``attributes`` the fitted scalars and string lists, and ``digest``
  the SHA-256 of everything else in the file (the JSON without ``digest``, then each array's
  bytes in name order).
- one ``.npy`` file per array, read back with ``allow_pickle=False``.

Loading looks the class up in a fixed table (never imports or calls anything the file names),
checks the format version, every checksum and every shape, and raises :class:`ModelFileError`
naming what is wrong. Pickle still works for scikit-learn users; this format is for files that
may come from elsewhere and must stay readable by later versions.

Examples
--------
>>> import numpy as np, tempfile, pathlib
>>> from kmeanskit import KMeans, load
>>> X = np.array([[0.0, 0.0], [0.0, 1.0], [9.0, 9.0], [9.0, 8.0]])
>>> km = KMeans(2, random_state=0).fit(X)
>>> path = pathlib.Path(tempfile.mkdtemp()) / "model.kmk"
>>> km.save(path)
>>> bool((load(path).predict(X) == km.predict(X)).all())
True
"""

from __future__ import annotations

import hashlib
import io
import json
import numbers
import warnings
import zipfile
import zlib
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np

FORMAT = "kmeanskit-model"
VERSION = 1
"""The format version this kmeanskit writes and the newest it reads."""


class ModelFileError(ValueError):
    """A model file that cannot be loaded: not a model, damaged, edited or from a newer version."""


# ----------------------------------------------------------------------------- per class
def _plain(value: Any) -> Any:
    """NumPy scalars as Python numbers, so that the parameters are JSON."""
    if isinstance(value, np.generic) and not isinstance(value, np.ndarray):
        return value.item()
    return value


def _kmeans_state(model) -> tuple[dict, dict, dict]:
    """(params, attributes, arrays) of a fitted KMeans."""
    from sklearn.utils.validation import check_is_fitted

    check_is_fitted(model)
    params = {key: _plain(value) for key, value in model.get_params().items()}
    arrays = {
        "cluster_centers_": model.cluster_centers_,
        "labels_": getattr(model, "labels_", np.zeros(0, dtype=np.int32)),
    }
    if callable(params["init"]):
        warnings.warn(
            "init is a callable, which a model file cannot hold: it is saved as 'auto'. "
            "The fitted centres are saved exactly; only a later refit would seed differently.",
            UserWarning,
            stacklevel=3,
        )
        params["init"] = "auto"
    elif not isinstance(params["init"], str):
        arrays["init"] = np.asarray(params["init"])
        params["init"] = None  # restored from the array
    if not (params["random_state"] is None or isinstance(params["random_state"], numbers.Integral)):
        warnings.warn(
            "random_state is a generator, which a model file cannot hold: it is saved as None.",
            UserWarning,
            stacklevel=3,
        )
        params["random_state"] = None
    elif params["random_state"] is not None:
        params["random_state"] = int(params["random_state"])
    attributes = {
        "inertia_": float(model.inertia_),
        "n_iter_": int(model.n_iter_),
        "n_swaps_": int(getattr(model, "n_swaps_", 0)),
        "n_features_in_": int(model.n_features_in_),
    }
    if hasattr(model, "n_steps_"):
        attributes["n_steps_"] = int(model.n_steps_)
    if hasattr(model, "feature_names_in_"):
        attributes["feature_names_in_"] = [str(n) for n in model.feature_names_in_]
    return params, attributes, arrays


def _kmeans_from_state(params: dict, attributes: dict, arrays: dict, cls=None):
    from .estimator import KMeans

    cls = cls or KMeans
    params = dict(params)
    if "init" in arrays:
        params["init"] = arrays["init"]
    try:
        model = cls(**params)
    except TypeError as error:
        raise ModelFileError(f"the saved parameters do not fit {cls.__name__}: {error}") from None
    centers = arrays.get("cluster_centers_")
    labels = arrays.get("labels_")
    if centers is None or labels is None:
        raise ModelFileError("the file lacks cluster_centers_ or labels_.")
    if centers.ndim != 2 or centers.dtype not in (np.float32, np.float64):
        raise ModelFileError(
            f"cluster_centers_ must be a 2-D float32/float64 array; the file holds "
            f"shape {centers.shape}, dtype {centers.dtype}."
        )
    k, d = centers.shape
    if k != params.get("n_clusters"):
        raise ModelFileError(f"{k} saved centres but n_clusters={params.get('n_clusters')!r}.")
    if labels.ndim != 1 or labels.dtype.kind not in "iu" or (labels.size and labels.max() >= k):
        raise ModelFileError("labels_ must be 1-D integers below n_clusters.")
    if not np.isfinite(centers).all():
        raise ModelFileError("cluster_centers_ contains NaN or infinity.")
    if attributes.get("n_features_in_") != d:
        raise ModelFileError(
            f"n_features_in_={attributes.get('n_features_in_')!r} but the centres have {d} "
            "features."
        )
    names = attributes.get("feature_names_in_")
    if names is not None and len(names) != d:
        raise ModelFileError(f"{len(names)} feature names for {d} features.")
    model.cluster_centers_ = centers
    model.labels_ = labels
    model.inertia_ = float(attributes["inertia_"])
    model.n_iter_ = int(attributes["n_iter_"])
    model.n_swaps_ = int(attributes.get("n_swaps_", 0))  # absent in files before refine
    model.n_features_in_ = d
    model._n_features_out = k
    if names is not None:
        model.feature_names_in_ = np.asarray(names, dtype=object)
    return model


def _segmenter_state(model) -> tuple[dict, dict, dict]:
    """(params, attributes, arrays) of a fitted Segmenter; its KMeans under ``kmeans``."""
    from sklearn.utils.validation import check_is_fitted

    check_is_fitted(model, "kmeans_")
    params = {
        "n_clusters": _plain(model.n_clusters),
        "scale": model.scale,
        "columns": None if model.columns is None else [str(c) for c in model.columns],
        "missing": model.missing,
        "categorical": model.categorical,
        "k_range": [int(k) for k in model.k_range],
        "random_state": _plain(model.random_state),
        "n_init": _plain(model.n_init),
        "refine": model.refine,
    }
    km_params, km_attributes, km_arrays = _kmeans_state(model.kmeans_)
    attributes = {
        "numeric_columns_": [str(c) for c in model.numeric_columns_],
        "categories_": {str(c): list(v) for c, v in model.categories_.items()},
        "fill_": {str(c): _plain(v) for c, v in model.fill_.items()},
        "feature_names_": list(model.feature_names_),
        "kmeans": {"params": km_params, "attributes": km_attributes},
    }
    arrays = {
        "labels_": model.labels_,
        "scaler.offset_": model.scaler_.offset_,
        "scaler.scale_": model.scaler_.scale_,
        **{f"kmeans.{key}": value for key, value in km_arrays.items()},
    }
    return params, attributes, arrays


def _segmenter_from_state(params: dict, attributes: dict, arrays: dict):
    from .apps.segmentation import Segmenter
    from .preprocessing import Scaler

    try:
        model = Segmenter(**params)
        scaler = Scaler(params["scale"])
        nested = attributes["kmeans"]
        model.numeric_columns_ = list(attributes["numeric_columns_"])
        model.categories_ = {c: list(v) for c, v in attributes["categories_"].items()}
        model.fill_ = dict(attributes["fill_"])
        model.feature_names_ = list(attributes["feature_names_"])
        scaler.offset_ = arrays["scaler.offset_"]
        scaler.scale_ = arrays["scaler.scale_"]
        model.labels_ = arrays["labels_"]
    except (TypeError, KeyError, ValueError) as error:
        raise ModelFileError(
            f"the saved Segmenter is incomplete or inconsistent: {error!r}"
        ) from None
    km_arrays = {k[len("kmeans.") :]: v for k, v in arrays.items() if k.startswith("kmeans.")}
    model.kmeans_ = _kmeans_from_state(nested["params"], nested["attributes"], km_arrays)
    n_numeric = len(model.numeric_columns_)
    if scaler.offset_.shape != (n_numeric,) or scaler.scale_.shape != (n_numeric,):
        raise ModelFileError(
            f"the scaler does not have one entry per numeric column ({n_numeric})."
        )
    if len(model.feature_names_) != model.kmeans_.n_features_in_:
        raise ModelFileError("the encoded feature names do not match the model's features.")
    model.scaler_ = scaler
    model.suggestion_ = None
    return model


def _minibatch_from_state(params: dict, attributes: dict, arrays: dict):
    from .minibatch import MiniBatchKMeans

    model = _kmeans_from_state(params, attributes, arrays, cls=MiniBatchKMeans)
    model.n_steps_ = int(attributes.get("n_steps_", 0))
    return model


def _spherical_from_state(params: dict, attributes: dict, arrays: dict):
    from .apps.text import SphericalKMeans

    return _kmeans_from_state(params, attributes, arrays, cls=SphericalKMeans)


# class name -> (state of a model, model from a state); the only classes a file can name
_CLASSES: dict[str, tuple[Callable, Callable]] = {
    "KMeans": (_kmeans_state, _kmeans_from_state),
    "MiniBatchKMeans": (_kmeans_state, _minibatch_from_state),
    "Segmenter": (_segmenter_state, _segmenter_from_state),
    "SphericalKMeans": (_kmeans_state, _spherical_from_state),
}


# ----------------------------------------------------------------------------- the file
def _digest(meta: dict, blobs: dict[str, bytes]) -> str:
    h = hashlib.sha256(json.dumps(meta, sort_keys=True).encode())
    for name in sorted(blobs):
        h.update(blobs[name])
    return h.hexdigest()


def _npy_bytes(array: np.ndarray) -> bytes:
    if array.dtype.hasobject:
        raise TypeError("object arrays cannot be saved without pickle")
    buffer = io.BytesIO()
    np.save(buffer, np.ascontiguousarray(array), allow_pickle=False)
    return buffer.getvalue()


def save(model: Any, path: str | Path, *, overwrite: bool = True) -> Path:
    """Write a fitted model to ``path`` in the kmeanskit model format (see the module docs).

    Parameters
    ----------
    model : KMeans, SphericalKMeans or Segmenter
        A fitted model.
    path : str or Path
        Where to write; the suffix is yours to choose (``.kmk`` is customary).
    overwrite : bool, default=True
        If False, refuse to replace an existing file.

    Returns
    -------
    Path
        The path written.

    Examples
    --------
    >>> import numpy as np, tempfile, pathlib
    >>> from kmeanskit import KMeans
    >>> from kmeanskit.persist import save
    >>> km = KMeans(2, random_state=0).fit(np.array([[0.0], [1.0], [9.0], [10.0]]))
    >>> save(km, pathlib.Path(tempfile.mkdtemp()) / "m.kmk").name
    'm.kmk'
    """
    path = Path(path)
    name = type(model).__name__
    if name not in _CLASSES:
        raise TypeError(f"cannot save a {name}; savable classes: {sorted(_CLASSES)}.")
    if not overwrite and path.exists():
        raise FileExistsError(f"{path} exists; pass overwrite=True to replace it.")
    params, attributes, arrays = _CLASSES[name][0](model)
    blobs = {f"{key}.npy": _npy_bytes(np.asarray(value)) for key, value in arrays.items()}
    from . import __version__

    meta = {
        "format": FORMAT,
        "version": VERSION,
        "kmeanskit_version": __version__,
        "class": name,
        "params": params,
        "attributes": attributes,
        "arrays": {
            key: {"file": f"{key}.npy", "sha256": hashlib.sha256(blobs[f"{key}.npy"]).hexdigest()}
            for key in arrays
        },
    }
    meta["digest"] = _digest(meta, blobs)
    tmp = path.with_name(path.name + ".part")
    with zipfile.ZipFile(tmp, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("model.json", json.dumps(meta, indent=1, sort_keys=True))
        for file, blob in blobs.items():
            archive.writestr(file, blob)
    tmp.replace(path)  # never leave a half-written model under the real name
    return path


def load(path: str | Path) -> Any:
    """Read a model written by :func:`save` (or ``model.save``).

    Never unpickles and never runs code named in the file: the class comes from a fixed table,
    arrays are read with ``allow_pickle=False``, and every checksum and shape is verified.

    Raises
    ------
    FileNotFoundError
        No file at ``path``.
    ModelFileError
        The file is not a kmeanskit model, is truncated or edited, or was written by a newer
        kmeanskit (format version above this one's).

    Examples
    --------
    >>> import numpy as np, tempfile, pathlib
    >>> from kmeanskit import KMeans, load
    >>> path = pathlib.Path(tempfile.mkdtemp()) / "m.kmk"
    >>> KMeans(2, random_state=0).fit(np.array([[0.0], [1.0], [9.0], [10.0]])).save(path)
    >>> sorted(load(path).cluster_centers_.ravel().tolist())
    [0.5, 9.5]
    """
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"no model file at {path}")
    try:
        with zipfile.ZipFile(path) as archive:
            try:
                meta = json.loads(archive.read("model.json"))
            except KeyError:
                raise ModelFileError(
                    f"{path} is a ZIP archive but not a kmeanskit model."
                ) from None
            _check_header(meta, path)
            blobs = {}
            for key, entry in meta["arrays"].items():
                blob = archive.read(entry["file"])
                if hashlib.sha256(blob).hexdigest() != entry["sha256"]:
                    raise ModelFileError(f"{path}: array {key!r} does not match its checksum.")
                blobs[entry["file"]] = blob
    except (zipfile.BadZipFile, EOFError, zlib.error) as error:
        raise ModelFileError(
            f"{path} is not a readable kmeanskit model (damaged or truncated: {error})."
        ) from None
    except (json.JSONDecodeError, UnicodeDecodeError, KeyError, TypeError) as error:
        raise ModelFileError(f"{path}: model.json is malformed ({error!r}).") from None
    stated = meta.pop("digest", None)
    if stated != _digest(meta, blobs):
        raise ModelFileError(f"{path} was modified after it was saved (checksum mismatch).")
    arrays = {}
    for key, entry in meta["arrays"].items():
        try:
            arrays[key] = np.load(io.BytesIO(blobs[entry["file"]]), allow_pickle=False)
        except ValueError as error:
            raise ModelFileError(f"{path}: array {key!r} is unreadable ({error}).") from None
    from_state = _CLASSES[meta["class"]][1]
    return from_state(meta["params"], meta["attributes"], arrays)


def _check_header(meta: Any, path: Path) -> None:
    if not isinstance(meta, dict) or meta.get("format") != FORMAT:
        raise ModelFileError(f"{path} is not a kmeanskit model (no '{FORMAT}' header).")
    version = meta.get("version")
    if not isinstance(version, int) or version < 1:
        raise ModelFileError(f"{path}: invalid format version {version!r}.")
    if version > VERSION:
        raise ModelFileError(
            f"{path} was written by kmeanskit {meta.get('kmeanskit_version', '?')} in model "
            f"format version {version}; this kmeanskit reads versions up to {VERSION}. "
            "Upgrade kmeanskit to load it."
        )
    if meta.get("class") not in _CLASSES:
        raise ModelFileError(
            f"{path} holds a {meta.get('class')!r}, which this kmeanskit cannot load "
            f"(known: {sorted(_CLASSES)})."
        )
    if not isinstance(meta.get("arrays"), dict) or not isinstance(meta.get("params"), dict):
        raise ModelFileError(f"{path}: model.json lacks its 'arrays' or 'params' table.")
