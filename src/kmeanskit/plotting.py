"""The pictures k-means users want: clusters with centroids, the elbow with its knee, the
silhouette diagram, and a one-figure summary of :func:`kmeanskit.suggest_k`.

Needs matplotlib (``pip install "kmeanskit[plot]"``). Every function draws on the ``ax`` it is
given or on a new :class:`matplotlib.figure.Figure` (no pyplot state, no window), returns the
Axes or Figure, and never calls ``plt.show()``. Save with ``ax.figure.savefig("out.png")``.
"""

from __future__ import annotations

import numpy as np

from .metrics import _dense_input, _label_codes, silhouette_samples


def _figure(**kwargs):
    """A new matplotlib Figure (no pyplot), or an error that says how to install matplotlib."""
    try:
        from matplotlib.figure import Figure
    except ImportError:
        raise ImportError(
            "kmeanskit.plotting needs matplotlib: pip install 'kmeanskit[plot]'"
        ) from None
    return Figure(layout="constrained", **kwargs)


def _new_axes(ax, figsize=(6.0, 4.5)):
    return ax if ax is not None else _figure(figsize=figsize).add_subplot()


def _integer_ticks(ax) -> None:
    from matplotlib.ticker import MaxNLocator

    ax.xaxis.set_major_locator(MaxNLocator(integer=True))


def _palette(n: int):
    from matplotlib import colormaps

    cmap = colormaps["tab10" if n <= 10 else "tab20" if n <= 20 else "turbo"]
    return [cmap(i / max(n - 1, 1)) if n > 20 else cmap(i) for i in range(n)]


def project_2d(X: np.ndarray, *others: np.ndarray):
    """Project X (and other arrays in its space) on its first two principal axes.

    Returns the projected arrays followed by the fraction of variance each axis explains.
    Data with one or two features is returned as is (a zero second axis for one feature).

    Examples
    --------
    >>> import numpy as np
    >>> X = np.random.default_rng(0).normal(size=(100, 5)) * [5, 1, 1, 1, 1]
    >>> P, ratio = project_2d(X)
    >>> P.shape, bool(ratio[0] > 0.5)
    ((100, 2), True)
    """
    X = np.asarray(X, dtype=np.float64)
    d = X.shape[1]
    if d <= 2:
        pad = (lambda A: np.c_[A, np.zeros(len(A))]) if d == 1 else (lambda A: A)
        return (pad(X), *(pad(np.asarray(o, dtype=np.float64)) for o in others), None)
    mean = X.mean(axis=0)
    _, s, vt = np.linalg.svd(X - mean, full_matrices=False)
    ratio = s**2 / (s**2).sum()
    axes = vt[:2].T
    projected = [(np.asarray(A, dtype=np.float64) - mean) @ axes for A in (X, *others)]
    return (*projected, ratio[:2])


def plot_clusters(
    X,
    labels,
    centers=None,
    *,
    ax=None,
    max_points: int = 20_000,
    random_state=0,
    title: str | None = None,
):
    """Scatter the points coloured by cluster with the centroids marked.

    Two features are drawn directly; more are projected on the first two principal axes of the
    data (the axis labels give the variance each explains). Above ``max_points`` a random
    subset of the points is drawn (centroids always).

    Parameters
    ----------
    X : array-like of shape (n_samples, n_features)
    labels : array-like of shape (n_samples,)
    centers : array-like of shape (n_clusters, n_features), default=None
        Drawn as black-edged crosses; ``None`` uses the mean of every cluster.
    ax : matplotlib Axes, default=None
    max_points : int, default=20000
    random_state : int, default=0
        Seed of the subsample.
    title : str, default=None

    Returns
    -------
    matplotlib.axes.Axes

    Examples
    --------
    >>> import numpy as np
    >>> from kmeanskit.plotting import plot_clusters
    >>> X = np.random.default_rng(0).normal(size=(50, 3))
    >>> ax = plot_clusters(X, np.arange(50) % 2)
    >>> ax.get_xlabel()[:3]
    'PC1'
    """
    X = _dense_input(X)
    codes, uniques = _label_codes(labels, X.shape[0], need_two=False)
    k = uniques.size
    if centers is None:
        centers = np.array([X[codes == c].mean(axis=0) for c in range(k)])
    centers = np.asarray(centers, dtype=np.float64)
    if centers.ndim != 2 or centers.shape[1] != X.shape[1]:
        raise ValueError(f"centers must have {X.shape[1]} columns like X, got {centers.shape}.")
    P, C, ratio = project_2d(X, centers)
    rows = np.arange(X.shape[0])
    if rows.size > max_points:
        rows = np.sort(np.random.default_rng(random_state).choice(rows, max_points, False))
    ax = _new_axes(ax)
    colours = _palette(max(k, centers.shape[0]))
    for c in range(k):
        mine = rows[codes[rows] == c]
        ax.scatter(P[mine, 0], P[mine, 1], s=6, color=colours[c], alpha=0.6, label=str(uniques[c]))
    ax.scatter(
        C[:, 0], C[:, 1], marker="X", s=140, c=colours[: C.shape[0]], edgecolors="black",
        linewidths=1.5, zorder=3, label="centroids",
    )  # fmt: skip
    if ratio is None:
        ax.set_xlabel("feature 0")
        ax.set_ylabel("feature 1" if X.shape[1] == 2 else "")
    else:
        ax.set_xlabel(f"PC1 ({100 * ratio[0]:.1f}% of variance)")
        ax.set_ylabel(f"PC2 ({100 * ratio[1]:.1f}% of variance)")
    ax.set_title(title or f"{k} clusters")
    if k <= 12:
        ax.legend(loc="best", fontsize="small", markerscale=2)
    return ax


def plot_elbow(ks, inertia, *, knee="auto", ax=None):
    """Inertia against k with the knee marked by a dashed vertical line.

    Parameters
    ----------
    ks : array-like of int
    inertia : array-like of float
    knee : "auto", int or None, default="auto"
        ``"auto"`` finds it with :func:`kmeanskit.choose_k.find_knee`; ``None`` draws none.
    ax : matplotlib Axes, default=None

    Returns
    -------
    matplotlib.axes.Axes

    Examples
    --------
    >>> from kmeanskit.plotting import plot_elbow
    >>> ax = plot_elbow([1, 2, 3, 4, 5, 6], [100, 60, 20, 15, 12, 10])
    >>> ax.lines[1].get_xdata()[0]
    3
    """
    from .choose_k import find_knee

    ks = np.asarray(ks)
    inertia = np.asarray(inertia, dtype=np.float64)
    if ks.shape != inertia.shape or ks.ndim != 1:
        raise ValueError(f"ks and inertia must be 1-D of one length, got {ks.shape} and "
                         f"{inertia.shape}.")  # fmt: skip
    if knee == "auto":
        knee = find_knee(ks, inertia)
    ax = _new_axes(ax)
    ax.plot(ks, inertia, "o-", color="tab:blue", label="inertia")
    if knee is not None:
        ax.axvline(knee, color="tab:red", linestyle="--", label=f"knee: k = {knee}")
    _integer_ticks(ax)
    ax.set_xlabel("number of clusters k")
    ax.set_ylabel("inertia (within-cluster sum of squares)")
    ax.set_title("Elbow")
    ax.legend(loc="best")
    return ax


def plot_silhouette(X=None, labels=None, *, samples=None, metric: str = "euclidean", ax=None):
    """The silhouette diagram: every cluster's sorted silhouette values as a band, and the mean.

    Parameters
    ----------
    X : array-like of shape (n_samples, n_features), default=None
        Not needed when ``samples`` is given.
    labels : array-like of shape (n_samples,)
    samples : array-like of shape (n_samples,), default=None
        Precomputed :func:`kmeanskit.metrics.silhouette_samples`.
    metric : {"euclidean", "cosine"}, default="euclidean"
    ax : matplotlib Axes, default=None

    Returns
    -------
    matplotlib.axes.Axes

    Examples
    --------
    >>> import numpy as np
    >>> from kmeanskit.plotting import plot_silhouette
    >>> noise = np.random.default_rng(0).random((40, 2))
    >>> X = np.r_[np.zeros((20, 2)), np.full((20, 2), 5.0)] + noise
    >>> ax = plot_silhouette(X, [0] * 20 + [1] * 20)
    >>> len(ax.collections)  # one band per cluster
    2
    """
    if labels is None:
        raise ValueError("labels are required.")
    if samples is None:
        if X is None:
            raise ValueError("give X (to compute the silhouette) or samples.")
        samples = silhouette_samples(X, labels, metric=metric)
    samples = np.asarray(samples, dtype=np.float64)
    codes, uniques = _label_codes(labels, samples.shape[0], need_two=False)
    k = uniques.size
    ax = _new_axes(ax, figsize=(6.0, 5.0))
    colours = _palette(k)
    gap = max(10, samples.size // 100)
    y = gap
    for c in range(k):
        values = np.sort(samples[codes == c])
        ax.fill_betweenx(np.arange(y, y + values.size), 0, values, color=colours[c], alpha=0.8)
        ax.text(-0.05, y + values.size / 2, str(uniques[c]), ha="right", va="center")
        y += values.size + gap
    mean = float(samples.mean())
    ax.axvline(mean, color="tab:red", linestyle="--", label=f"mean silhouette {mean:.3f}")
    ax.set_xlim(min(-0.1, samples.min() - 0.05), 1.0)
    ax.set_yticks([])
    ax.set_xlabel("silhouette coefficient")
    ax.set_ylabel("cluster")
    ax.set_title(f"Silhouette diagram, {k} clusters")
    ax.legend(loc="lower right")
    return ax


def plot_suggest_k(result, X=None):
    """One figure summarising :func:`kmeanskit.suggest_k`: elbow, silhouette, gap, CH, DB and,
    given ``X``, the clusters at the consensus k. The chosen k of each method is marked.

    Returns
    -------
    matplotlib.figure.Figure

    Examples
    --------
    >>> from sklearn.datasets import make_blobs
    >>> from kmeanskit import suggest_k
    >>> from kmeanskit.plotting import plot_suggest_k
    >>> X, _ = make_blobs(300, centers=3, random_state=0)
    >>> fig = plot_suggest_k(suggest_k(X, range(2, 6), random_state=0), X)
    >>> len(fig.axes)
    6
    """
    table, chosen = result.table, result.chosen
    ks = table["k"]
    panels = [p for p in ("inertia", "silhouette", "gap", "calinski_harabasz", "davies_bouldin")
              if p in table]  # fmt: skip
    n_panels = len(panels) + (X is not None)
    cols = 3 if n_panels > 4 else 2
    rows = -(-n_panels // cols)
    fig = _figure(figsize=(5.0 * cols, 3.8 * rows))
    axes = [fig.add_subplot(rows, cols, i + 1) for i in range(n_panels)]
    method_of = {"inertia": "elbow", "silhouette": "silhouette", "gap": "gap",
                 "calinski_harabasz": "ch", "davies_bouldin": "db"}  # fmt: skip
    titles = {"silhouette": "Silhouette (higher is better)", "gap": "Gap statistic",
              "calinski_harabasz": "Calinski-Harabasz (higher is better)",
              "davies_bouldin": "Davies-Bouldin (lower is better)"}  # fmt: skip
    for ax, column in zip(axes, panels, strict=False):
        pick = chosen.get(method_of[column])
        if column == "inertia":
            plot_elbow(ks, table["inertia"], knee=pick, ax=ax)
            continue
        values = table[column]
        if column == "gap":
            ax.errorbar(ks, values, yerr=table["gap_se"], fmt="o-", capsize=3)
        else:
            ax.plot(ks, values, "o-")
        if column == "silhouette" and "silhouette_low" in table:
            ax.fill_between(ks, table["silhouette_low"], table["silhouette_high"], alpha=0.25,
                            label="95% interval")  # fmt: skip
        if pick is not None:
            ax.axvline(pick, color="tab:red", linestyle="--", label=f"chosen: k = {pick}")
        ax.set_title(titles[column])
        _integer_ticks(ax)
        ax.set_xlabel("number of clusters k")
        ax.legend(loc="best", fontsize="small")
    if X is not None:
        plot_clusters(X, result.labels[result.k], result.centers[result.k], ax=axes[-1],
                      title=f"Consensus: k = {result.k}")  # fmt: skip
    fig.suptitle(result.reasoning, fontsize="medium")
    return fig


__all__ = ["plot_clusters", "plot_elbow", "plot_silhouette", "plot_suggest_k", "project_2d"]
