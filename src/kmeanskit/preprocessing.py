"""Feature scaling kept with a model, so new rows are scaled exactly as the training rows were.

Examples
--------
>>> import numpy as np
>>> from kmeanskit.preprocessing import Scaler
>>> scaler = Scaler("minmax").fit(np.array([[0.0, 10.0], [5.0, 30.0]]))
>>> scaler.transform(np.array([[2.5, 20.0]])).tolist()
[[0.5, 0.5]]
"""

from __future__ import annotations

import numpy as np

SCALINGS = ("standard", "minmax", "none")


class Scaler:
    """Affine per-column scaling: ``(x - offset) / scale``.

    Parameters
    ----------
    kind : {"standard", "minmax", "none"}, default="standard"
        ``"standard"``: mean 0, standard deviation 1; ``"minmax"``: range [0, 1];
        ``"none"``: unchanged. A constant column keeps scale 1 (it becomes 0, never NaN).

    Attributes
    ----------
    offset_, scale_ : ndarray of shape (n_features,), float64

    Examples
    --------
    >>> import numpy as np
    >>> s = Scaler().fit(np.array([[1.0], [3.0]]))
    >>> s.transform(np.array([[3.0]])).tolist(), s.inverse_transform(np.array([[1.0]])).tolist()
    ([[1.0]], [[3.0]])
    """

    def __init__(self, kind: str = "standard"):
        if kind not in SCALINGS:
            raise ValueError(f"scaling must be one of {SCALINGS}; got {kind!r}.")
        self.kind = kind

    def fit(self, X: np.ndarray) -> Scaler:
        X = np.asarray(X, dtype=np.float64)
        d = X.shape[1]
        if self.kind == "standard":
            offset, scale = X.mean(axis=0), X.std(axis=0)
        elif self.kind == "minmax":
            offset, scale = X.min(axis=0), X.max(axis=0) - X.min(axis=0)
        else:
            offset, scale = np.zeros(d), np.ones(d)
        self.offset_ = offset
        self.scale_ = np.where(scale > 0, scale, 1.0)
        return self

    def transform(self, X: np.ndarray) -> np.ndarray:
        return (np.asarray(X, dtype=np.float64) - self.offset_) / self.scale_

    def inverse_transform(self, Z: np.ndarray) -> np.ndarray:
        return np.asarray(Z, dtype=np.float64) * self.scale_ + self.offset_
