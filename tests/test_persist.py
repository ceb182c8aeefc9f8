"""Saved models: round trips, and clear errors for files that are damaged, edited or foreign."""

import hashlib
import io
import json
import pickle
import zipfile

import numpy as np
import pandas as pd
import pytest
from sklearn.exceptions import NotFittedError

from kmeanskit import KMeans, load
from kmeanskit.persist import VERSION, ModelFileError, _digest


@pytest.fixture(scope="module")
def data():
    rng = np.random.default_rng(0)
    return np.vstack([rng.normal(c, 0.5, size=(100, 3)) for c in (0, 5, 10)])


def _read(path):
    with zipfile.ZipFile(path) as archive:
        return {name: archive.read(name) for name in archive.namelist()}


def _write(path, members):
    with zipfile.ZipFile(path, "w") as archive:
        for name, blob in members.items():
            archive.writestr(name, blob)


def _resign(members):
    """Rewrite model.json's checksums as a careful forger would: only the content checks
    (shapes, classes, versions) are left to catch the edit."""
    meta = json.loads(members["model.json"])
    meta.pop("digest")
    blobs = {}
    for entry in meta["arrays"].values():
        blob = members[entry["file"]]
        entry["sha256"] = hashlib.sha256(blob).hexdigest()
        blobs[entry["file"]] = blob
    meta["digest"] = _digest(meta, blobs)
    members["model.json"] = json.dumps(meta).encode()
    return members


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_round_trip_predicts_identically(tmp_path, data, dtype):
    X = data.astype(dtype)
    km = KMeans(3, random_state=0, algorithm="lloyd", max_iter=50).fit(X)
    path = tmp_path / "model.kmk"
    km.save(path)
    back = load(path)
    assert type(back) is KMeans
    assert back.get_params() == km.get_params()
    np.testing.assert_array_equal(back.cluster_centers_, km.cluster_centers_)
    assert back.cluster_centers_.dtype == dtype
    np.testing.assert_array_equal(back.labels_, km.labels_)
    assert back.inertia_ == km.inertia_ and back.n_iter_ == km.n_iter_
    new = X[::7] + 0.1
    np.testing.assert_array_equal(back.predict(new), km.predict(new))
    np.testing.assert_array_equal(back.transform(new), km.transform(new))
    assert back.score(new) == km.score(new)


def test_round_trip_keeps_feature_names_and_array_init(tmp_path, data):
    frame = pd.DataFrame(data, columns=["income", "age", "score"])
    init = data[[0, 100, 200]]
    km = KMeans(3, init=init, n_init=1).fit(frame)
    km.save(tmp_path / "m.kmk")
    back = load(tmp_path / "m.kmk")
    assert list(back.feature_names_in_) == ["income", "age", "score"]
    np.testing.assert_array_equal(back.init, init)
    np.testing.assert_array_equal(back.predict(frame), km.labels_)
    with pytest.warns(UserWarning, match="feature names"):
        back.predict(data)  # the saved names are checked as sklearn checks them


def test_a_loaded_model_can_be_refitted(tmp_path, data):
    km = KMeans(3, random_state=4).fit(data)
    km.save(tmp_path / "m.kmk")
    refit = load(tmp_path / "m.kmk").fit(data)
    np.testing.assert_array_equal(refit.labels_, km.labels_)


def test_pickle_still_works(data):
    km = KMeans(3, random_state=0).fit(data)
    back = pickle.loads(pickle.dumps(km))
    np.testing.assert_array_equal(back.predict(data), km.labels_)


def test_unrepresentable_parameters_warn_and_are_replaced(tmp_path, data):
    km = KMeans(3, init=lambda X, k, random_state: X[:k], random_state=np.random.default_rng(0))
    km.fit(data)
    with pytest.warns(UserWarning) as record:
        km.save(tmp_path / "m.kmk")
    messages = " ".join(str(w.message) for w in record)
    assert "init is a callable" in messages and "random_state is a generator" in messages
    back = load(tmp_path / "m.kmk")
    assert back.init == "auto" and back.random_state is None
    np.testing.assert_array_equal(back.predict(data), km.labels_)


def test_save_refuses_unfitted_models_and_existing_files_when_asked(tmp_path, data):
    with pytest.raises(NotFittedError):
        KMeans(3).save(tmp_path / "m.kmk")
    km = KMeans(3, random_state=0).fit(data)
    km.save(tmp_path / "m.kmk")
    with pytest.raises(FileExistsError, match="overwrite=True"):
        km.save(tmp_path / "m.kmk", overwrite=False)
    assert not list(tmp_path.glob("*.part"))


@pytest.fixture
def saved(tmp_path, data):
    path = tmp_path / "m.kmk"
    KMeans(3, random_state=0).fit(data).save(path)
    return path


def test_missing_file(tmp_path):
    with pytest.raises(FileNotFoundError, match="no model file"):
        load(tmp_path / "absent.kmk")


def test_truncated_file(saved):
    blob = saved.read_bytes()
    for cut in (10, len(blob) // 2, len(blob) - 30):
        saved.write_bytes(blob[:cut])
        with pytest.raises(ModelFileError, match="not a readable kmeanskit model"):
            load(saved)


def test_files_that_are_not_models(tmp_path):
    csv = tmp_path / "data.csv"
    csv.write_text("a,b\n1,2\n")
    with pytest.raises(ModelFileError, match="not a readable kmeanskit model"):
        load(csv)
    other = tmp_path / "other.zip"
    _write(other, {"readme.txt": b"hello"})
    with pytest.raises(ModelFileError, match="not a kmeanskit model"):
        load(other)
    npz = tmp_path / "arrays.npz"
    np.savez(npz, a=np.zeros(3))
    with pytest.raises(ModelFileError, match="not a kmeanskit model"):
        load(npz)


def test_edited_json_is_detected(saved):
    members = _read(saved)
    meta = json.loads(members["model.json"])
    meta["params"]["n_clusters"] = 4
    members["model.json"] = json.dumps(meta).encode()
    _write(saved, members)
    with pytest.raises(ModelFileError, match="modified after it was saved"):
        load(saved)


def test_edited_array_is_detected(saved):
    members = _read(saved)
    centers = np.load(io.BytesIO(members["cluster_centers_.npy"]))
    buffer = io.BytesIO()
    np.save(buffer, centers + 1.0)
    members["cluster_centers_.npy"] = buffer.getvalue()
    _write(saved, members)
    with pytest.raises(ModelFileError, match="does not match its checksum"):
        load(saved)


def test_newer_format_version_asks_for_an_upgrade(saved):
    members = _read(saved)
    meta = json.loads(members["model.json"])
    meta["version"] = VERSION + 1
    members["model.json"] = json.dumps(meta).encode()
    _write(saved, _resign(members))
    with pytest.raises(ModelFileError, match="Upgrade kmeanskit"):
        load(saved)


def test_a_file_cannot_name_a_class_to_run(saved):
    members = _read(saved)
    meta = json.loads(members["model.json"])
    meta["class"] = "os.system"
    members["model.json"] = json.dumps(meta).encode()
    _write(saved, _resign(members))
    with pytest.raises(ModelFileError, match="cannot load"):
        load(saved)


def test_pickled_arrays_are_never_loaded(saved):
    """An object array (which np.load could only read by unpickling) is refused."""
    members = _read(saved)
    buffer = io.BytesIO()
    np.save(buffer, np.array([{"evil": 1}], dtype=object), allow_pickle=True)
    members["labels_.npy"] = buffer.getvalue()
    _write(saved, _resign(members))
    with pytest.raises(ModelFileError, match="unreadable"):
        load(saved)


def test_inconsistent_content_is_refused(saved):
    members = _read(saved)
    meta = json.loads(members["model.json"])
    meta["attributes"]["n_features_in_"] = 5
    members["model.json"] = json.dumps(meta).encode()
    _write(saved, _resign(members))
    with pytest.raises(ModelFileError, match="n_features_in_=5 but the centres have 3"):
        load(saved)
