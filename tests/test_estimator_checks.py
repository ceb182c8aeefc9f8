"""scikit-learn's estimator contract, every check, none skipped or expected to fail."""

from sklearn.utils.estimator_checks import parametrize_with_checks

from kmeanskit import KMeans


@parametrize_with_checks([KMeans(), KMeans(algorithm="hamerly"), KMeans(algorithm="yinyang")])
def test_sklearn_estimator_checks(estimator, check):
    check(estimator)
