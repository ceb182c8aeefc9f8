"""Segmenter: encoding, scaling, missing values, profiles in original units, saving."""

import numpy as np
import pandas as pd
import pytest

from kmeanskit import load
from kmeanskit.apps import Segmenter
from kmeanskit.datasets import load_customers
from kmeanskit.preprocessing import Scaler


@pytest.fixture(scope="module")
def table():
    names, X = load_customers()
    frame = pd.DataFrame(X, columns=names)
    rng = np.random.default_rng(0)
    frame["plan"] = rng.choice(["basic", "plus", "pro"], size=len(frame))
    return frame


@pytest.mark.parametrize("kind", ["standard", "minmax", "none"])
def test_scaler_round_trip_and_constant_columns(kind):
    X = np.array([[1.0, 5.0, 2.0], [3.0, 5.0, 4.0], [8.0, 5.0, 9.0]])
    scaler = Scaler(kind).fit(X)
    Z = scaler.transform(X)
    assert np.isfinite(Z).all() and (Z[:, 1] == Z[0, 1]).all()  # constant: no division by 0
    np.testing.assert_allclose(scaler.inverse_transform(Z), X)
    if kind == "standard":
        np.testing.assert_allclose(Z[:, [0, 2]].mean(axis=0), 0, atol=1e-12)
        np.testing.assert_allclose(Z[:, [0, 2]].std(axis=0), 1)
    if kind == "minmax":
        assert Z[:, [0, 2]].min() == 0 and Z[:, [0, 2]].max() == 1
    with pytest.raises(ValueError, match="scaling must be one of"):
        Scaler("robust")


def test_profiles_are_cluster_means_in_original_units(table):
    seg = Segmenter(4, random_state=0).fit(table)
    profiles = seg.profiles()
    numeric = seg.numeric_columns_
    means = table[numeric].groupby(seg.labels_).mean()
    np.testing.assert_allclose(profiles[numeric].to_numpy(), means.to_numpy(), rtol=1e-9)
    shares = pd.crosstab(seg.labels_, table["plan"], normalize="index")
    for plan in ("basic", "plus", "pro"):
        np.testing.assert_allclose(profiles[f"plan={plan}"], shares[plan], atol=1e-12)
    assert profiles["size"].sum() == len(table)
    np.testing.assert_array_equal(seg.predict(table), seg.labels_)


def test_columns_are_matched_by_name_and_unknown_categories_are_tolerated(table):
    seg = Segmenter(3, columns=["annual_income_k", "plan"], random_state=0).fit(table)
    assert seg.feature_names_ == ["annual_income_k", "plan=basic", "plan=plus", "plan=pro"]
    shuffled = table[list(reversed(table.columns))].copy()
    np.testing.assert_array_equal(seg.predict(shuffled), seg.labels_)
    shuffled.loc[0, "plan"] = "enterprise"  # never seen: no one-hot column is set
    assert seg.predict(shuffled.iloc[:1])[0] in range(3)
    with pytest.raises(ValueError, match=r"column\(s\) \['tenure'\] not in the data"):
        Segmenter(3, columns=["tenure"]).fit(table)


def test_categorical_error_names_the_columns(table):
    with pytest.raises(ValueError, match=r"non-numeric column\(s\) \['plan'\].*one-hot"):
        Segmenter(3, categorical="error").fit(table)


def test_missing_values(table):
    gappy = table.copy()
    gappy.loc[[3, 7], gappy.columns[0]] = np.nan
    gappy.loc[5, "plan"] = None
    with pytest.raises(
        ValueError, match=rf"missing values in column\(s\) .*'{gappy.columns[0]}': 2"
    ):
        Segmenter(3).fit(gappy)
    dropped = Segmenter(3, missing="drop", random_state=0).fit(gappy)
    assert (dropped.labels_[[3, 5, 7]] == -1).all() and (
        np.delete(dropped.labels_, [3, 5, 7]) >= 0
    ).all()
    assert (dropped.predict(gappy)[[3, 5, 7]] == -1).all()
    filled = Segmenter(3, missing="mean", random_state=0).fit(gappy)
    assert (filled.labels_ >= 0).all()
    assert filled.fill_[gappy.columns[0]] == pytest.approx(gappy[gappy.columns[0]].mean())


def test_auto_k_on_clear_groups():
    rng = np.random.default_rng(1)
    X = np.vstack([rng.normal(c, 0.3, size=(80, 2)) for c in ((0, 0), (6, 0), (0, 6))])
    seg = Segmenter("auto", k_range=range(2, 7), random_state=0).fit(X)
    assert seg.kmeans_.n_clusters == 3 and seg.suggestion_.k == 3


def test_save_and_load_round_trip(tmp_path, table):
    seg = Segmenter(4, scale="minmax", random_state=0).fit(table)
    seg.save(tmp_path / "segments.kmk")
    back = load(tmp_path / "segments.kmk")
    assert type(back) is Segmenter and back.get_params() == {
        **seg.get_params(),
        "k_range": list(seg.k_range),
    }
    np.testing.assert_array_equal(back.predict(table), seg.predict(table))
    pd.testing.assert_frame_equal(back.profiles(), seg.profiles())


def test_the_callers_table_is_never_modified(table):
    gappy = table.copy()
    gappy.loc[[2, 4], "age"] = np.nan
    before = gappy.copy()
    seg = Segmenter(3, missing="mean", scale="minmax", random_state=0).fit(gappy)
    seg.predict(gappy)
    seg.profiles()
    pd.testing.assert_frame_equal(gappy, before)
