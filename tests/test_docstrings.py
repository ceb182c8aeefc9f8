"""Every example in the public docstrings runs and prints what it says (installed package)."""

import doctest
import importlib

import pytest

MODULES = [
    "kmeanskit",
    "kmeanskit.estimator",
    "kmeanskit.seeding",
    "kmeanskit.datasets",
    "kmeanskit.solvers",
    "kmeanskit.metrics",
    "kmeanskit.choose_k",
    "kmeanskit.plotting",
    "kmeanskit.seeding_parallel",
    "kmeanskit.solvers.yinyang",
    "kmeanskit.persist",
    "kmeanskit.preprocessing",
    "kmeanskit.io",
    "kmeanskit.apps.segmentation",
    "kmeanskit.apps.anomaly",
    "kmeanskit.apps.image",
    "kmeanskit.apps.text",
    "kmeanskit.streaming",
    "kmeanskit.minibatch",
    "kmeanskit.distributed",
]


@pytest.mark.parametrize("name", MODULES)
def test_docstring_examples(name):
    module = importlib.import_module(name)
    result = doctest.testmod(module, optionflags=doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE)
    assert result.failed == 0
    if name != "kmeanskit.solvers":
        assert result.attempted > 0, f"{name} has no examples"
