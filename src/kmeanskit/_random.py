"""One ``numpy.random.Generator`` per call, derived from a user's ``random_state``."""

from __future__ import annotations

import numbers

import numpy as np


def as_generator(random_state) -> np.random.Generator:
    """Turn ``None``, an int, a ``RandomState`` or a ``Generator`` into a ``Generator``.

    A ``RandomState`` (what scikit-learn code passes around) is consumed once to seed the
    generator, so sharing one between calls still gives different, reproducible draws.
    """
    if random_state is None or isinstance(random_state, (numbers.Integral, np.integer)):
        return np.random.default_rng(random_state)
    if isinstance(random_state, np.random.Generator):
        return random_state
    if isinstance(random_state, np.random.RandomState):
        return np.random.default_rng(random_state.randint(0, 2**31 - 1, size=4))
    raise ValueError(
        f"random_state must be None, an int, a numpy.random.Generator or a "
        f"numpy.random.RandomState; got {random_state!r}."
    )


def as_random_state(rng: np.random.Generator) -> np.random.RandomState:
    """A ``RandomState`` seeded from ``rng``, for user callables written for scikit-learn."""
    return np.random.RandomState(rng.integers(0, 2**31 - 1))
