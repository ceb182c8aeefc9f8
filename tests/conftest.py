import os

# scikit-learn's array-API estimator check runs only when SciPy's array API support is on,
# and SciPy reads this variable once, at import. Set it before anything imports SciPy.
os.environ.setdefault("SCIPY_ARRAY_API", "1")
