"""Plots render to PNG with Agg and carry the artists they promise."""

import matplotlib

matplotlib.use("Agg")

import numpy as np  # noqa: E402
import pytest  # noqa: E402
from matplotlib.collections import PathCollection, PolyCollection  # noqa: E402
from sklearn.datasets import make_blobs  # noqa: E402

from kmeanskit import KMeans, suggest_k  # noqa: E402
from kmeanskit.plotting import (  # noqa: E402
    plot_clusters,
    plot_elbow,
    plot_silhouette,
    plot_suggest_k,
    project_2d,
)


def _png(fig, tmp_path, name):
    path = tmp_path / f"{name}.png"
    fig.savefig(path)
    assert path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" and path.stat().st_size > 5000
    return path


@pytest.mark.parametrize("d", [1, 2, 5])
def test_clusters_points_and_centroid_markers(tmp_path, d):
    X, _ = make_blobs(600, d, centers=3, random_state=0)
    km = KMeans(3, random_state=0).fit(X)
    ax = plot_clusters(X, km.labels_, km.cluster_centers_)
    scatters = [c for c in ax.collections if isinstance(c, PathCollection)]
    assert len(scatters) == 4  # one per cluster + the centroids
    assert sum(len(c.get_offsets()) for c in scatters[:3]) == 600
    centroids = scatters[-1].get_offsets()
    assert len(centroids) == 3 and scatters[-1].get_label() == "centroids"
    if d == 2:  # drawn in the data's own coordinates
        np.testing.assert_allclose(np.asarray(centroids), km.cluster_centers_)
    if d == 5:
        assert ax.get_xlabel().startswith("PC1 (") and "% of variance" in ax.get_ylabel()
    _png(ax.figure, tmp_path, f"clusters{d}")


def test_clusters_subsamples_large_data_but_keeps_every_centroid():
    X, y = make_blobs(5000, 2, centers=4, random_state=0)
    ax = plot_clusters(X, y, max_points=1000)
    scatters = [c for c in ax.collections if isinstance(c, PathCollection)]
    assert sum(len(c.get_offsets()) for c in scatters[:-1]) == 1000
    assert len(scatters[-1].get_offsets()) == 4


def test_project_2d_is_the_principal_plane():
    rng = np.random.default_rng(0)
    X = rng.normal(size=(500, 4)) * [10.0, 3.0, 0.1, 0.1]
    P, ratio = project_2d(X)
    assert ratio[0] > ratio[1] > 0.05 and ratio.sum() > 0.99
    np.testing.assert_allclose(np.abs(np.corrcoef(P[:, 0], X[:, 0])[0, 1]), 1.0, atol=1e-3)


def test_elbow_marks_the_knee(tmp_path):
    ax = plot_elbow([1, 2, 3, 4, 5, 6], [100, 60, 20, 15, 12, 10])
    curve, knee = ax.lines
    assert list(curve.get_xdata()) == [1, 2, 3, 4, 5, 6]
    assert list(knee.get_xdata()) == [3, 3] and knee.get_linestyle() == "--"
    assert "k = 3" in knee.get_label()
    assert len(plot_elbow([1, 2, 3], [3, 2, 1]).lines) == 1  # no bend: no knee line
    _png(ax.figure, tmp_path, "elbow")


def test_silhouette_bands_sorted_with_mean_line(tmp_path):
    X, _ = make_blobs(300, 2, centers=3, random_state=0)
    labels = KMeans(3, random_state=0).fit(X).labels_
    ax = plot_silhouette(X, labels)
    bands = [c for c in ax.collections if isinstance(c, PolyCollection)]
    assert len(bands) == 3
    from kmeanskit.metrics import silhouette_score

    mean_line = ax.lines[0]
    assert mean_line.get_xdata()[0] == pytest.approx(silhouette_score(X, labels))
    for band in bands:  # each band's right edge is sorted: the classic knife shape
        xs = band.get_paths()[0].vertices[:, 0]
        edge = xs[xs > 0]
        assert edge.size > 0
    _png(ax.figure, tmp_path, "silhouette")
    with pytest.raises(ValueError, match="give X"):
        plot_silhouette(labels=labels)


def test_suggest_k_summary_has_every_panel(tmp_path):
    X, _ = make_blobs(400, 3, centers=3, random_state=0)
    result = suggest_k(X, range(2, 7), random_state=0)
    fig = plot_suggest_k(result, X)
    assert len(fig.axes) == 6
    titles = [ax.get_title() for ax in fig.axes]
    assert titles[0] == "Elbow" and titles[-1] == "Consensus: k = 3"
    chosen_lines = [
        line for ax in fig.axes[:5] for line in ax.lines if "k = 3" in str(line.get_label())
    ]
    assert len(chosen_lines) == 5  # every method marks its (here: the same) choice
    assert fig.get_suptitle() == result.reasoning
    _png(fig, tmp_path, "summary")
    assert len(plot_suggest_k(result).axes) == 5  # without X: no cluster panel


def test_missing_matplotlib_says_how_to_install(monkeypatch):
    import builtins

    real_import = builtins.__import__

    def no_matplotlib(name, *args, **kwargs):
        if name.startswith("matplotlib"):
            raise ImportError("No module named 'matplotlib'")
        return real_import(name, *args, **kwargs)

    monkeypatch.setattr(builtins, "__import__", no_matplotlib)
    with pytest.raises(ImportError, match=r"kmeanskit\[plot\]"):
        plot_elbow([1, 2, 3], [3, 1, 0.5])
