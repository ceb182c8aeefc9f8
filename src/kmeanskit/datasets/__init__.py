"""Small data sets that ship with kmeanskit, for the demo, the examples and the tests.

Examples
--------
>>> from kmeanskit.datasets import load_customers, load_texts
>>> names, X = load_customers()
>>> X.shape, names[0]
((300, 4), 'age')
>>> texts, topics = load_texts()
>>> len(texts), sorted(set(topics))
(60, ['astronomy', 'cooking', 'finance', 'sport'])
"""

from __future__ import annotations

from importlib import resources
from pathlib import Path

import numpy as np


def _path(name: str):
    return resources.files(__package__).joinpath(name)


def customers_path():
    """Path of the bundled customers CSV (``customer_id`` then the four features)."""
    return Path(str(_path("customers.csv")))


def load_customers() -> tuple[list[str], np.ndarray]:
    """Synthetic shoppers (no real people): age, income (k$), spending score, visits/month.

    300 rows drawn from four segments by ``scripts/make_customers.py``.

    Returns
    -------
    feature_names : list of str
    X : ndarray of shape (300, 4), float64
    """
    with _path("customers.csv").open() as fh:
        header = fh.readline().strip().split(",")
        table = np.loadtxt(fh, delimiter=",", dtype=np.float64)
    return header[1:], table[:, 1:]


def load_texts() -> tuple[list[str], list[str]]:
    """Sixty short English sentences on four topics (sport, cooking, finance, astronomy).

    Returns
    -------
    texts : list of str
    topics : list of str, the topic of every text
    """
    texts, topics = [], []
    with _path("texts.txt").open(encoding="utf-8") as fh:
        for line in fh:
            if line.startswith("#") or not line.strip():
                continue
            topic, text = line.rstrip("\n").split("\t", 1)
            topics.append(topic)
            texts.append(text)
    return texts, topics
