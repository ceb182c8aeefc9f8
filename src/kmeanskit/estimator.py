"""The ``KMeans`` estimator: validates, seeds, dispatches to a solver and stores the result."""

from __future__ import annotations

import dataclasses
import numbers
import warnings
from collections.abc import Callable
from typing import Any

import numpy as np
import scipy.sparse as sp
from sklearn.base import (
    BaseEstimator,
    ClassNamePrefixFeaturesOutMixin,
    ClusterMixin,
    TransformerMixin,
)
from sklearn.utils.validation import check_is_fitted

from ._parallel import kernel_section
from ._random import as_generator, as_random_state
from ._validation import (
    check_centers,
    check_finite,
    check_input,
    check_magnitude,
    check_n_clusters,
    check_sample_weight,
    is_integer,
    unit_weights,
    warn_if_few_distinct,
)
from .refine import LIGHT_TRIALS, SwapSettings, swap_refine
from .seeding import canonical_order, greedy_kmeans_plusplus, random_init
from .seeding_parallel import choose_init, kmeans_parallel
from .solvers import SOLVERS, KMeansResult, choose_solver
from .solvers._data import (
    DenseData,
    StreamedData,
    as_solver_data,
    assign,
    distances,
    nearest_with_distances,
)
from .streaming import RowSource, as_row_source

_INIT_NAMES = ("auto", "k-means++", "k-means||", "random")
SEED_SAMPLE_MIN_ROWS = 2**16
SEED_SAMPLE_ROWS_PER_CLUSTER = 256
"""A streamed fit seeds on a uniform sample of max(2**16, 256 k) rows (FAISS's
``max_points_per_centroid`` is 256 too); Lloyd then runs on every row."""
_REFINE_NAMES = ("auto", "swap", None)


def _same_clustering(labels_a: np.ndarray, labels_b: np.ndarray) -> bool:
    """True when two labelings are the same partition up to a renaming of the clusters."""
    pairs = np.unique(labels_a.astype(np.int64) * (int(labels_b.max()) + 1) + labels_b)
    return pairs.size == np.unique(labels_a).size == np.unique(labels_b).size


def _unit_rows(X):
    """Rows scaled to unit Euclidean length (a copy; zero rows stay zero), dense or CSR."""
    from sklearn.preprocessing import normalize

    unit = normalize(X, norm="l2", copy=True)
    return unit if sp.issparse(unit) else np.ascontiguousarray(unit)


def _seed_sample(source: RowSource, weights, n_clusters: int, rng) -> tuple[np.ndarray, np.ndarray]:
    """A uniform sample of the rows with positive weight (all of them when few), and their
    weights: what a streamed fit seeds on."""
    n = source.shape[0]
    size = max(SEED_SAMPLE_MIN_ROWS, SEED_SAMPLE_ROWS_PER_CLUSTER * n_clusters)
    positive = None if weights.strides == (0,) else np.flatnonzero(weights > 0)
    pool = n if positive is None else positive.size
    if size >= pool:
        rows = np.arange(n) if positive is None else positive
    else:
        picked = np.sort(rng.choice(pool, size=size, replace=False))
        rows = picked if positive is None else positive[picked]
    sample = np.ascontiguousarray(source.take(rows))
    sample_weights = np.ascontiguousarray(weights[rows], dtype=np.float64)
    check_n_clusters(n_clusters, sample)
    return sample, sample_weights


class KMeans(ClassNamePrefixFeaturesOutMixin, TransformerMixin, ClusterMixin, BaseEstimator):
    """K-means clustering, a drop-in replacement for ``sklearn.cluster.KMeans``.

    Same parameters, attributes and methods as scikit-learn's estimator; the seeding and the
    solver are kmeanskit's own parallel numba kernels. float32 data stays float32, the n x k
    distance matrix is never built, and results do not depend on the number of threads.

    Parameters
    ----------
    n_clusters : int, default=8
        The number of clusters to form.
    init : {"auto", "k-means++", "k-means||", "random"}, callable or array-like of shape \
(n_clusters, n_features), default="auto"
        How to choose the initial centres: greedy k-means++; k-means|| (Bahmani et al. 2012:
        5 passes over the data instead of k, for large n and k, see
        :mod:`kmeanskit.seeding_parallel`); ``n_clusters`` rows drawn at random (probability
        proportional to ``sample_weight``); a callable ``init(X, n_clusters, random_state)``
        returning centres; or the centres themselves. ``"auto"`` runs k-means|| for
        ``n_samples >= 20_000`` and either ``n_clusters >= 32`` or ``n_clusters >= 16`` with
        ``n_features >= 16`` (faster there, most often at a lower inertia), greedy k-means++
        otherwise: a rule measured in ``benchmarks/INIT.md``. ``"k-means++"`` seeds as
        scikit-learn does, whatever the size.
    n_init : "auto" or int, default="auto"
        Number of runs from different initial centres; the run with the lowest inertia is
        kept. ``"auto"`` means 1 for ``init="auto"``, ``"k-means++"``, ``"k-means||"`` or an
        array, and 10 otherwise.
    max_iter : int, default=300
        Maximum number of iterations of one run.
    tol : float, default=1e-4
        Relative tolerance: a run stops when the squared centre shift summed over clusters is
        at most ``tol`` times the mean (weighted) variance of the features.
    verbose : int, default=0
        Print the progress of every run.
    random_state : int, numpy.random.Generator, numpy.random.RandomState or None, \
default=None
        Seed of the initialisation. An int gives reproducible results, whatever the
        number of threads.
    copy_x : bool, default=True
        Accepted for compatibility. kmeanskit never modifies ``X`` and never copies it to
        centre it (centring happens chunk by chunk inside the kernels), so this has no effect.
    algorithm : {"auto", "lloyd", "yinyang", "hamerly", "kdtree", "elkan"}, default="auto"
        The exact solver; all give the same result from the same initial centres (up to
        floating-point ties). ``"lloyd"`` computes every distance with GEMM tiles;
        ``"yinyang"`` skips most of them with one triangle-inequality bound per group of
        about 10 centres (n x k/10 float32, capped at 256 MiB); ``"hamerly"`` with a single
        bound per point (O(n) memory), searching a row that fails it, at large k, among its
        centre's nearest neighbours only; ``"kdtree"`` assigns whole boxes of a kd-tree of the
        rows at once (Kanungo et al. 2002; for few features; a tree-ordered copy of the
        rows); ``"elkan"`` is accepted for scikit-learn compatibility and runs
        ``"hamerly"``. ``"auto"`` picks the kd-tree for dense data with ``n_features <= 2``
        and ``n_clusters >= 128``, then Hamerly for ``n_features >= 16``, and Lloyd
        otherwise, a rule measured in
        ``benchmarks/SOLVERS*.md``. Sparse input always runs Lloyd.
    refine : {"auto", "swap"} or None, default="auto"
        Improve the best run by *swap trials* (:mod:`kmeanskit.refine`): move the centre
        whose removal costs least into the cluster of largest error, run 2 Lloyd iterations,
        keep the move only if the inertia drops. This repairs the typical local optimum of
        Lloyd's algorithm (two centres in one cluster, one centre on two clusters), which no
        number of Lloyd iterations repairs. ``"auto"`` runs 2 trials after a seeded fit with
        ``n_clusters >= 3`` and none when ``init`` is an array (Lloyd from your centres, as
        scikit-learn does); ``"swap"`` searches until ``refine_budget`` is spent; ``None`` runs
        plain Lloyd. Measured in
        ``benchmarks/QUALITY.md``: with ``"swap"`` every cluster of each of Fränti's 31 benchmark
        sets is found (centroid index 0) in at least 99% of seeds.
    refine_budget : "auto" or int, default="auto"
        The largest number of swap trials. ``"auto"`` is 2 for ``refine="auto"`` and, for
        ``refine="swap"``, ``2 * n_clusters + 20`` trials, stopping early after
        ``max(10, n_clusters // 4)`` failed trials in a row.

    Attributes
    ----------
    cluster_centers_ : ndarray of shape (n_clusters, n_features)
        Coordinates of the cluster centres, in the dtype of the training data.
    labels_ : ndarray of shape (n_samples,)
        Label of every training point.
    inertia_ : float
        Weighted sum of squared distances of the samples to their closest centre.
    n_iter_ : int
        Number of iterations of the kept run (after accepted swaps: of the final Lloyd run).
    n_swaps_ : int
        Number of swap trials accepted by ``refine`` (0: the first local optimum was kept).
    n_features_in_ : int
        Number of features seen during fit.
    feature_names_in_ : ndarray of shape (n_features_in_,)
        Names of the features seen during fit, when ``X`` had string column names.

    Examples
    --------
    >>> import numpy as np
    >>> from kmeanskit import KMeans
    >>> X = np.array([[1, 2], [1, 4], [1, 0], [10, 2], [10, 4], [10, 0]], dtype=float)
    >>> km = KMeans(n_clusters=2, random_state=0).fit(X)
    >>> sorted(km.cluster_centers_.tolist())
    [[1.0, 2.0], [10.0, 2.0]]
    >>> km.predict([[0, 0], [12, 3]]).tolist() == [km.labels_[0], km.labels_[3]]
    True
    """

    _spherical = False  # SphericalKMeans: unit-length rows and centres (cosine similarity)

    def __init__(
        self,
        n_clusters: int = 8,
        *,
        init: str | Callable | Any = "auto",
        n_init: str | int = "auto",
        max_iter: int = 300,
        tol: float = 1e-4,
        verbose: int = 0,
        random_state: int | np.random.RandomState | np.random.Generator | None = None,
        copy_x: bool = True,
        algorithm: str = "auto",
        refine: str | None = "auto",
        refine_budget: int | str = "auto",
    ):
        self.n_clusters = n_clusters
        self.init = init
        self.n_init = n_init
        self.max_iter = max_iter
        self.tol = tol
        self.verbose = verbose
        self.random_state = random_state
        self.copy_x = copy_x
        self.algorithm = algorithm
        self.refine = refine
        self.refine_budget = refine_budget

    # ----------------------------------------------------------------- parameters
    def _check_params(self) -> int:
        """Validate the hyper-parameters once; return the number of runs."""
        if isinstance(self.init, str):
            if self.init not in _INIT_NAMES:
                raise ValueError(
                    "init must be 'auto', 'k-means++', 'k-means||', 'random', a callable or an "
                    f"array of shape (n_clusters, n_features); got {self.init!r}."
                )
        elif not (
            callable(self.init)
            or hasattr(self.init, "__array__")
            or isinstance(self.init, (list, tuple))
        ):
            raise TypeError(f"init must be a string, a callable or an array; got {self.init!r}.")
        for name in ("max_iter",):
            value = getattr(self, name)
            if not is_integer(value) or value < 1:
                raise ValueError(f"{name} must be a positive integer, got {value!r}.")
        if (
            isinstance(self.tol, bool)
            or not isinstance(self.tol, numbers.Real)
            or not self.tol >= 0
        ):
            raise ValueError(f"tol must be a non-negative number, got {self.tol!r}.")
        if self.refine not in _REFINE_NAMES:
            raise ValueError(f"refine must be 'auto', 'swap' or None; got {self.refine!r}.")
        if self.refine_budget != "auto" and (
            not is_integer(self.refine_budget) or self.refine_budget < 0
        ):
            raise ValueError(
                "refine_budget must be 'auto' or a non-negative integer (the largest number "
                f"of swap trials); got {self.refine_budget!r}."
            )
        if self.algorithm != "auto" and self.algorithm not in SOLVERS:
            raise ValueError(
                f"algorithm must be 'auto' or one of {sorted(SOLVERS)}; got {self.algorithm!r}."
            )
        explicit_centres = not isinstance(self.init, str) and not callable(self.init)
        if self.n_init == "auto":
            return (
                1
                if (isinstance(self.init, str) and self.init != "random") or explicit_centres
                else 10
            )
        if not is_integer(self.n_init):
            raise ValueError(f"n_init must be 'auto' or a positive integer, got {self.n_init!r}.")
        if self.n_init < 1:
            raise ValueError(f"n_init must be 'auto' or a positive integer, got {self.n_init}.")
        if explicit_centres and self.n_init != 1:
            warnings.warn(
                "Explicit initial center position passed: performing only one init in "
                f"{type(self).__name__} instead of n_init={self.n_init}.",
                RuntimeWarning,
                stacklevel=3,
            )
            return 1
        return int(self.n_init)

    def _swap_settings(self) -> SwapSettings | None:
        """The swap refinement ``refine`` and ``refine_budget`` ask for; None for none."""
        if self.refine is None:
            return None
        if self.refine == "auto" and not isinstance(self.init, str) and not callable(self.init):
            return None  # explicit initial centres: Lloyd from them, as scikit-learn does
        if self.refine == "auto" and self.n_clusters < 3:
            return None  # the trap a swap repairs (one centre on two clusters while another
            # cluster holds two centres) needs 3 centres; Lloyd itself leaves no such k = 2 trap
        if self.refine_budget != "auto":
            return SwapSettings.trials(self.refine_budget)
        if self.refine == "auto":
            return SwapSettings.trials(LIGHT_TRIALS)
        return SwapSettings.thorough(self.n_clusters)

    def _initial_centers(self, X, weights, rng, order) -> np.ndarray:
        init = self.init
        if isinstance(init, str):
            init = choose_init(init, X.shape[0], X.shape[1], self.n_clusters)
        if isinstance(init, str) and init == "k-means++":
            centers, _ = greedy_kmeans_plusplus(X, self.n_clusters, weights, rng, order=order)
        elif isinstance(init, str) and init == "k-means||":
            centers = kmeans_parallel(X, self.n_clusters, weights, rng, order=order)
        elif isinstance(init, str):
            centers, _ = random_init(X, self.n_clusters, weights, rng, order=order)
        elif callable(self.init):
            centers = self.init(X, self.n_clusters, random_state=as_random_state(rng))
            centers = check_centers(centers, X, self.n_clusters, name="init(X) result")
        else:
            centers = check_centers(self.init, X, self.n_clusters)
        if not np.isfinite(centers).all():
            raise ValueError("The initial centers contain NaN or infinity.")
        if self._spherical:
            centers = _unit_rows(np.asarray(centers, dtype=np.float64))
        return np.ascontiguousarray(centers, dtype=X.dtype)

    # ----------------------------------------------------------------- fitting
    def fit(self, X, y=None, sample_weight=None) -> KMeans:
        """Compute k-means clustering.

        Parameters
        ----------
        X : {array-like, sparse matrix, path, numpy.memmap, RowSource} of shape \
(n_samples, n_features)
            Training data. float32 stays float32; other numeric types become float64; sparse
            input is used as CSR without densifying. A path to a ``.npy`` file, a
            ``numpy.memmap`` or a :class:`kmeanskit.streaming.RowSource` is *streamed*: Lloyd
            iterations read it a window at a time (see :mod:`kmeanskit.streaming`), with the
            same result as the in-memory fit from the same initial centres. With a string
            ``init``, seeding, restarts and refinement run on a uniform sample of
            ``max(65536, 256 * n_clusters)`` rows first.
        y : Ignored
            Not used, present for API consistency.
        sample_weight : array-like of shape (n_samples,), default=None
            Weight of every sample; ``None`` means equal weights.

        Returns
        -------
        self : KMeans
            The fitted estimator.

        Examples
        --------
        >>> import numpy as np
        >>> from kmeanskit import KMeans
        >>> X = np.random.default_rng(0).normal(size=(100, 2))
        >>> KMeans(n_clusters=3, random_state=0).fit(X).cluster_centers_.shape
        (3, 2)
        """
        source = as_row_source(X)
        if source is not None:
            return self._fit_streamed(source, sample_weight)
        # dense data's finiteness is checked from the column sums (_best_of_runs): one pass
        # over X fewer: same-init blobs-500k-d16-k32 fit 0.094 -> 0.088 s (alternated A/B)
        X = check_input(X, "X", estimator=self, reset=True, finite=self._spherical)
        if self._spherical:
            X = _unit_rows(X)
        n_runs = self._check_params()
        check_n_clusters(self.n_clusters, X)
        weights = check_sample_weight(sample_weight, X)
        if not isinstance(self.init, str) and not callable(self.init):
            check_centers(self.init, X, self.n_clusters)  # fail before any work
        rng = as_generator(self.random_state)

        with kernel_section():
            best = self._best_of_runs(X, weights, rng, n_runs)

        return self._store(best)

    def _store(self, best: KMeansResult) -> KMeans:
        warn_if_few_distinct(best.labels, self.n_clusters)
        self.cluster_centers_ = best.centers
        self._n_features_out = self.cluster_centers_.shape[0]
        self.labels_ = best.labels
        self.inertia_ = float(best.inertia)
        self.n_iter_ = best.n_iter
        self.n_swaps_ = best.swaps
        return self

    def _fit_streamed(self, source: RowSource, sample_weight) -> KMeans:
        """Fit on rows read a window at a time.

        With a string or callable ``init``, the whole in-memory pipeline (seeding, ``n_init``
        runs, refinement) runs on a uniform sample of the rows, which costs no pass over the
        file; then Lloyd runs on every row from the sample's centres, usually for a few
        passes since they start near a local optimum. With an array ``init``, Lloyd runs from
        it, exactly as in memory.
        """
        if self._spherical:
            raise ValueError(
                f"{type(self).__name__} scales its rows to unit length, which needs them in "
                f"memory; load the data (np.load) or fit kmeanskit.KMeans on unit rows."
            )
        n_runs = self._check_params()
        check_n_clusters(self.n_clusters, source)
        weights = check_sample_weight(sample_weight, source)
        self.n_features_in_ = source.shape[1]
        if hasattr(self, "feature_names_in_"):
            del self.feature_names_in_
        explicit = not isinstance(self.init, str) and not callable(self.init)
        if explicit:
            centers_init = check_centers(self.init, source, self.n_clusters)
        rng = as_generator(self.random_state)
        data = StreamedData(source)
        swaps_on_sample = 0
        try:
            with kernel_section():
                if not explicit:
                    sample, sample_weights = _seed_sample(source, weights, self.n_clusters, rng)
                    on_sample = self._best_of_runs(sample, sample_weights, rng, n_runs)
                    centers_init, swaps_on_sample = on_sample.centers, on_sample.swaps
                    del sample, sample_weights, on_sample
                if self.verbose:
                    print("Initialization complete")
                shift, mean_variance = data.moments(weights, with_variance=self.tol > 0)
                check_magnitude(data.largest, data.dtype, data.shape[1])
                best = SOLVERS["lloyd"](
                    data,
                    weights,
                    centers_init,
                    max_iter=self.max_iter,
                    tol=self.tol * mean_variance,
                    shift=shift,
                    verbose=bool(self.verbose),
                )
        finally:
            source.release()
        return self._store(dataclasses.replace(best, swaps=swaps_on_sample))

    def _best_of_runs(self, X, weights, rng, n_runs: int) -> KMeansResult:
        """Seed and solve ``n_runs`` times; keep the lowest inertia (a different partition)."""
        solve = SOLVERS[choose_solver(self.algorithm, self.n_clusters, X.shape[1], sp.issparse(X))]
        data = as_solver_data(X)
        shift, mean_variance = data.moments(weights, with_variance=self.tol > 0)
        if not np.isfinite(shift).all():  # names a NaN or infinity (else a float64 overflow)
            check_finite(X, "X", getattr(self, "feature_names_in_", None))
        if not data.sparse:  # sparse data was checked by check_input
            check_magnitude(data.largest, X.dtype, X.shape[1])  # recorded by moments()
        tol = self.tol * mean_variance
        order = canonical_order(X) if isinstance(self.init, str) else None
        best: KMeansResult | None = None
        for _ in range(n_runs):
            centers_init = self._initial_centers(X, weights, rng, order)
            if self.verbose:
                print("Initialization complete")
            result = solve(
                data,
                weights,
                centers_init,
                max_iter=self.max_iter,
                tol=tol,
                shift=shift,
                verbose=bool(self.verbose),
                spherical=self._spherical,
            )
            if best is None or (
                result.inertia < best.inertia and not _same_clustering(result.labels, best.labels)
            ):
                best = result
        settings = self._swap_settings()
        if settings is not None:
            best = swap_refine(
                data,
                weights,
                best,
                solve,
                rng,
                settings=settings,
                max_iter=self.max_iter,
                tol=tol,
                shift=shift,
                verbose=bool(self.verbose),
                spherical=self._spherical,
            )
        return best

    def fit_predict(self, X, y=None, sample_weight=None) -> np.ndarray:
        """Compute the clustering and return the label of every sample.

        Examples
        --------
        >>> import numpy as np
        >>> from kmeanskit import KMeans
        >>> X = np.array([[0.0, 0.0], [0.1, 0.0], [5.0, 5.0], [5.1, 5.0]])
        >>> labels = KMeans(n_clusters=2, random_state=0).fit_predict(X)
        >>> bool(labels[0] == labels[1] != labels[2] == labels[3])
        True
        """
        return self.fit(X, sample_weight=sample_weight).labels_

    def fit_transform(self, X, y=None, sample_weight=None) -> np.ndarray:
        """Compute the clustering and return the distances of every sample to every centre.

        Examples
        --------
        >>> import numpy as np
        >>> from kmeanskit import KMeans
        >>> X = np.array([[0.0, 0.0], [0.0, 2.0], [9.0, 9.0]])
        >>> KMeans(n_clusters=3, random_state=0).fit_transform(X).shape
        (3, 3)
        """
        return self.fit(X, sample_weight=sample_weight)._transform(self._check_test_data(X))

    # ----------------------------------------------------------------- using the model
    def _check_test_data(self, X):
        check_is_fitted(self)
        source = as_row_source(X)
        if source is not None:
            if source.shape[1] != self.n_features_in_:
                raise ValueError(
                    f"X has {source.shape[1]} features, but {type(self).__name__} is "
                    f"expecting {self.n_features_in_} features as input."
                )
            if self._spherical:
                raise ValueError(f"{type(self).__name__} needs its rows in memory.")
            return source
        X = check_input(X, "X", estimator=self, reset=False)
        return _unit_rows(X) if self._spherical else X

    def nearest(self, X) -> tuple[np.ndarray, np.ndarray]:
        """Nearest centre of every row and the Euclidean distance to it, in one pass.

        Like ``predict`` plus the distance, without the (n, k) matrix ``transform`` returns.

        Examples
        --------
        >>> import numpy as np
        >>> from kmeanskit import KMeans
        >>> km = KMeans(1, random_state=0).fit(np.array([[0.0], [2.0]]))
        >>> labels, distance = km.nearest(np.array([[4.0]]))
        >>> labels.tolist(), distance.tolist()
        ([0], [3.0])
        """
        check_is_fitted(self)
        X = self._check_test_data(X)
        with kernel_section():
            labels, sq = nearest_with_distances(as_solver_data(X), self.cluster_centers_)
        return labels, np.sqrt(sq)

    def _labels_and_inertia(self, X, weights) -> tuple[np.ndarray, float]:
        with kernel_section():
            return assign(as_solver_data(X), weights, self.cluster_centers_)

    def save(self, path, *, overwrite: bool = True):
        """Write the fitted model to ``path`` without pickle; read it with ``kmeanskit.load``.

        The file is versioned and checksummed (format in :mod:`kmeanskit.persist`): loading
        never runs code from it, and an edited or truncated file fails with a clear error.

        Examples
        --------
        >>> import numpy as np, tempfile, pathlib
        >>> from kmeanskit import KMeans, load
        >>> km = KMeans(2, random_state=0).fit(np.array([[0.0], [1.0], [9.0], [10.0]]))
        >>> path = pathlib.Path(tempfile.mkdtemp()) / "segments.kmk"
        >>> km.save(path)
        >>> load(path).predict([[0.2], [9.9]]).tolist() == km.predict([[0.2], [9.9]]).tolist()
        True
        """
        from .persist import save

        save(self, path, overwrite=overwrite)

    def predict(self, X) -> np.ndarray:
        """Index of the closest cluster centre for every sample.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)

        Returns
        -------
        labels : ndarray of shape (n_samples,)

        Examples
        --------
        >>> import numpy as np
        >>> from kmeanskit import KMeans
        >>> km = KMeans(n_clusters=2, init=np.array([[0.0], [10.0]])).fit([[0.0], [1.0], [9.0]])
        >>> km.predict([[2.0], [8.0]]).tolist()
        [0, 1]
        """
        X = self._check_test_data(X)
        weights = unit_weights(X.shape[0])
        return self._labels_and_inertia(X, weights)[0]

    def score(self, X, y=None, sample_weight=None) -> float:
        """Opposite of the inertia of ``X`` against the fitted centres (higher is better).

        Examples
        --------
        >>> import numpy as np
        >>> from kmeanskit import KMeans
        >>> km = KMeans(n_clusters=1, init=np.array([[0.0]])).fit([[-1.0], [1.0]])
        >>> km.score([[2.0]])
        -4.0
        """
        X = self._check_test_data(X)
        weights = check_sample_weight(sample_weight, X)
        return -float(self._labels_and_inertia(X, weights)[1])

    def _transform(self, X) -> np.ndarray:
        with kernel_section():
            if not isinstance(X, RowSource):
                return distances(as_solver_data(X), self.cluster_centers_)
            out = np.empty((X.shape[0], self.n_clusters), dtype=X.dtype)
            for start, rows in X.windows():
                out[start : start + rows.shape[0]] = distances(
                    DenseData(rows), self.cluster_centers_
                )
            X.release()
            return out

    def transform(self, X) -> np.ndarray:
        """Euclidean distance of every sample to every cluster centre.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)

        Returns
        -------
        distances : ndarray of shape (n_samples, n_clusters)

        Examples
        --------
        >>> import numpy as np
        >>> from kmeanskit import KMeans
        >>> km = KMeans(n_clusters=2, init=np.array([[0.0], [10.0]])).fit([[0.0], [10.0]])
        >>> km.transform([[4.0]]).tolist()
        [[4.0, 6.0]]
        """
        return self._transform(self._check_test_data(X))

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.sparse = True
        return tags
