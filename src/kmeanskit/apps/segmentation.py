"""Segmenting a table (customers, products, stores): encode, scale, cluster, describe.

Examples
--------
>>> import pandas as pd
>>> from kmeanskit.apps import Segmenter
>>> table = pd.DataFrame({"spend": [10, 12, 11, 90, 95, 91], "plan": list("aabbbb")})
>>> seg = Segmenter(2, random_state=0).fit(table)
>>> seg.profiles()[["size", "spend"]].sort_values("spend").round(1).values.tolist()
[[3.0, 11.0], [3.0, 92.0]]
"""

from __future__ import annotations

import numbers
from collections.abc import Sequence
from typing import Any

import numpy as np
from sklearn.base import BaseEstimator

from ..preprocessing import SCALINGS, Scaler

MISSING = ("error", "drop", "mean")
CATEGORICAL = ("onehot", "error")


def as_frame(data: Any):
    """A pandas DataFrame view of ``data`` (a DataFrame, or a 2-D array: columns x0, x1, ...)."""
    import pandas as pd

    if isinstance(data, pd.DataFrame):
        return data
    array = np.asarray(data)
    if array.ndim != 2:
        raise ValueError(f"expected a table (2-D); got an array of shape {array.shape}.")
    return pd.DataFrame(array, columns=[f"x{j}" for j in range(array.shape[1])])


def is_numeric(series) -> bool:
    return series.dtype.kind in "biuf"


class Segmenter(BaseEstimator):
    """Cluster the rows of a table and describe each cluster in the table's own units.

    Numeric columns are scaled (``scale``); text or categorical columns are one-hot encoded
    (one 0/1 column per category, left unscaled) unless ``categorical="error"``. Missing values
    raise an error naming the columns, or rows with any are dropped (label -1), or they are
    filled with the training mean (numeric) or most frequent value (categorical).

    Parameters
    ----------
    n_clusters : int or "auto", default=8
        ``"auto"`` picks k with :func:`kmeanskit.suggest_k` over ``k_range``.
    scale : {"standard", "minmax", "none"}, default="standard"
    columns : list of str, optional
        The columns to cluster on (default: all).
    missing : {"error", "drop", "mean"}, default="error"
    categorical : {"onehot", "error"}, default="onehot"
    k_range : sequence of int, default=range(2, 11)
    random_state : int or None
    n_init : int, default=10
        k-means++ restarts (the fit on a table is small; restarts buy stable segments).
    refine : {"auto", "swap"} or None, default="auto"
        Swap refinement of the k-means solution (see :class:`kmeanskit.KMeans`).
    progress : bool or callable, default=False
        Progress of ``n_clusters="auto"`` (see :func:`kmeanskit.suggest_k`).

    Attributes
    ----------
    kmeans_ : KMeans, fitted on the encoded, scaled table.
    labels_ : ndarray, cluster of every training row (-1 for rows dropped as missing).
    numeric_columns_, categories_ : the numeric columns, and each categorical column's values.
    feature_names_ : names of the encoded features (``"plan=a"`` for a one-hot column).
    suggestion_ : KSuggestion when ``n_clusters="auto"``, else None.

    Examples
    --------
    >>> import numpy as np
    >>> seg = Segmenter(2, random_state=0).fit(np.array([[0.0, 1], [0, 2], [9, 9], [9, 8]]))
    >>> seg.predict(np.array([[0.5, 1.0]])).tolist() == [seg.labels_[0]]
    True
    """

    def __init__(
        self,
        n_clusters: int | str = 8,
        *,
        scale: str = "standard",
        columns: Sequence[str] | None = None,
        missing: str = "error",
        categorical: str = "onehot",
        k_range: Sequence[int] = range(2, 11),
        random_state: int | None = None,
        n_init: int = 10,
        refine: str | None = "auto",
        progress=False,
    ):
        self.n_clusters = n_clusters
        self.scale = scale
        self.columns = columns
        self.missing = missing
        self.categorical = categorical
        self.k_range = k_range
        self.random_state = random_state
        self.n_init = n_init
        self.refine = refine
        self.progress = progress

    # ----------------------------------------------------------------- encoding
    def _select(self, frame):
        columns = list(frame.columns) if self.columns is None else list(self.columns)
        absent = [c for c in columns if c not in frame.columns]
        if absent:
            raise ValueError(
                f"column(s) {absent} not in the data; its columns are {list(frame.columns)}."
            )
        if not columns:
            raise ValueError("no columns to cluster on.")
        return frame[columns]

    def _learn_encoding(self, frame) -> None:
        self.numeric_columns_ = [c for c in frame.columns if is_numeric(frame[c])]
        text = [c for c in frame.columns if not is_numeric(frame[c])]
        if text and self.categorical == "error":
            raise ValueError(
                f"non-numeric column(s) {text}: cluster on numeric columns only (--columns, "
                "or columns=...) or one-hot encode them (--one-hot, or categorical='onehot')."
            )
        self.categories_ = {
            c: sorted(frame[c].dropna().astype(str).unique().tolist()) for c in text
        }
        self.fill_ = {c: float(frame[c].mean()) for c in self.numeric_columns_}
        for c in text:
            mode = frame[c].dropna().astype(str).mode()
            self.fill_[c] = mode.iloc[0] if len(mode) else ""
        self.feature_names_ = self.numeric_columns_ + [
            f"{c}={v}" for c, values in self.categories_.items() for v in values
        ]

    def _complete_rows(self, frame):
        """Apply the missing-value policy: (frame without gaps, mask of the rows kept)."""
        gaps = frame.isna()
        keep = ~gaps.any(axis=1).to_numpy()
        if keep.all():
            return frame, keep
        if self.missing == "error":
            counts = {c: int(n) for c, n in gaps.sum().items() if n}
            raise ValueError(
                f"missing values in column(s) {counts} (column: count); drop those rows "
                "(--missing drop, or missing='drop') or fill them with the training mean or "
                "most frequent value (--missing mean, or missing='mean')."
            )
        if self.missing == "drop":
            return frame[keep], keep
        return frame.fillna(self.fill_), np.ones(len(frame), dtype=bool)

    def _encode(self, frame) -> np.ndarray:
        """The numeric columns scaled, then the one-hot columns (float64)."""
        numeric = frame[self.numeric_columns_].to_numpy(dtype=np.float64)
        parts = [self.scaler_.transform(numeric) if self.numeric_columns_ else numeric]
        for c, values in self.categories_.items():
            text = frame[c].astype(str).to_numpy()
            parts.append((text[:, None] == np.asarray(values, dtype=object)[None, :]).astype(float))
        return np.hstack(parts) if parts else np.empty((len(frame), 0))

    def encode(self, data, *, fit: bool = False) -> tuple[np.ndarray, np.ndarray]:
        """The rows as the model sees them: numeric columns scaled, then one-hot columns.

        With ``fit=True`` the encoding and the scaler are learnt from ``data`` first (``fit``
        does this). Returns the encoded rows (float64) and a mask of the input rows they are
        (all True unless ``missing="drop"`` dropped some).
        """
        frame = self._select(as_frame(data))
        if fit:
            self._learn_encoding(frame)
        complete, keep = self._complete_rows(frame)
        if fit:
            self.scaler_ = Scaler(self.scale).fit(
                complete[self.numeric_columns_].to_numpy(dtype=np.float64)
            )
        return self._encode(complete), keep

    # ----------------------------------------------------------------- estimator
    def fit(self, data, y=None) -> Segmenter:
        """Encode and scale ``data`` (a DataFrame or 2-D array), then cluster its rows."""
        from .. import KMeans, suggest_k

        if self.scale not in SCALINGS:
            raise ValueError(f"scale must be one of {SCALINGS}; got {self.scale!r}.")
        if self.missing not in MISSING:
            raise ValueError(f"missing must be one of {MISSING}; got {self.missing!r}.")
        if self.categorical not in CATEGORICAL:
            raise ValueError(f"categorical must be one of {CATEGORICAL}; got {self.categorical!r}.")
        Z, keep = self.encode(data, fit=True)
        k = self.n_clusters
        self.suggestion_ = None
        if k == "auto":
            self.suggestion_ = suggest_k(
                Z, list(self.k_range), random_state=self.random_state, progress=self.progress
            )
            k = self.suggestion_.k
        elif isinstance(k, bool) or not isinstance(k, numbers.Integral):
            raise ValueError(f"n_clusters must be a positive integer or 'auto'; got {k!r}.")
        self.kmeans_ = KMeans(
            int(k), n_init=self.n_init, random_state=self.random_state, refine=self.refine
        ).fit(Z)
        self.labels_ = np.full(len(keep), -1, dtype=np.int64)
        self.labels_[keep] = self.kmeans_.labels_
        return self

    def predict(self, data) -> np.ndarray:
        """Cluster of every row of ``data``, encoded and scaled as the training table was
        (-1 for rows dropped as missing under ``missing="drop"``)."""
        Z, keep = self.encode(data)
        labels = np.full(len(keep), -1, dtype=np.int64)
        if Z.shape[0]:
            labels[keep] = self.kmeans_.predict(Z)
        return labels

    def fit_predict(self, data, y=None) -> np.ndarray:
        return self.fit(data).labels_

    def save(self, path, *, overwrite: bool = True) -> None:
        """Write the fitted segmentation (encoding, scaler, model) without pickle; read it with
        ``kmeanskit.load`` (format in :mod:`kmeanskit.persist`). ``suggestion_`` is not kept."""
        from ..persist import save

        save(self, path, overwrite=overwrite)

    # ----------------------------------------------------------------- description
    def cluster_centers(self):
        """Centres in the table's units: numeric means, and the share of every category."""
        import pandas as pd

        centres = np.array(self.kmeans_.cluster_centers_, dtype=np.float64)
        n_numeric = len(self.numeric_columns_)
        if n_numeric:
            centres[:, :n_numeric] = self.scaler_.inverse_transform(centres[:, :n_numeric])
        # shares of one-hot columns: exact means, but float rounding can leave -0.0 or 1 + 1e-16
        centres[:, n_numeric:] = np.clip(centres[:, n_numeric:], 0.0, 1.0) + 0.0
        return pd.DataFrame(centres, columns=self.feature_names_).rename_axis("cluster")

    def profiles(self):
        """One row per cluster: size, share of the rows, then :meth:`cluster_centers`."""
        labels = self.kmeans_.labels_
        sizes = np.bincount(labels, minlength=self.kmeans_.n_clusters)
        frame = self.cluster_centers()
        frame.insert(0, "share", sizes / sizes.sum())
        frame.insert(0, "size", sizes)
        return frame
