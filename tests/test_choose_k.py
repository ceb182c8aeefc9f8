"""suggest_k: the knee detector, the gap rule, the vote, the table, progress and errors."""

import numpy as np
import pytest
from sklearn.datasets import make_blobs

from kmeanskit import suggest_k
from kmeanskit.choose_k import _consensus, _gap_choice, find_knee

from ._data import shared_set


def test_knee_of_textbook_curves():
    assert find_knee([1, 2, 3, 4, 5, 6], [100, 60, 20, 15, 12, 10]) == 3
    assert find_knee(range(2, 10), [1 / k for k in range(2, 10)]) in (3, 4)
    assert find_knee([1, 2, 3], [3, 2, 1]) is None  # straight line: no bend
    assert find_knee([1, 2], [5, 1]) is None


def test_gap_one_standard_error_rules():
    ks = np.array([1, 2, 3, 4, 5])
    gap = np.array([0.1, 0.5, 0.9, 0.88, 0.95])
    se = np.array([0.05, 0.05, 0.05, 0.05, 0.1])
    assert _gap_choice(ks, gap, se, "tibshirani") == 3  # 0.9 >= 0.88 - 0.05
    assert _gap_choice(ks, gap, se, "global") == 3  # first within 0.95 - 0.1 of the max
    rising = np.array([0.1, 0.2, 0.3, 0.4, 0.5])
    assert _gap_choice(ks, rising, np.zeros(5), "tibshirani") == 5
    # a flat start (many clusters): Tibshirani's rule stops at once, the global rule does not
    flat_start = np.array([0.60, 0.59, 0.61, 1.30, 1.28])
    assert _gap_choice(ks, flat_start, np.full(5, 0.02), "tibshirani") == 1
    assert _gap_choice(ks, flat_start, np.full(5, 0.02), "global") == 4


def test_consensus_vote_and_reasoning():
    k, text = _consensus({"elbow": 4, "silhouette": 4, "gap": 5, "ch": 4, "db": None})
    assert k == 4
    assert "elbow, silhouette, CH (3 of 4" not in text and "3 of 5 methods" in text
    assert "gap chose 5" in text and "No choice from DB" in text
    k, text = _consensus({"elbow": 3, "gap": 5})
    assert k == 3 and "tie" in text


@pytest.mark.parametrize(
    "shape",
    [
        dict(n_samples=800, centers=3, n_features=2, cluster_std=0.5),
        dict(n_samples=1500, centers=6, n_features=5, cluster_std=1.0),
        dict(n_samples=1200, centers=[[0, 0], [6, 0], [0, 6], [6, 6], [3, 12]], cluster_std=0.7),
    ],
)
def test_consensus_finds_the_blobs(shape):
    X, _ = make_blobs(random_state=0, **shape)
    true_k = shape["centers"] if isinstance(shape["centers"], int) else len(shape["centers"])
    result = suggest_k(X, range(2, 10), random_state=0)
    assert result.k == true_k, result.reasoning


def test_table_columns_frame_and_reproducibility():
    X, _ = make_blobs(2500, 3, centers=4, random_state=2)
    a = suggest_k(X, [2, 3, 4, 5], silhouette_sample_size=500, random_state=1)
    b = suggest_k(X, [2, 3, 4, 5], silhouette_sample_size=500, random_state=1)
    assert list(a.table) == [
        "k", "inertia", "silhouette", "silhouette_low", "silhouette_high",
        "calinski_harabasz", "davies_bouldin", "gap", "gap_se", "seconds",
    ]  # fmt: skip
    for column in a.table:
        if column != "seconds":
            np.testing.assert_array_equal(a.table[column], b.table[column])
    assert np.all(a.table["silhouette_low"] <= a.table["silhouette"])
    assert np.all(np.diff(a.table["inertia"]) < 0)
    frame = a.to_frame()
    assert list(frame.index) == [2, 3, 4, 5] and "gap_se" in frame
    assert set(a.centers) == {2, 3, 4, 5} and a.centers[4].shape == (4, 3)
    assert "k = 4" in str(a)


def test_methods_subset_and_k_one():
    X, _ = make_blobs(500, 2, centers=3, random_state=0)
    result = suggest_k(X, range(1, 6), methods=("gap", "elbow"), random_state=0)
    assert set(result.chosen) == {"gap", "elbow"}
    assert "silhouette" not in result.table and "davies_bouldin" not in result.table
    # uniform noise: the gap statistic can say "one cluster"
    noise = np.random.default_rng(0).uniform(size=(500, 2))
    assert suggest_k(noise, range(1, 6), methods=("gap",), random_state=0).k == 1


def test_progress_callback_and_kmeans_params():
    X, _ = make_blobs(300, 2, centers=3, random_state=0)
    calls = []
    suggest_k(
        X, [2, 3], n_references=2, random_state=0, progress=lambda *a: calls.append(a), n_init=2
    )
    assert [c[0] for c in calls] == list(range(1, 7)) and all(c[1] == 6 for c in calls)


@pytest.mark.parametrize(
    "kwargs,error,match",
    [
        (dict(k_range=[]), ValueError, "k_range is empty"),
        (dict(k_range=[0, 2]), ValueError, "between 1 and"),
        (dict(k_range="abc"), TypeError, "iterable of integers"),
        (dict(methods=("elbow", "magic")), ValueError, "subset"),
        (dict(reference="sphere"), ValueError, "reference must be"),
        (dict(gap_rule="first"), ValueError, "gap_rule must be"),
        (dict(random_state=0, algorithm="fast"), ValueError, "algorithm"),
    ],
)
def test_errors(kwargs, error, match):
    X, _ = make_blobs(100, 2, centers=3, random_state=0)
    with pytest.raises(error, match=match):
        suggest_k(X, **kwargs)


@pytest.mark.parametrize(
    "folder,name", [("s-sets", "s1"), ("s-sets", "s3"), ("unbalance", "unbalance")]
)
def test_consensus_on_shared_sets(folder, name):
    X, gt = shared_set(folder, name)
    X = X / X.std()
    result = suggest_k(X, range(2, 21), random_state=0, n_references=5)
    assert result.k == len(gt), result.reasoning
