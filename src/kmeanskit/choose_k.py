"""How many clusters? ``suggest_k`` runs k-means over a range of k and lets five methods vote.

- **elbow**: the knee of the inertia curve, found by Kneedle (Satopää et al. 2011);
- **silhouette**: the k with the highest mean silhouette (exact for small n, otherwise an
  unbiased estimate from sampled rows scored against all rows, with its confidence interval);
- **gap**: Tibshirani, Walther & Hastie (2001), against uniform reference data drawn from the
  box of the data's principal axes or its bounding box; by default the smallest k within one
  standard error of the largest gap (or Tibshirani's own 1-SE rule, ``gap_rule``);
- **ch**: the highest Calinski-Harabasz index;
- **db**: the lowest Davies-Bouldin index.

The consensus is the k most methods chose (ties go to the smaller k), with the reasoning in
words. Work is shared across k: the gap's reference sets are drawn once and reused for every
k, and every fit runs on all cores through the kernels.
"""

from __future__ import annotations

import math
import time
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from ._progress import Progress, ProgressCallback
from ._random import as_generator
from .metrics import (
    _calinski_harabasz,
    _check_labels,
    _cluster_stats,
    _davies_bouldin,
    _dense_input,
    _estimate,
    _prepare_pairwise,
    _silhouette_of_rows,
)

METHODS = ("elbow", "silhouette", "gap", "ch", "db")
DEFAULT_N_INIT = 3
"""Restarts per k (see ``suggest_k``'s ``kmeans_params``)."""
GAP_REFERENCE_ROWS = 2_000
"""Rows per gap reference set at most (log W is rescaled by n / rows, see ``suggest_k``)."""


def find_knee(x, y) -> int | None:
    """Knee of a decreasing convex curve by Kneedle (Satopää et al. 2011); the x at the knee.

    Both axes are scaled to [0, 1]; the knee is the point furthest below the chord from the
    first to the last point. ``None`` when the curve has fewer than 3 points or no bend
    (straight or concave).

    Examples
    --------
    >>> find_knee([1, 2, 3, 4, 5, 6], [100, 60, 20, 15, 12, 10])
    3
    """
    x = np.asarray(x, dtype=np.float64)
    y = np.asarray(y, dtype=np.float64)
    if x.size < 3 or np.ptp(x) == 0 or np.ptp(y) == 0:
        return None
    xn = (x - x.min()) / np.ptp(x)
    yn = (y - y.min()) / np.ptp(y)
    below_chord = (1.0 - xn) - yn  # chord from (0, 1) to (1, 0) for a decreasing curve
    best = int(np.argmax(below_chord))
    if below_chord[best] <= 1e-12:
        return None
    return int(x[best])


@dataclass
class KSuggestion:
    """What ``suggest_k`` found.

    Attributes
    ----------
    k : int
        The consensus.
    chosen : dict
        Method name -> the k it chose (``None`` if it could not choose).
    reasoning : str
        The vote in words.
    table : dict
        Column name -> array over ``ks``: ``k``, ``inertia``, ``silhouette`` (with
        ``silhouette_low``/``silhouette_high`` when estimated), ``calinski_harabasz``,
        ``davies_bouldin``, ``gap``, ``gap_se``, ``seconds``.
    centers : dict
        k -> the fitted centres (for plots and for reuse).
    labels : dict
        k -> the fitted labels.
    """

    k: int
    chosen: dict[str, int | None]
    reasoning: str
    table: dict[str, np.ndarray]
    centers: dict[int, np.ndarray] = field(repr=False)
    labels: dict[int, np.ndarray] = field(repr=False)

    def to_frame(self):
        """The per-k table as a pandas DataFrame indexed by k (needs pandas)."""
        import pandas as pd

        return pd.DataFrame(self.table).set_index("k")

    def __str__(self) -> str:
        cols = [c for c in self.table if c != "k"]
        head = "   k  " + "  ".join(f"{c:>16}" for c in cols)
        rows = [
            f"{int(k):4d}  " + "  ".join(f"{self.table[c][i]:16.6g}" for c in cols)
            for i, k in enumerate(self.table["k"])
        ]
        return "\n".join([head, *rows, "", self.reasoning])


def _check_k_range(k_range, n_samples: int) -> np.ndarray:
    try:
        ks = np.array(sorted({int(k) for k in k_range}), dtype=np.int64)
    except (TypeError, ValueError):
        raise TypeError(f"k_range must be an iterable of integers, got {k_range!r}.") from None
    if ks.size == 0:
        raise ValueError("k_range is empty; give at least one k (e.g. range(2, 16)).")
    if ks[0] < 1 or ks[-1] >= n_samples:
        raise ValueError(
            f"every k in k_range must be between 1 and n_samples - 1 = {n_samples - 1}; "
            f"got {ks[0]}..{ks[-1]}."
        )
    return ks


def _reference_sets(X, n_sets: int, rows: int, kind: str, rng) -> list[np.ndarray]:
    """Uniform samples over the data's bounding box (``"box"``) or the box of its principal
    axes (``"pca"``, Tibshirani's recommended variant), in the data's dtype."""
    Xf = X.astype(np.float64)
    if kind == "pca":
        mean = Xf.mean(axis=0)
        _, _, vt = np.linalg.svd(Xf - mean, full_matrices=False)
        projected = (Xf - mean) @ vt.T
        low, high = projected.min(axis=0), projected.max(axis=0)
        sets = [rng.uniform(low, high, size=(rows, len(low))) @ vt + mean for _ in range(n_sets)]
    elif kind == "box":
        low, high = Xf.min(axis=0), Xf.max(axis=0)
        sets = [rng.uniform(low, high, size=(rows, len(low))) for _ in range(n_sets)]
    else:
        raise ValueError(f"reference must be 'box' or 'pca', got {kind!r}.")
    return [np.ascontiguousarray(s, dtype=X.dtype) for s in sets]


def _gap_choice(ks, gap, se, rule: str = "global") -> int | None:
    """The k the gap statistic chooses, by a 1-standard-error rule over consecutive ks.

    ``"tibshirani"``: the smallest k with ``gap(k) >= gap(k+1) - s(k+1)`` (Tibshirani et al.
    2001). ``"global"``: the smallest k whose gap is within one standard error of the largest
    gap (``globalSEmax`` in R's ``cluster::maxSE``, after Dudoit & Fridlyand 2002); it does not
    stop at the flat start of the curve that data with many clusters produce.
    """
    finite = np.isfinite(gap)
    if not finite.any():
        return None
    if rule == "tibshirani":
        for i in range(len(ks) - 1):
            if ks[i + 1] == ks[i] + 1 and gap[i] >= gap[i + 1] - se[i + 1]:
                return int(ks[i])
        return int(ks[int(np.nanargmax(gap))])
    best = int(np.nanargmax(gap))
    within = np.flatnonzero(finite & (gap >= gap[best] - se[best]))
    return int(ks[within[0]])


def _consensus(chosen: dict[str, int | None]) -> tuple[int, str]:
    votes = Counter(k for k in chosen.values() if k is not None)
    if not votes:
        raise ValueError("no method could choose a k; widen k_range.")
    top = max(votes.values())
    k = min(kk for kk, v in votes.items() if v == top)
    names = {"elbow": "elbow", "silhouette": "silhouette", "gap": "gap", "ch": "CH", "db": "DB"}
    agree = [names[m] for m, kk in chosen.items() if kk == k]
    others = [f"{names[m]} chose {kk}" for m, kk in chosen.items() if kk is not None and kk != k]
    silent = [names[m] for m, kk in chosen.items() if kk is None]
    text = (
        f"k = {k}: chosen by {', '.join(agree)} ({len(agree)} of {len(chosen)} methods"
        + (", the tie broken towards the smaller k" if list(votes.values()).count(top) > 1 else "")
        + ")."
    )
    if others:
        text += " " + "; ".join(others) + "."
    if silent:
        text += f" No choice from {', '.join(silent)} (k_range too short or no bend)."
    return k, text


def suggest_k(
    X,
    k_range=range(2, 16),
    methods=METHODS,
    *,
    n_references: int = 10,
    reference: str = "pca",
    gap_rule: str = "global",
    silhouette_sample_size: int = 2000,
    random_state=None,
    progress: bool | ProgressCallback = False,
    **kmeans_params: Any,
) -> KSuggestion:
    """Fit k-means for every k in ``k_range`` and suggest the number of clusters.

    Parameters
    ----------
    X : array-like of shape (n_samples, n_features)
        The data, already scaled as you want it clustered.
    k_range : iterable of int, default=range(2, 16)
    methods : iterable of {"elbow", "silhouette", "gap", "ch", "db"}
        Which methods vote. Silhouette, CH and DB are undefined at k = 1 (only the gap can say
        "one cluster").
    n_references : int, default=10
        Reference sets for the gap statistic (B in Tibshirani et al.).
    reference : {"pca", "box"}, default="pca"
        Where the gap's uniform references are drawn: the box of the data's principal axes, or
        its bounding box.
    gap_rule : {"global", "tibshirani"}, default="global"
        Which 1-standard-error rule picks k from the gap curve: the smallest k within one
        standard error of the largest gap, or Tibshirani's first k with
        ``gap(k) >= gap(k+1) - s(k+1)``, which stops at the flat start of the curve on data
        with many clusters (docs/choosing-k.md has the comparison).
    silhouette_sample_size : int, default=2000
        Up to this many rows the silhouette is exact; above, that many sampled rows are scored
        against all rows and the table gets the 95% confidence interval.
    random_state : int, Generator, RandomState or None
    progress : bool or callable, default=False
        ``True`` shows a progress bar; a callable gets ``(done, total, message)``.
    **kmeans_params
        Passed to :class:`kmeanskit.KMeans` (e.g. ``init``, ``algorithm``). ``n_init``
        defaults to 3 here: a fit stuck in a local optimum at the true k makes every method
        prefer a neighbouring k, and three restarts fixed that on the A and S sets.

    Returns
    -------
    KSuggestion

    Notes
    -----
    Reference sets have ``min(n, 2000)`` rows; their dispersion ``W`` grows linearly with
    the number of uniform points, so ``log W`` of a reference with m rows is shifted by
    ``log(n / m)`` before it is compared with the data's.

    Examples
    --------
    >>> from sklearn.datasets import make_blobs
    >>> from kmeanskit import suggest_k
    >>> X, _ = make_blobs(600, centers=4, cluster_std=0.6, random_state=1)
    >>> result = suggest_k(X, range(2, 8), random_state=0)
    >>> result.k
    4
    >>> result.chosen["silhouette"], result.chosen["gap"]
    (4, 4)
    """
    from .estimator import KMeans

    X = _dense_input(X)
    n = X.shape[0]
    ks = _check_k_range(k_range, n)
    methods = tuple(methods)
    unknown = set(methods) - set(METHODS)
    if unknown or not methods:
        raise ValueError(f"methods must be a non-empty subset of {METHODS}; got {methods!r}.")
    if "random_state" in kmeans_params:
        raise TypeError("pass random_state to suggest_k itself, not through kmeans_params.")
    if gap_rule not in ("global", "tibshirani"):
        raise ValueError(f"gap_rule must be 'global' or 'tibshirani', got {gap_rule!r}.")
    if (
        isinstance(silhouette_sample_size, bool)
        or not isinstance(silhouette_sample_size, (int, np.integer))
        or silhouette_sample_size < 1
    ):
        raise ValueError(f"sample_size must be a positive integer, got {silhouette_sample_size!r}.")
    kmeans_params.setdefault("n_init", DEFAULT_N_INIT)
    rng = as_generator(random_state)
    # the metrics' inputs, prepared once for every k: centred float64 rows for the silhouette
    pairwise = _prepare_pairwise(X, "euclidean") if "silhouette" in methods else None
    seeds = rng.integers(0, 2**31 - 1, size=ks.size)

    use_gap = "gap" in methods
    ref_rows = min(n, GAP_REFERENCE_ROWS)
    refs = _reference_sets(X, n_references, ref_rows, reference, rng) if use_gap else []
    table: dict[str, list] = {
        c: []
        for c in ("k", "inertia", "silhouette", "silhouette_low", "silhouette_high")
        + ("calinski_harabasz", "davies_bouldin", "gap", "gap_se", "seconds")
    }
    centers, labels = {}, {}
    total = ks.size * (1 + len(refs))
    with Progress(total, "suggest_k", progress) as bar:
        for k, seed in zip(ks, seeds, strict=True):
            start = time.perf_counter()
            model = KMeans(int(k), random_state=int(seed), **kmeans_params).fit(X)
            centers[int(k)], labels[int(k)] = model.cluster_centers_, model.labels_
            table["k"].append(int(k))
            table["inertia"].append(model.inertia_)
            bar.step(f"k={k}")
            codes, n_labels = _check_labels(model.labels_, n, need_two=False)
            sil = low = high = ch = db = math.nan
            if 2 <= n_labels <= n - 1:
                if "silhouette" in methods:
                    if n <= silhouette_sample_size:
                        every_row = np.arange(n, dtype=np.int64)
                        values = _silhouette_of_rows(
                            pairwise, codes, n_labels, every_row, "euclidean"
                        )
                        sil = float(np.mean(values))
                    else:
                        est = _estimate(
                            pairwise, codes, n_labels, int(silhouette_sample_size), 0.95,
                            "euclidean", int(seed),
                        )  # fmt: skip
                        sil, low, high = est.mean, est.low, est.high
                if "ch" in methods or "db" in methods:
                    stats = _cluster_stats(X, codes, n_labels)
                    ch = _calinski_harabasz(X, stats) if "ch" in methods else math.nan
                    db = _davies_bouldin(stats) if "db" in methods else math.nan
            gap = se = math.nan
            if use_gap:
                log_w = math.log(max(model.inertia_, np.finfo(float).tiny))
                log_ref = []
                for b, ref in enumerate(refs):
                    fit = KMeans(int(k), random_state=int(seed) + b + 1, **kmeans_params).fit(ref)
                    w = max(fit.inertia_, np.finfo(float).tiny) * n / ref_rows
                    log_ref.append(math.log(w))
                    bar.step(f"k={k} reference {b + 1}/{len(refs)}")
                log_ref = np.array(log_ref)
                gap = float(log_ref.mean() - log_w)
                # the spread of log W over m-row references shrinks like 1/sqrt(m): rescale it
                # to what n-row references would show
                spread = log_ref.std() * math.sqrt(ref_rows / n)
                se = float(spread * math.sqrt(1.0 + 1.0 / len(refs)))
            for name, value in (
                ("silhouette", sil),
                ("silhouette_low", low),
                ("silhouette_high", high),
                ("calinski_harabasz", ch),
                ("davies_bouldin", db),
                ("gap", gap),
                ("gap_se", se),
                ("seconds", time.perf_counter() - start),
            ):
                table[name].append(value)

    estimated = "silhouette" in methods and n > silhouette_sample_size
    wanted = {
        "silhouette": "silhouette" in methods,
        "silhouette_low": estimated,
        "silhouette_high": estimated,
        "calinski_harabasz": "ch" in methods,
        "davies_bouldin": "db" in methods,
        "gap": use_gap,
        "gap_se": use_gap,
    }
    arrays = {c: np.asarray(v) for c, v in table.items() if wanted.get(c, True)}

    chosen: dict[str, int | None] = {}
    for method in methods:
        if method == "elbow":
            chosen[method] = find_knee(ks, arrays["inertia"])
        elif method == "gap":
            chosen[method] = _gap_choice(ks, arrays["gap"], arrays["gap_se"], gap_rule)
        else:
            column, best = {
                "silhouette": ("silhouette", np.nanargmax),
                "ch": ("calinski_harabasz", np.nanargmax),
                "db": ("davies_bouldin", np.nanargmin),
            }[method]
            values = arrays[column]
            chosen[method] = int(ks[best(values)]) if np.isfinite(values).any() else None
    k, reasoning = _consensus(chosen)
    return KSuggestion(k, chosen, reasoning, arrays, centers, labels)


__all__ = ["KSuggestion", "find_knee", "suggest_k"]
