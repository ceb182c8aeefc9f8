"""kmeanskit: fast, from-scratch, scikit-learn compatible k-means.

``import kmeanskit`` is light: the estimator, scikit-learn and numba are imported on first use
of a public name.

Examples
--------
>>> import numpy as np
>>> import kmeanskit
>>> X = np.array([[1.0, 2.0], [1.0, 4.0], [10.0, 2.0], [10.0, 4.0]])
>>> kmeanskit.KMeans(n_clusters=2, random_state=0).fit(X).inertia_
4.0
"""

from importlib import import_module

__version__ = "0.1.0"

_PUBLIC = {
    "KMeans": "kmeanskit.estimator",
    "MiniBatchKMeans": "kmeanskit.minibatch",
    "kmeans_plusplus": "kmeanskit.seeding",
    "suggest_k": "kmeanskit.choose_k",
    "load": "kmeanskit.persist",
}

__all__ = ["__version__", *_PUBLIC]


def __getattr__(name: str):
    if name in _PUBLIC:
        value = getattr(import_module(_PUBLIC[name]), name)
        globals()[name] = value
        return value
    raise AttributeError(f"module 'kmeanskit' has no attribute {name!r}")


def __dir__():
    return sorted(__all__)
