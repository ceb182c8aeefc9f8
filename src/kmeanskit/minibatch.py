"""``MiniBatchKMeans``: k-means on random mini-batches (Sculley 2010), for data too large for
enough Lloyd passes, streamed from disk, or arriving in pieces (``partial_fit``).

Same parameters, attributes and update rules as ``sklearn.cluster.MiniBatchKMeans``: each step
assigns a batch to its nearest centres (our GEMM kernels), moves every centre to the running
weighted mean of all the points it was ever given, occasionally moves centres that get almost
no points onto random batch points (``reassignment_ratio``), and stops on a small centre
change (``tol``) or when an exponentially weighted average of the batch inertia has not
improved for ``max_no_improvement`` steps.
"""

from __future__ import annotations

import math
import numbers

import numpy as np
import scipy.sparse as sp
from sklearn.utils.validation import check_is_fitted

from ._kernels.dense import batch_cluster_sums
from ._parallel import kernel_section
from ._random import as_generator
from ._validation import (
    check_centers,
    check_input,
    check_n_clusters,
    check_sample_weight,
    is_integer,
)
from .estimator import KMeans
from .solvers._data import StreamedData, as_solver_data, assign
from .streaming import RowSource, as_row_source


def _batch_sums(batch, weights, labels, n_clusters):
    """(k, d) float64 weighted sums and (k,) weights of a batch's points per label."""
    if sp.issparse(batch):
        indicator = sp.csr_matrix(
            (weights, (labels, np.arange(batch.shape[0]))), shape=(n_clusters, batch.shape[0])
        )
        sums = np.asarray((indicator @ batch).toarray(), dtype=np.float64)
        return sums, np.bincount(labels, weights=weights, minlength=n_clusters)
    return batch_cluster_sums(batch, weights, labels, n_clusters)


def minibatch_step(
    batch, weights, centers, weight_sums, rng, *, reassign, reassignment_ratio, verbose=False
):
    """One mini-batch step on ``centers`` (float64, updated in place); returns the batch's
    inertia against the centres before the step.

    ``weight_sums`` (k,) float64 holds the weight every centre has absorbed so far (updated in
    place). With ``reassign``, centres whose absorbed weight is below ``reassignment_ratio``
    times the largest move to random batch points (probability ∝ weight), as in scikit-learn.
    """
    data = as_solver_data(batch)
    labels, inertia = assign(data, weights, centers.astype(batch.dtype))
    sums, batch_weights = _batch_sums(batch, weights, labels, centers.shape[0])
    moved = batch_weights > 0
    total = weight_sums[moved] + batch_weights[moved]
    centers[moved] = (centers[moved] * weight_sums[moved, None] + sums[moved]) / total[:, None]
    weight_sums[moved] = total
    if reassign and reassignment_ratio > 0:
        to_reassign = weight_sums < reassignment_ratio * weight_sums.max()
        if to_reassign.sum() > 0.5 * batch.shape[0]:
            keep = np.argsort(weight_sums, kind="stable")[int(0.5 * batch.shape[0]) :]
            to_reassign[keep] = False
        n_reassign = int(min(to_reassign.sum(), np.count_nonzero(weights)))
        if n_reassign:
            picked = rng.choice(
                batch.shape[0], size=n_reassign, replace=False, p=weights / weights.sum()
            )
            targets = np.flatnonzero(to_reassign)[:n_reassign]
            new = batch[picked]
            centers[targets] = new.toarray() if sp.issparse(new) else new
            if verbose:
                print(f"[MiniBatchKMeans] Reassigning {n_reassign} cluster centers.")
        if (~to_reassign).any():
            weight_sums[to_reassign] = np.min(weight_sums[~to_reassign])
    return inertia


class MiniBatchKMeans(KMeans):
    """Mini-batch k-means, a drop-in replacement for ``sklearn.cluster.MiniBatchKMeans``.

    Parameters
    ----------
    n_clusters : int, default=8
        The number of clusters to form.
    init : {"k-means++", "k-means||", "random"}, callable or array-like of shape \
(n_clusters, n_features), default="k-means++"
        How to choose the initial centres, as in :class:`kmeanskit.KMeans`; string and
        callable inits run on ``init_size`` random rows.
    max_iter : int, default=100
        Maximum number of passes over the data (in batches: ``max_iter * n_samples //
        batch_size`` steps), before the early stopping rules.
    batch_size : int, default=1024
        Rows per mini-batch (drawn with replacement).
    verbose : int, default=0
        Print the batch inertia and its moving average at every step.
    compute_labels : bool, default=True
        Compute ``labels_`` and ``inertia_`` on all the data once the centres are final.
    random_state : int, numpy.random.Generator, numpy.random.RandomState or None, \
default=None
        Seed of the initialisation and of the batches.
    tol : float, default=0.0
        Stop when the squared centre change of a step is at most ``tol`` times the mean
        feature variance; 0 disables this rule.
    max_no_improvement : int or None, default=10
        Stop after this many steps without an improvement of the smoothed batch inertia;
        ``None`` disables this rule.
    init_size : int or None, default=None
        Rows drawn to seed (and to compare ``n_init`` seedings); ``None`` means
        ``3 * batch_size``, at least ``3 * n_clusters``, at most ``n_samples``.
    n_init : "auto" or int, default="auto"
        Seedings tried, the one with the lowest inertia on ``init_size`` random rows is kept;
        ``"auto"`` is 1 for ``"k-means++"`` and ``"k-means||"``, 3 for ``"random"``.
    reassignment_ratio : float, default=0.01
        Centres that absorbed less than this fraction of the largest centre's weight are moved
        to random batch points, every ``10 * n_clusters`` rows seen or when a centre has none.

    Attributes
    ----------
    cluster_centers_ : ndarray of shape (n_clusters, n_features)
    labels_ : ndarray of shape (n_samples,)
        Labels of the training data (when ``compute_labels``).
    inertia_ : float
        Inertia of the training data (when ``compute_labels``; else the smoothed batch
        inertia times ``n_samples``).
    n_iter_ : int
        Passes over the data (steps times ``batch_size`` over ``n_samples``, rounded up).
    n_steps_ : int
        Mini-batch steps run.
    n_features_in_ : int
    feature_names_in_ : ndarray of shape (n_features_in_,)

    Notes
    -----
    ``fit`` also accepts a ``.npy`` path, a ``numpy.memmap`` or a
    :class:`kmeanskit.streaming.RowSource`: batches are then read row by row from the file and
    ``labels_`` computed in one streamed pass, so the data never has to fit in memory.

    Examples
    --------
    >>> import numpy as np
    >>> from kmeanskit import MiniBatchKMeans
    >>> X = np.array([[1, 2], [1, 4], [1, 0], [4, 2], [4, 0], [4, 4],
    ...               [4, 5], [0, 1], [2, 2], [3, 2], [5, 5], [1, -1]], dtype=float)
    >>> km = MiniBatchKMeans(n_clusters=2, batch_size=6, random_state=0, n_init="auto")
    >>> km = km.partial_fit(X[:6]).partial_fit(X[6:])
    >>> km.cluster_centers_.shape
    (2, 2)
    >>> km = MiniBatchKMeans(2, batch_size=6, max_iter=10, random_state=0).fit(X)
    >>> km.predict([[0, 0], [4, 4]]).tolist() == [km.predict([[1, 0]])[0], km.predict([[5, 5]])[0]]
    True
    """

    def __init__(
        self,
        n_clusters: int = 8,
        *,
        init="k-means++",
        max_iter: int = 100,
        batch_size: int = 1024,
        verbose: int = 0,
        compute_labels: bool = True,
        random_state=None,
        tol: float = 0.0,
        max_no_improvement: int | None = 10,
        init_size: int | None = None,
        n_init: str | int = "auto",
        reassignment_ratio: float = 0.01,
    ):
        self.n_clusters = n_clusters
        self.init = init
        self.max_iter = max_iter
        self.batch_size = batch_size
        self.verbose = verbose
        self.compute_labels = compute_labels
        self.random_state = random_state
        self.tol = tol
        self.max_no_improvement = max_no_improvement
        self.init_size = init_size
        self.n_init = n_init
        self.reassignment_ratio = reassignment_ratio

    # KMeans's solver choice and refinement do not apply
    algorithm = "lloyd"
    refine = None
    refine_budget = "auto"

    def _check_params(self) -> int:
        n_runs = super()._check_params()
        if self.n_init == "auto" and isinstance(self.init, str) and self.init == "random":
            n_runs = 3
        if not is_integer(self.batch_size) or self.batch_size < 1:
            raise ValueError(f"batch_size must be a positive integer, got {self.batch_size!r}.")
        if self.max_no_improvement is not None and (
            not is_integer(self.max_no_improvement) or self.max_no_improvement < 0
        ):
            raise ValueError(
                "max_no_improvement must be None or a non-negative integer, got "
                f"{self.max_no_improvement!r}."
            )
        if self.init_size is not None and (not is_integer(self.init_size) or self.init_size < 1):
            raise ValueError(
                f"init_size must be None or a positive integer, got {self.init_size!r}."
            )
        if (
            isinstance(self.reassignment_ratio, bool)
            or not isinstance(self.reassignment_ratio, numbers.Real)
            or self.reassignment_ratio < 0
        ):
            raise ValueError(
                "reassignment_ratio must be a non-negative number, got "
                f"{self.reassignment_ratio!r}."
            )
        return n_runs

    def _init_size(self, n_samples: int) -> int:
        size = 3 * self.batch_size if self.init_size is None else self.init_size
        if size < self.n_clusters:
            size = 3 * self.n_clusters
        return min(size, n_samples)

    # ----------------------------------------------------------------- seeding
    def _seed(self, rows, weights, n_samples, rng, n_runs) -> np.ndarray:
        """Initial centres (float64): the best of ``n_runs`` seedings on ``init_size`` rows,
        judged on another ``init_size`` random rows, as scikit-learn does."""
        size = self._init_size(n_samples)
        valid = rng.integers(0, n_samples, size)
        X_valid, w_valid = rows(valid), weights[valid]
        best, best_inertia = None, np.inf
        for _ in range(n_runs):
            picked = rng.integers(0, n_samples, size)
            X_init = rows(picked)
            w_init = np.ascontiguousarray(weights[picked], dtype=np.float64)
            if not w_init.any():
                w_init = np.ones_like(w_init)
            check_n_clusters(self.n_clusters, X_init)
            centers = self._initial_centers(X_init, w_init, rng, None)
            _, inertia = assign(as_solver_data(X_valid), w_valid, centers)
            if self.verbose:
                print(f"Inertia for init {_ + 1}/{n_runs}: {inertia}")
            if inertia < best_inertia:
                best, best_inertia = centers, inertia
        return best.astype(np.float64)

    def _random_reassign(self) -> bool:
        self._n_since_last_reassign += self._batch_size
        if (self._counts == 0).any() or self._n_since_last_reassign >= 10 * self.n_clusters:
            self._n_since_last_reassign = 0
            return True
        return False

    # ----------------------------------------------------------------- fitting
    def fit(self, X, y=None, sample_weight=None) -> MiniBatchKMeans:
        """Compute the centres from random mini-batches of ``X``.

        Parameters
        ----------
        X : {array-like, sparse matrix, path, numpy.memmap, RowSource} of shape \
(n_samples, n_features)
            Training data; a ``.npy`` path, memmap or row source is read a batch at a time.
        y : Ignored
        sample_weight : array-like of shape (n_samples,), default=None

        Returns
        -------
        self : MiniBatchKMeans

        Examples
        --------
        >>> import numpy as np
        >>> from kmeanskit import MiniBatchKMeans
        >>> X = np.random.default_rng(0).normal(size=(2000, 2))
        >>> MiniBatchKMeans(4, random_state=0).fit(X).cluster_centers_.shape
        (4, 2)
        """
        source = as_row_source(X)
        if source is None:
            X = check_input(X, "X", estimator=self, reset=True)
            shape, dtype = X.shape, X.dtype
            data = as_solver_data(X)

            def rows(indices):
                return X[indices]

        else:
            shape, dtype = source.shape, source.dtype
            self.n_features_in_ = shape[1]
            if hasattr(self, "feature_names_in_"):
                del self.feature_names_in_
            data = StreamedData(source)

            def rows(indices):
                return source.take(indices)

        n_runs = self._check_params()
        check_n_clusters(self.n_clusters, data)
        weights = check_sample_weight(sample_weight, data)
        if not isinstance(self.init, str) and not callable(self.init):
            check_centers(self.init, data, self.n_clusters)
        n = shape[0]
        rng = as_generator(self.random_state)
        self._batch_size = min(self.batch_size, n)
        try:
            with kernel_section():
                tol = 0.0
                if self.tol > 0:
                    tol = self.tol * data.moments(weights)[1]
                centers = self._seed(rows, weights, n, rng, n_runs)
                self._counts = np.zeros(self.n_clusters, dtype=np.float64)
                self._n_since_last_reassign = 0
                self._ewa_inertia = self._ewa_inertia_min = None
                self._no_improvement = 0
                n_steps = (self.max_iter * n) // self._batch_size
                step = 0
                for step in range(n_steps):
                    picked = rng.integers(0, n, self._batch_size)
                    before = centers.copy() if tol > 0 else None
                    batch_inertia = minibatch_step(
                        rows(picked),
                        np.ascontiguousarray(weights[picked], dtype=np.float64),
                        centers,
                        self._counts,
                        rng,
                        reassign=self._random_reassign(),
                        reassignment_ratio=self.reassignment_ratio,
                        verbose=bool(self.verbose),
                    )
                    shift = float(((centers - before) ** 2).sum()) if tol > 0 else 0.0
                    if self._converged(step, n_steps, n, shift, batch_inertia, tol):
                        break
                self.cluster_centers_ = centers.astype(dtype)
                self._n_features_out = self.n_clusters
                self.n_steps_ = step + 1
                self.n_iter_ = math.ceil((step + 1) * self._batch_size / n)
                if self.compute_labels:
                    self.labels_, inertia = assign(data, weights, self.cluster_centers_)
                    self.inertia_ = float(inertia)
                else:
                    self.inertia_ = float(self._ewa_inertia or 0.0) * n
        finally:
            if source is not None:
                source.release()
        self.n_swaps_ = 0
        return self

    def _converged(self, step, n_steps, n_samples, centers_squared_diff, batch_inertia, tol):
        """scikit-learn's early stopping: small centre change, or no improvement of the
        exponentially weighted average of the per-row batch inertia."""
        batch_inertia /= self._batch_size
        if step == 0:
            if self.verbose:
                print(f"Minibatch step {step + 1}/{n_steps}: mean batch inertia: {batch_inertia}")
            return False
        if self._ewa_inertia is None:
            self._ewa_inertia = batch_inertia
        else:
            alpha = min(self._batch_size * 2.0 / (n_samples + 1), 1.0)
            self._ewa_inertia = self._ewa_inertia * (1 - alpha) + batch_inertia * alpha
        if self.verbose:
            print(
                f"Minibatch step {step + 1}/{n_steps}: mean batch inertia: {batch_inertia}, "
                f"ewa inertia: {self._ewa_inertia}"
            )
        if tol > 0.0 and centers_squared_diff <= tol:
            if self.verbose:
                print(f"Converged (small centers change) at step {step + 1}/{n_steps}")
            return True
        if self._ewa_inertia_min is None or self._ewa_inertia < self._ewa_inertia_min:
            self._no_improvement = 0
            self._ewa_inertia_min = self._ewa_inertia
        else:
            self._no_improvement += 1
        if self.max_no_improvement is not None and self._no_improvement >= self.max_no_improvement:
            if self.verbose:
                print(f"Converged (lack of improvement in inertia) at step {step + 1}/{n_steps}")
            return True
        return False

    def partial_fit(self, X, y=None, sample_weight=None) -> MiniBatchKMeans:
        """Update the centres with one mini-batch: all of ``X``.

        The first call seeds the centres from ``X`` (on ``init_size`` of its rows).

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
        y : Ignored
        sample_weight : array-like of shape (n_samples,), default=None

        Returns
        -------
        self : MiniBatchKMeans

        Examples
        --------
        >>> import numpy as np
        >>> from kmeanskit import MiniBatchKMeans
        >>> rng = np.random.default_rng(0)
        >>> km = MiniBatchKMeans(3, random_state=0)
        >>> for _ in range(5):
        ...     km = km.partial_fit(rng.normal(size=(100, 2)))
        >>> km.n_steps_
        5
        """
        first = not hasattr(self, "cluster_centers_")
        X = check_input(X, "X", estimator=self, reset=first)
        n_runs = self._check_params()
        weights = check_sample_weight(sample_weight, X)
        with kernel_section():
            if first:
                check_n_clusters(self.n_clusters, X)
                if not isinstance(self.init, str) and not callable(self.init):
                    check_centers(self.init, X, self.n_clusters)
                self._rng = as_generator(self.random_state)
                self._batch_size = min(self.batch_size, X.shape[0])
                centers = self._seed(lambda i: X[i], weights, X.shape[0], self._rng, n_runs)
                self._counts = np.zeros(self.n_clusters, dtype=np.float64)
                self._n_since_last_reassign = 0
                self.n_steps_ = 0
            else:
                centers = self.cluster_centers_.astype(np.float64)
                if not hasattr(self, "_rng"):  # fitted by fit(): continue with fresh draws
                    self._rng = as_generator(self.random_state)
            minibatch_step(
                X,
                np.ascontiguousarray(weights, dtype=np.float64),
                centers,
                self._counts,
                self._rng,
                reassign=self._random_reassign(),
                reassignment_ratio=self.reassignment_ratio,
                verbose=bool(self.verbose),
            )
            self.cluster_centers_ = centers.astype(X.dtype)
            self._n_features_out = self.n_clusters
            if self.compute_labels:
                self.labels_, inertia = assign(as_solver_data(X), weights, self.cluster_centers_)
                self.inertia_ = float(inertia)
        self.n_steps_ += 1
        self.n_swaps_ = 0
        return self

    def _check_test_data(self, X):
        check_is_fitted(self)
        return super()._check_test_data(X)

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.non_deterministic = False
        return tags


__all__ = ["MiniBatchKMeans", "RowSource", "minibatch_step"]
