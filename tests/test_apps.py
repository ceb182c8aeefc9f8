"""The applications as library calls: anomaly detection, colour quantisation, table I/O."""

import numpy as np
import pandas as pd
import pytest
from PIL import Image

from kmeanskit import KMeans
from kmeanskit.apps import AnomalyDetector, quantize_image
from kmeanskit.apps.image import psnr, read_image
from kmeanskit.io import DataFileError, read_table, write_table


# ----------------------------------------------------------------------------- anomalies
@pytest.fixture(scope="module")
def blobs_with_outliers():
    rng = np.random.default_rng(0)
    tight = rng.normal((0, 0), 0.2, size=(300, 2))
    loose = rng.normal((30, 0), 2.0, size=(300, 2))
    outliers = np.array([[0.0, 2.5], [30.0, 15.0], [-8.0, -8.0]])
    return np.vstack([tight, loose, outliers])


def test_detector_flags_planted_outliers_relative_to_each_clusters_spread(blobs_with_outliers):
    X = blobs_with_outliers
    detector = AnomalyDetector(2, contamination=3 / len(X), random_state=0).fit(X)
    flagged = set(np.flatnonzero(detector.predict(X) == -1))
    # (0, 2.5) is only 2.5 from the tight blob's centre: plain distance would not flag it,
    # while points of the loose blob at that distance are normal
    assert flagged == {600, 601, 602}
    np.testing.assert_allclose(detector.score_samples(X), -detector.scores_)
    assert (np.sign(detector.decision_function(X)) == detector.predict(X)).all()


def test_an_outlier_with_its_own_cluster_is_still_flagged(blobs_with_outliers):
    X = blobs_with_outliers
    detector = AnomalyDetector(8, contamination=0.01, random_state=0).fit(X)
    assert detector.small_.any()  # a far outlier took a cluster of its own
    top = np.argsort(-detector.scores_)[:3]
    assert set(top) == {600, 601, 602}
    frame = pd.DataFrame(X, columns=["a", "b"])
    again = AnomalyDetector(8, contamination=0.01, random_state=0).fit(frame)
    np.testing.assert_array_equal(again.predict(frame), detector.predict(X))


def test_detector_validates_contamination():
    with pytest.raises(ValueError, match=r"contamination must be in \(0, 0.5\]"):
        AnomalyDetector(2, contamination=0.7).fit(np.zeros((10, 2)) + np.arange(10)[:, None])


# ----------------------------------------------------------------------------- images
@pytest.fixture(scope="module")
def photo():
    from sklearn.datasets import load_sample_image

    return load_sample_image("china.jpg")[::4, ::4]


def test_quantize_equals_kmeans_on_every_pixel(photo):
    """Fitting distinct colours weighted by their counts is fitting all pixels."""
    result = quantize_image(photo, n_colors=6, random_state=3)
    km = KMeans(6, random_state=3).fit(photo.reshape(-1, 3).astype(np.float32) / 255.0)
    palette = np.clip(np.rint(km.cluster_centers_ * 255.0), 0, 255).astype(np.uint8)
    np.testing.assert_array_equal(result.palette, palette)
    np.testing.assert_array_equal(result.labels.ravel(), km.labels_)
    assert result.image.dtype == np.uint8 and result.image.shape == photo.shape
    assert result.psnr == pytest.approx(psnr(photo, palette[km.labels_].reshape(photo.shape)))


def test_quantize_inputs_and_saving(tmp_path, photo):
    Image.fromarray(photo).save(tmp_path / "p.png")
    from_path = quantize_image(tmp_path / "p.png", 4)
    from_pil = quantize_image(Image.open(tmp_path / "p.png"), 4)
    from_float = quantize_image(photo / 255.0, 4)
    rgba = np.dstack([photo, np.full(photo.shape[:2], 255, np.uint8)])
    for other in (from_pil, from_float, quantize_image(rgba, 4)):
        np.testing.assert_array_equal(other.image, from_path.image)
    saved = from_path.save(tmp_path / "q.png")
    assert Image.open(saved).mode == "P"  # one byte per pixel with a palette
    np.testing.assert_array_equal(np.asarray(Image.open(saved).convert("RGB")), from_path.image)
    from_path.save(tmp_path / "q.jpg")
    assert from_path.n_colors_before == len(np.unique(photo.reshape(-1, 3), axis=0))


def test_quantize_errors(tmp_path, photo):
    with pytest.raises(ValueError, match="n_colors must be between 1 and the image's"):
        quantize_image(photo[:2, :2], 50)
    with pytest.raises(ValueError, match=r"expected an \(H, W, 3\)"):
        read_image(np.zeros((4, 4)))
    with pytest.raises(FileNotFoundError, match="no image at"):
        read_image(tmp_path / "absent.png")
    (tmp_path / "x.png").write_text("text")
    with pytest.raises(ValueError, match="not an image Pillow can read"):
        read_image(tmp_path / "x.png")
    assert psnr(photo, photo) == float("inf")


# ----------------------------------------------------------------------------- tables
@pytest.mark.parametrize("suffix", [".csv", ".parquet", ".npz"])
def test_tables_round_trip(tmp_path, suffix):
    frame = pd.DataFrame({"a": [1.0, 2.5], "b": [3, 4], "name": ["x", "y"]})
    back = read_table(write_table(frame, tmp_path / f"t{suffix}"))
    assert list(back.columns) == ["a", "b", "name"]
    np.testing.assert_allclose(back[["a", "b"]].to_numpy(dtype=float), [[1.0, 3], [2.5, 4]])
    assert back["name"].tolist() == ["x", "y"]
    assert read_table(tmp_path / f"t{suffix}", columns=["b", "a"]).columns.tolist() == ["b", "a"]


def test_table_errors(tmp_path):
    np.save(tmp_path / "o.npy", np.array([{"a": 1}], dtype=object), allow_pickle=True)
    with pytest.raises(DataFileError, match="could not be read as npy"):
        read_table(tmp_path / "o.npy")
    np.save(tmp_path / "cube.npy", np.zeros((2, 2, 2)))
    with pytest.raises(DataFileError, match="expected a 2-D array"):
        read_table(tmp_path / "cube.npy")
    (tmp_path / "empty.csv").write_text("a,b\n")
    with pytest.raises(DataFileError, match="holds no data"):
        read_table(tmp_path / "empty.csv")
    np.savez(tmp_path / "two.npz", a=np.zeros((2, 2)), b=np.zeros(2))
    with pytest.raises(DataFileError, match="one 1-D array per column"):
        read_table(tmp_path / "two.npz")
    with pytest.raises(DataFileError, match=r"column\(s\) \['z'\] not in"):
        read_table(write_table(pd.DataFrame({"a": [1]}), tmp_path / "t.csv"), columns=["z"])


def test_inputs_are_never_modified(blobs_with_outliers, photo):
    X = blobs_with_outliers.copy()
    AnomalyDetector(2, random_state=0).fit(X).predict(X)
    np.testing.assert_array_equal(X, blobs_with_outliers)
    image = photo.copy()
    quantize_image(image, 4)
    np.testing.assert_array_equal(image, photo)
