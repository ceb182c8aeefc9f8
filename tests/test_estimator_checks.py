"""scikit-learn's estimator contract: every check for KMeans, none skipped or expected to fail;
for MiniBatchKMeans, the same two expected failures as scikit-learn's own MiniBatchKMeans."""

from sklearn.utils.estimator_checks import parametrize_with_checks

from kmeanskit import KMeans, MiniBatchKMeans

_BATCHES_ARE_RANDOM_ROWS = (
    "mini-batches are random rows, so repeating a row is not the same as doubling its weight "
    "(scikit-learn's MiniBatchKMeans fails these checks for the same reason)"
)


def _expected_failures(estimator):
    if isinstance(estimator, MiniBatchKMeans):
        return {
            "check_sample_weight_equivalence_on_dense_data": _BATCHES_ARE_RANDOM_ROWS,
            "check_sample_weight_equivalence_on_sparse_data": _BATCHES_ARE_RANDOM_ROWS,
        }
    return {}


@parametrize_with_checks(
    [
        KMeans(),
        KMeans(algorithm="hamerly"),
        KMeans(algorithm="yinyang"),
        KMeans(algorithm="kdtree"),
        MiniBatchKMeans(n_init=2, n_clusters=2, max_iter=5, batch_size=10),
    ],
    expected_failed_checks=_expected_failures,
)
def test_sklearn_estimator_checks(estimator, check):
    check(estimator)
