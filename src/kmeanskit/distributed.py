"""K-means on a Dask cluster (extra ``dask``): data spread over machines, our kernels on every
block, only k x d sums travelling.

``kmeanskit.distributed.KMeans`` takes a ``dask.array`` (rows in chunks, any number of row
chunks; columns are gathered into one chunk) or a dask DataFrame of numeric columns, and runs
wherever Dask runs its tasks: the threads of this process by default, or a cluster when a
``distributed.Client`` exists (the last one created is the default)::

    from distributed import Client
    client = Client("tcp://scheduler-address:8786")   # an existing cluster
    km = kmeanskit.distributed.KMeans(n_clusters=16, random_state=0).fit(X)

The fit persists the data on the workers, seeds by k-means|| (Bahmani et al. 2012: a few
rounds, each one pass over the blocks; the candidates are reduced to k centres on the client
by greedy k-means++ and a weighted Lloyd), then runs Lloyd iterations in which every block
assigns its rows and returns per-cluster float64 sums; the client adds them in block order and
moves the centres exactly as :class:`kmeanskit.KMeans` does (same shift, same relocation of
empty clusters, same convergence rule), so from the same initial centres it gives the
single-machine result up to the order of floating-point additions. Every task is a pure
function of its inputs and of seeds derived from ``random_state``, so when a worker dies
Dask recomputes its pieces and the answer is unchanged; if Dask gives up (a task killed its
workers ``distributed.scheduler.allowed-failures`` times) the fit raises ``RuntimeError``.

``predict`` and ``transform`` return dask arrays; ``labels_`` is a (persisted) dask array.
"""

from __future__ import annotations

import numbers
from collections.abc import Sequence

import numpy as np
from sklearn.base import BaseEstimator, ClusterMixin, TransformerMixin
from sklearn.utils.validation import check_is_fitted

try:
    import dask
    import dask.array as da
except ImportError as exc:  # pragma: no cover - exercised without the extra
    raise ImportError("kmeanskit.distributed needs Dask: pip install 'kmeanskit[dask]'.") from exc

from ._parallel import kernel_section
from ._random import as_generator
from ._validation import check_centers, check_magnitude, is_integer, largest_magnitude
from .seeding_parallel import N_ROUNDS, OVERSAMPLING, reduce_candidates
from .solvers._data import DenseData, assign, distances, nearest_with_distances

_FLOAT_DTYPES = (np.dtype(np.float32), np.dtype(np.float64))


# ----------------------------------------------------------------- block tasks (pure)
def _block_moments(X, weights):
    """(total weight, weighted column sums (d,) float64, first non-finite (row, col, is NaN)
    or None, largest magnitude)."""
    largest = largest_magnitude(X)  # one pass: NaN or infinity if there is one
    if not np.isfinite(largest):
        row, col = (int(v[0]) for v in np.nonzero(~np.isfinite(X)))
        return 0.0, None, (row, col, bool(np.isnan(X[row, col]))), np.inf
    return float(weights.sum()), weights @ X.astype(np.float64), None, largest


def _block_variance(X, weights, mean):
    diff = X.astype(np.float64) - mean
    return weights @ (diff * diff)


def _block_nearest(X, centers):
    """Index of the nearest of ``centers`` and the squared distance to it, for every row."""
    with kernel_section():
        labels, dist = nearest_with_distances(DenseData(np.ascontiguousarray(X)), centers)
    return labels.astype(np.int64), dist


def _block_round(X, weights, state, new_centers, first_index):
    """Update (owner, closest) with a round's new candidates, numbered from ``first_index``;
    returns the new state and the block's potential sum(w * closest)."""
    owner, closest = state
    labels, dist = _block_nearest(X, new_centers)
    closer = dist < closest
    owner = np.where(closer, labels + first_index, owner)
    closest = np.where(closer, dist, closest)
    return (owner, closest), float(weights @ closest)


def _block_sample(X, weights, state, per_round, potential, seed):
    """Rows drawn independently with probability ``per_round * w * closest / potential``."""
    _, closest = state
    rng = np.random.default_rng(seed)
    picked = rng.random(X.shape[0]) < per_round * weights * closest / potential
    return np.ascontiguousarray(X[picked])


def _block_mass(weights, state, n_candidates):
    owner, _ = state
    return np.bincount(owner, weights=weights, minlength=n_candidates)


def _block_lloyd(X, weights, shift, centers, previous):
    """Assign the block's rows to the (shifted) centres; per-cluster float64 sums and weights,
    the new labels and how many changed."""
    n = X.shape[0]
    data = DenseData(np.ascontiguousarray(X))
    labels = np.full(n, -1, dtype=np.int32) if previous is None else previous.copy()
    from ._kernels.blocks import n_blocks_for

    n_blocks = n_blocks_for(n, centers.shape[0], X.shape[1])
    block_sums = np.empty((n_blocks, centers.shape[0], X.shape[1]), dtype=np.float64)
    block_weights = np.empty((n_blocks, centers.shape[0]), dtype=np.float64)
    with kernel_section():
        changed = data.lloyd_pass(weights, shift, centers, labels, block_sums, block_weights, True)
    sums = np.add.reduce(block_sums, axis=0)
    return labels, (sums, np.add.reduce(block_weights, axis=0), int(changed))


def _block_farthest(X, weights, shift, centers, labels, count, offset):
    """The ``count`` rows of positive weight farthest from their centre: (distance, global
    row, label, weight, shifted row), farthest first, ties to the lower row."""
    data = DenseData(np.ascontiguousarray(X))
    with kernel_section():
        dist = data.sq_dist_to_assigned(shift, centers, labels)
    candidates = np.flatnonzero(weights > 0)
    ranked = candidates[np.argsort(-dist[candidates], kind="stable")][:count]
    return [
        (
            float(dist[i]),
            offset + int(i),
            int(labels[i]),
            float(weights[i]),
            X[i].astype(np.float64) - shift,
        )
        for i in ranked
    ]


def _block_assign(X, centers):
    with kernel_section():
        labels, inertia = assign(DenseData(np.ascontiguousarray(X)), _ones(X), centers)
    return labels, inertia


def _block_weighted_inertia(X, weights, centers):
    with kernel_section():
        return assign(DenseData(np.ascontiguousarray(X)), weights, centers)[1]


def _block_labels(X, centers):
    return _block_assign(X, centers)[0]


def _block_distances(X, centers):
    with kernel_section():
        return distances(DenseData(np.ascontiguousarray(X)), centers)


def _ones(X):
    return np.broadcast_to(np.float64(1.0), (X.shape[0],))


def _compute(*objects):
    """dask.compute, with a clear error when the cluster gives up on a task."""
    try:
        return dask.compute(*objects)
    except Exception as exc:  # KilledWorker, CancelledError, CommClosedError, ...
        if type(exc).__module__.split(".")[0] in ("distributed", "concurrent", "asyncio"):
            raise RuntimeError(
                f"the Dask cluster could not finish the fit ({type(exc).__name__}: {exc}); "
                "workers died or were lost more often than the scheduler retries. No result "
                "was stored."
            ) from exc
        raise


def _persist(*objects):
    try:
        return dask.persist(*objects)
    except Exception as exc:
        raise RuntimeError(f"the Dask cluster could not hold the data ({exc}).") from exc


# ----------------------------------------------------------------- input
def _as_dask_array(X, name="X"):
    """A 2-D float32/float64 dask array with all columns in one chunk."""
    if hasattr(X, "to_dask_array") and hasattr(X, "dtypes"):  # dask DataFrame
        from pandas.api.types import is_bool_dtype, is_numeric_dtype

        bad = [str(c) for c, t in X.dtypes.items() if not (is_numeric_dtype(t) or is_bool_dtype(t))]
        if bad:
            raise TypeError(
                f"{name} has non-numeric column(s) {bad}. k-means needs numbers: select the "
                "numeric columns or one-hot encode the others."
            )
        X = X.to_dask_array(lengths=True)
    elif not isinstance(X, da.Array):
        X = np.asarray(X)
        X = da.from_array(X, chunks=(max(1, -(-X.shape[0] // 8)) if X.ndim else 1,) + X.shape[1:])
    if X.ndim != 2:
        raise ValueError(f"{name} must be 2-D (n_samples, n_features); got shape {X.shape}.")
    if any(np.isnan(c) for c in X.chunks[0]):
        raise ValueError(f"{name} has unknown chunk sizes; call X.compute_chunk_sizes() first.")
    if X.shape[0] == 0 or X.shape[1] == 0:
        raise ValueError(f"{name} is empty (shape {X.shape}): nothing to cluster.")
    if X.dtype.kind not in "fiub":
        raise TypeError(f"{name} holds {X.dtype} values; k-means needs numbers.")
    if X.dtype not in _FLOAT_DTYPES:
        X = X.astype(np.float64)
    if len(X.chunks[1]) > 1:
        X = X.rechunk({1: -1})
    return X


class KMeans(ClusterMixin, TransformerMixin, BaseEstimator):
    """Exact k-means (Lloyd) on a Dask array or DataFrame, seeded by k-means||.

    Parameters
    ----------
    n_clusters : int, default=8
    init : {"k-means||"} or array-like of shape (n_clusters, n_features), default="k-means||"
        k-means|| run on the cluster, or the initial centres themselves.
    max_iter : int, default=300
        Maximum number of Lloyd iterations (one pass over the blocks each).
    tol : float, default=1e-4
        Stop when the squared centre shift summed over clusters is at most ``tol`` times the
        mean feature variance (as :class:`kmeanskit.KMeans`).
    random_state : int, numpy.random.Generator or None, default=None
        Seed of k-means||; an int gives the same centres however the blocks are scheduled.
    oversampling_factor : float, default=2.0
        Expected candidates drawn per k-means|| round, as a multiple of ``n_clusters``.
    init_rounds : int, default=5
        Sampling rounds of k-means||.
    persist : bool, default=True
        Keep the data in the workers' memory during the fit (each iteration reads it again);
        ``False`` recomputes it from its graph every pass.
    verbose : int, default=0

    Attributes
    ----------
    cluster_centers_ : ndarray of shape (n_clusters, n_features)
    labels_ : dask array of shape (n_samples,)
    inertia_ : float
    n_iter_ : int
    n_features_in_ : int

    Examples
    --------
    >>> import dask.array as da
    >>> from kmeanskit.distributed import KMeans
    >>> X = da.from_array([[0.0, 0.0], [0.1, 0.0], [5.0, 5.0], [5.1, 5.0]], chunks=(2, 2))
    >>> km = KMeans(n_clusters=2, random_state=0).fit(X)
    >>> sorted(km.cluster_centers_.round(2).tolist())
    [[0.05, 0.0], [5.05, 5.0]]
    >>> km.predict(X).compute().tolist() == km.labels_.compute().tolist()
    True
    """

    def __init__(
        self,
        n_clusters: int = 8,
        *,
        init="k-means||",
        max_iter: int = 300,
        tol: float = 1e-4,
        random_state=None,
        oversampling_factor: float = OVERSAMPLING,
        init_rounds: int = N_ROUNDS,
        persist: bool = True,
        verbose: int = 0,
    ):
        self.n_clusters = n_clusters
        self.init = init
        self.max_iter = max_iter
        self.tol = tol
        self.random_state = random_state
        self.oversampling_factor = oversampling_factor
        self.init_rounds = init_rounds
        self.persist = persist
        self.verbose = verbose

    def _check_params(self, n_samples: int) -> None:
        k = self.n_clusters
        if not is_integer(k) or k < 1:
            raise ValueError(f"n_clusters must be a positive integer, got {k!r}.")
        if n_samples < k:
            raise ValueError(
                f"n_samples={n_samples} should be >= n_clusters={k}. Ask for fewer clusters "
                "or give more samples."
            )
        for name in ("max_iter", "init_rounds"):
            value = getattr(self, name)
            if not is_integer(value) or value < 1:
                raise ValueError(f"{name} must be a positive integer, got {value!r}.")
        if not isinstance(self.tol, numbers.Real) or self.tol < 0:
            raise ValueError(f"tol must be a non-negative number, got {self.tol!r}.")
        if not isinstance(self.oversampling_factor, numbers.Real) or self.oversampling_factor <= 0:
            raise ValueError(
                f"oversampling_factor must be a positive number, got {self.oversampling_factor!r}."
            )
        if isinstance(self.init, str) and self.init != "k-means||":
            raise ValueError(
                f"init must be 'k-means||' or an array of initial centres; got {self.init!r}."
            )

    # ----------------------------------------------------------------- fit
    def fit(self, X, y=None, sample_weight=None) -> KMeans:
        """Compute the clustering on the cluster.

        Parameters
        ----------
        X : dask array, dask DataFrame or array-like of shape (n_samples, n_features)
        y : Ignored
        sample_weight : dask array or array-like of shape (n_samples,), default=None

        Returns
        -------
        self : KMeans
        """
        X = _as_dask_array(X)
        n, d = X.shape
        self._check_params(n)
        weights = self._weights(sample_weight, X)
        if self.persist:
            X, weights = _persist(X, weights)
        x_blocks = list(X.to_delayed().ravel())
        w_blocks = list(weights.to_delayed().ravel())
        offsets = np.concatenate([[0], np.cumsum(X.chunks[0])])
        rng = as_generator(self.random_state)

        shift, mean_variance, block_totals = self._moments(x_blocks, w_blocks, X.dtype)
        if isinstance(self.init, str):
            centers_init = self._kmeans_parallel(x_blocks, w_blocks, block_totals, X.dtype, rng, n)
        else:
            centers_init = check_centers(self.init, X, self.n_clusters)
        centers, n_iter = self._lloyd(
            x_blocks, w_blocks, offsets, centers_init, shift, self.tol * mean_variance, X.dtype
        )
        self.cluster_centers_ = centers
        self.n_features_in_ = d
        self._n_features_out = self.n_clusters
        self.n_iter_ = n_iter
        labels = X.map_blocks(
            _block_labels, centers, drop_axis=1, dtype=np.int32, meta=np.empty(0, np.int32)
        )
        inertia_parts = [
            dask.delayed(_block_weighted_inertia)(xb, wb, centers)
            for xb, wb in zip(x_blocks, w_blocks, strict=True)
        ]
        results = _compute(*inertia_parts)
        self.inertia_ = float(sum(results))
        self.labels_ = labels.persist() if self.persist else labels
        return self

    def _weights(self, sample_weight, X):
        if sample_weight is None:
            return da.ones(X.shape[0], chunks=(X.chunks[0],), dtype=np.float64)
        if not isinstance(sample_weight, da.Array):
            sample_weight = np.asarray(sample_weight, dtype=np.float64)
            if sample_weight.shape != (X.shape[0],):
                raise ValueError(
                    f"sample_weight.shape == {sample_weight.shape}, expected {(X.shape[0],)}."
                )
            if not np.isfinite(sample_weight).all() or (sample_weight < 0).any():
                raise ValueError("sample_weight must be finite and non-negative.")
            if not sample_weight.any():
                raise ValueError("sample_weight is zero for every sample: nothing to cluster.")
            return da.from_array(sample_weight, chunks=(X.chunks[0],))
        if sample_weight.shape != (X.shape[0],):
            raise ValueError(
                f"sample_weight.shape == {sample_weight.shape}, expected {(X.shape[0],)}."
            )
        return sample_weight.astype(np.float64).rechunk((X.chunks[0],))

    def _moments(self, x_blocks, w_blocks, dtype):
        """Weighted mean (the shift), mean variance and each block's total weight."""
        parts = _compute(
            *[
                dask.delayed(_block_moments)(xb, wb)
                for xb, wb in zip(x_blocks, w_blocks, strict=True)
            ]
        )
        for b, (_, _, bad, _) in enumerate(parts):
            if bad is not None:
                row, col, is_nan = bad
                raise ValueError(
                    f"X contains {'NaN' if is_nan else 'infinity'} in column {col} (row {row} "
                    f"of block {b}). Remove or impute the missing/infinite values first."
                )
        check_magnitude(max(p[3] for p in parts), dtype, len(parts[0][1]))
        totals = np.array([p[0] for p in parts])
        total = totals.sum()
        if total <= 0:
            raise ValueError("sample_weight is zero for every sample: nothing to cluster.")
        mean = np.add.reduce(np.stack([p[1] for p in parts]), axis=0) / total
        variances = _compute(
            *[
                dask.delayed(_block_variance)(xb, wb, mean)
                for xb, wb in zip(x_blocks, w_blocks, strict=True)
            ]
        )
        var = np.add.reduce(np.stack(variances), axis=0) / total
        return mean.astype(dtype), float(var.mean()), totals

    # ----------------------------------------------------------------- k-means||
    def _kmeans_parallel(
        self, x_blocks, w_blocks, block_totals, dtype, rng, n_samples
    ) -> np.ndarray:
        k = self.n_clusters
        # the first candidate: a block by its weight, then a row within it by weight
        block = int(
            np.searchsorted(
                np.cumsum(block_totals), rng.random() * block_totals.sum(), side="right"
            )
        )
        block = min(block, len(x_blocks) - 1)
        first = _compute(
            dask.delayed(_pick_by_weight)(x_blocks[block], w_blocks[block], rng.random())
        )[0]
        candidates = [first[None, :].astype(dtype)]
        n_candidates = 1
        states = [dask.delayed(_block_initial_state)(xb, candidates[0]) for xb in x_blocks]
        states = list(_persist(*states))
        potential = float(
            sum(
                _compute(
                    *[
                        dask.delayed(_state_potential)(wb, s)
                        for wb, s in zip(w_blocks, states, strict=True)
                    ]
                )
            )
        )
        round_seed = int(rng.integers(2**62))
        for r in range(self.init_rounds):
            if potential <= 0:
                break
            drawn = _compute(
                *[
                    dask.delayed(_block_sample)(
                        xb, wb, s, self.oversampling_factor * k, potential, [round_seed, r, b]
                    )
                    for b, (xb, wb, s) in enumerate(zip(x_blocks, w_blocks, states, strict=True))
                ]
            )
            new = np.concatenate(drawn).astype(dtype)
            if new.shape[0] == 0:
                continue
            pieces = [
                dask.delayed(_block_round, nout=2)(xb, wb, s, new, n_candidates)
                for xb, wb, s in zip(x_blocks, w_blocks, states, strict=True)
            ]
            persisted = _persist(*[p[0] for p in pieces], *[p[1] for p in pieces])
            states = list(persisted[: len(pieces)])
            potential = float(sum(_compute(*persisted[len(pieces) :])))
            candidates.append(new)
            n_candidates += new.shape[0]
            if self.verbose:
                print(f"k-means|| round {r + 1}: {n_candidates} candidates")
        all_candidates = np.ascontiguousarray(np.concatenate(candidates), dtype=dtype)
        mass = np.add.reduce(
            np.stack(
                _compute(
                    *[
                        dask.delayed(_block_mass)(wb, s, n_candidates)
                        for wb, s in zip(w_blocks, states, strict=True)
                    ]
                )
            ),
            axis=0,
        )
        keep = mass > 0
        if np.count_nonzero(keep) < k:
            raise ValueError(
                f"k-means|| found only {np.count_nonzero(keep)} distinct points with positive "
                f"weight, fewer than n_clusters={k}."
            )
        with kernel_section():
            return reduce_candidates(all_candidates[keep], mass[keep], k, rng, n_samples=n_samples)

    # ----------------------------------------------------------------- Lloyd
    def _lloyd(self, x_blocks, w_blocks, offsets, centers_init, shift, tol, dtype):
        centers = np.ascontiguousarray(centers_init - shift, dtype=dtype)
        labels: Sequence = [None] * len(x_blocks)
        iteration = 0
        for iteration in range(self.max_iter):
            pieces = [
                dask.delayed(_block_lloyd, nout=2)(xb, wb, shift, centers, lb)
                for xb, wb, lb in zip(x_blocks, w_blocks, labels, strict=True)
            ]
            persisted = _persist(*[p[0] for p in pieces], *[p[1] for p in pieces])
            labels = list(persisted[: len(pieces)])
            stats = _compute(*persisted[len(pieces) :])
            sums = np.add.reduce(np.stack([s[0] for s in stats]), axis=0)
            cluster_weights = np.add.reduce(np.stack([s[1] for s in stats]), axis=0)
            n_changed = sum(s[2] for s in stats)
            empty = np.flatnonzero(cluster_weights == 0)
            if empty.size:
                self._relocate(
                    x_blocks,
                    w_blocks,
                    offsets,
                    shift,
                    centers,
                    labels,
                    empty,
                    sums,
                    cluster_weights,
                )
            filled = cluster_weights > 0
            new_centers = centers.astype(np.float64)
            new_centers[filled] = sums[filled] / cluster_weights[filled, None]
            new_centers = np.ascontiguousarray(new_centers.astype(dtype))
            moved_sq = float(((new_centers.astype(np.float64) - centers) ** 2).sum())
            centers = new_centers
            if self.verbose:
                print(f"Iteration {iteration}: {n_changed} labels changed, shift {moved_sq}")
            if n_changed == 0 or moved_sq <= tol:
                break
        return np.ascontiguousarray((centers + shift).astype(dtype)), iteration + 1

    def _relocate(
        self, x_blocks, w_blocks, offsets, shift, centers, labels, empty, sums, cluster_weights
    ):
        """Give empty clusters the farthest points, as ``solvers._loop.relocate_empty_clusters``."""
        found = _compute(
            *[
                dask.delayed(_block_farthest)(
                    xb, wb, shift, centers, lb, 2 * empty.size, offsets[b]
                )
                for b, (xb, wb, lb) in enumerate(zip(x_blocks, w_blocks, labels, strict=True))
            ]
        )
        ranked = sorted((c for block in found for c in block), key=lambda c: (-c[0], c[1]))
        taken = []
        for _, _, old, w, x in ranked:
            if len(taken) == empty.size:
                break
            if any(np.array_equal(x, t) for t in taken):
                continue
            cluster = empty[len(taken)]
            taken.append(x)
            sums[old] -= w * x
            cluster_weights[old] -= w
            sums[cluster] = w * x
            cluster_weights[cluster] = w

    # ----------------------------------------------------------------- using the model
    def _check_test_data(self, X):
        check_is_fitted(self)
        X = _as_dask_array(X)
        if X.shape[1] != self.n_features_in_:
            raise ValueError(
                f"X has {X.shape[1]} features, but KMeans is expecting {self.n_features_in_} "
                "features as input."
            )
        return X

    def predict(self, X):
        """Index of the nearest centre of every row, as a dask array (lazy).

        Examples
        --------
        >>> import dask.array as da, numpy as np
        >>> from kmeanskit.distributed import KMeans
        >>> km = KMeans(2, init=np.array([[0.0], [10.0]])).fit(da.from_array([[0.0], [10.0]]))
        >>> km.predict(da.from_array([[1.0], [9.0]])).compute().tolist()
        [0, 1]
        """
        X = self._check_test_data(X)
        centers = self.cluster_centers_.astype(X.dtype)
        return X.map_blocks(
            _block_labels, centers, drop_axis=1, dtype=np.int32, meta=np.empty(0, np.int32)
        )

    def transform(self, X):
        """Euclidean distances to every centre, as an (n, k) dask array (lazy)."""
        X = self._check_test_data(X)
        centers = self.cluster_centers_.astype(X.dtype)
        return X.map_blocks(
            _block_distances, centers, chunks=(X.chunks[0], (self.n_clusters,)), dtype=X.dtype
        )

    def fit_predict(self, X, y=None, sample_weight=None):
        return self.fit(X, sample_weight=sample_weight).labels_

    def score(self, X, y=None, sample_weight=None) -> float:
        """Opposite of the inertia of ``X`` against the centres (computed on the cluster)."""
        X = self._check_test_data(X)
        weights = self._weights(sample_weight, X)
        centers = self.cluster_centers_.astype(X.dtype)
        parts = [
            dask.delayed(_block_weighted_inertia)(xb, wb, centers)
            for xb, wb in zip(X.to_delayed().ravel(), weights.to_delayed().ravel(), strict=True)
        ]
        return -float(sum(_compute(*parts)))


def _pick_by_weight(X, weights, u):
    cumulative = np.cumsum(weights)
    row = int(np.searchsorted(cumulative, u * cumulative[-1], side="right"))
    return np.asarray(X[min(row, X.shape[0] - 1)]).copy()


def _block_initial_state(X, first):
    labels, dist = _block_nearest(X, first)
    return labels, dist


def _state_potential(weights, state):
    return float(weights @ state[1])


__all__ = ["KMeans"]
