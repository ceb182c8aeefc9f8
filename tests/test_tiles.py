"""The tile kernels that turn a GEMM tile into labels, against numpy.

A tile holds one row of values ``c_sq[j] - 2 x_i.c_j`` per centre (k x tile rows, of which
the first m are in use); the nearest centre of column i is the argmin over j, ties to the
lowest index as numpy's argmin and scikit-learn break them. The GEMM computes the values in
the data's dtype exactly as ``c_sq - (dots + dots)`` from numba's ``np.dot`` products, so
labels and values are compared exactly. The scans prime every value they read with
``c_sq[j]`` again, for the next tile's GEMM.
"""

import numpy as np
import pytest
from numba import njit

from kmeanskit._kernels.bounds import (
    bound_past_far_movers,
    centre_neighbours,
    far_movers,
    half_separations,
    patch_neighbours,
)
from kmeanskit._kernels.dense import (
    direct_terms,
    primed_tile,
    tile_argmin,
    tile_argmin_direct,
    tile_two_nearest,
    tile_two_nearest_direct,
    tile_values,
    two_nearest_of_rows,
)


def _tile(dtype, k, m, seed, ties):
    rng = np.random.default_rng(seed)
    dots = rng.normal(size=(k, m)).astype(dtype)
    c_sq = rng.uniform(0, 2, size=k).astype(dtype)
    if ties:  # whole centres repeated, and single columns where two centres tie
        dots[k // 2] = dots[0]
        c_sq[k // 2] = c_sq[0]
        dots[k - 1, ::3] = dots[1, ::3]
        c_sq[k - 1] = c_sq[1]
    return dots, c_sq


def _in_tile(values, c_sq, spare=3):
    """``values`` (k, m) in a tile of ``spare`` more columns, which hold ``c_sq`` (primed)."""
    k, m = values.shape
    tile = np.repeat(c_sq[:, None], m + spare, axis=1)
    tile[:, :m] = values
    return tile


def _assert_primed(tile, c_sq):
    np.testing.assert_array_equal(tile, np.repeat(c_sq[:, None], tile.shape[1], axis=1))


SHAPES = [(1, 5, False), (2, 1, False), (7, 13, False), (16, 256, False), (33, 509, False)]
SHAPES += [(k, m, True) for k, m, _ in SHAPES if k >= 3]  # ties need three centres


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("k, m, ties", SHAPES)
def test_tile_argmin_and_two_nearest_match_numpy(dtype, k, m, ties):
    dots, c_sq = _tile(dtype, k, m, seed=k * m, ties=ties)
    values = c_sq[:, None] - (dots + dots)
    ordered = np.sort(values, axis=0)

    best = np.full(m, -1, dtype=np.int32)
    best_v = np.empty(m, dtype=dtype)
    tile = _in_tile(values, c_sq)
    tile_argmin(tile, m, c_sq, best, best_v)
    np.testing.assert_array_equal(best, values.argmin(axis=0))
    np.testing.assert_array_equal(best_v, ordered[0])
    _assert_primed(tile, c_sq)

    best2 = np.full(m, -1, dtype=np.int32)
    first = np.empty(m, dtype=dtype)
    second = np.empty(m, dtype=dtype)
    tile = _in_tile(values, c_sq)
    tile_two_nearest(tile, m, c_sq, best2, first, second)
    _assert_primed(tile, c_sq)
    np.testing.assert_array_equal(best2, values.argmin(axis=0))
    np.testing.assert_array_equal(first, ordered[0])
    expected_second = ordered[1] if k > 1 else np.full(m, np.inf, dtype=dtype)
    np.testing.assert_array_equal(second, expected_second)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("first, stop", [(0, 1), (3, 4), (2, 9), (10, 33), (0, 33)])
def test_two_nearest_of_a_range_of_rows(dtype, first, stop):
    """Yinyang's per-group reduction: rows first:stop only, labels are tile rows."""
    dots, c_sq = _tile(dtype, 33, 77, seed=first + stop, ties=True)
    tile = _in_tile(c_sq[:, None] - (dots + dots), c_sq)
    values = tile[first:stop, :77].copy()
    ordered = np.sort(values, axis=0)
    best = np.full(77, -1, dtype=np.int32)
    best_v = np.empty(77, dtype=dtype)
    second = np.empty(77, dtype=dtype)
    two_nearest_of_rows(tile, 77, c_sq, first, stop, best, best_v, second)
    _assert_primed(tile[first:stop], c_sq[first:stop])  # only the rows it read
    np.testing.assert_array_equal(best, first + values.argmin(axis=0))
    np.testing.assert_array_equal(best_v, ordered[0])
    expected_second = ordered[1] if stop - first > 1 else np.full(77, np.inf, dtype=dtype)
    np.testing.assert_array_equal(second, expected_second)


def test_exact_ties_go_to_the_lowest_index():
    c_sq = np.array([2.0, 1.0, 1.0, 1.0], dtype=np.float32)
    best = np.empty(3, dtype=np.int32)
    best_v = np.empty(3, dtype=np.float32)
    tile_argmin(_in_tile(np.repeat(c_sq[:, None], 3, axis=1), c_sq), 3, c_sq, best, best_v)
    assert best.tolist() == [1, 1, 1]
    second = np.empty(3, dtype=np.float32)
    tile = _in_tile(np.repeat(c_sq[:, None], 3, axis=1), c_sq)
    tile_two_nearest(tile, 3, c_sq, best, best_v, second)
    assert best.tolist() == [1, 1, 1]
    assert second.tolist() == [1.0, 1.0, 1.0]  # the tied centre is the second nearest


@njit
def _numba_dots(centers, xbuf, m):
    """The products as numba's ``np.dot`` gives them (the same BLAS call, beta = 0)."""
    dots = np.empty((centers.shape[0], m), dtype=centers.dtype)
    np.dot(centers, xbuf[:m].T, dots)
    return dots


@njit
def _values_twice(centers, c_sq, xbuf, m, tile_rows):
    """Two tiles in a row through one primed buffer, as the passes run them."""
    values = primed_tile(c_sq, tile_rows, True)
    best = np.empty(tile_rows, dtype=np.int32)
    best_v = np.empty(tile_rows, dtype=centers.dtype)
    first = tile_values(xbuf, m, centers, values).copy()
    tile_argmin(values, m, c_sq, best, best_v)
    second = tile_values(xbuf[::-1].copy(), m, centers, values).copy()
    return first, second


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("k, d, m", [(3, 5, 6), (64, 32, 300), (1024, 32, 512), (17, 130, 77)])
def test_tile_values_are_those_of_the_products_bit_for_bit(dtype, k, d, m):
    """``c_sq - 2 x.c`` through GEMM's alpha and beta equals ``c_sq - (dots + dots)`` from
    numba's np.dot products exactly, tile after tile; columns past m stay primed."""
    rng = np.random.default_rng(k + d + m)
    xbuf = rng.normal(size=(m + 5, d)).astype(dtype)
    centers = rng.normal(size=(k, d)).astype(dtype)
    c_sq = (centers.astype(np.float64) ** 2).sum(axis=1).astype(dtype)
    first, second = _values_twice(centers, c_sq, xbuf, m, m + 5)
    for values, rows in ((first, xbuf), (second, xbuf[::-1].copy())):
        dots = _numba_dots(centers, rows, m)
        np.testing.assert_array_equal(values[:, :m], c_sq[:, None] - (dots + dots))
        _assert_primed(values[:, m:], c_sq)
        np.testing.assert_allclose(
            values[:, :m],
            c_sq[:, None] - 2 * centers.astype(np.float64) @ rows[:m].T.astype(np.float64),
            rtol=1e-4 if dtype == np.float32 else 1e-10,
            atol=1e-4 if dtype == np.float32 else 1e-10,
        )


def _direct_values(terms, xt, m):
    """``||c||^2 - 2 c . x`` in float64, and a bound on the rounding of the kernel's value
    (one rounding per multiply-add in the data's dtype)."""
    t = terms.astype(np.float64)
    x = xt[:, :m].astype(np.float64)
    values = t[:, :1] + t[:, 1:] @ x
    scale = np.abs(t[:, :1]) + np.abs(t[:, 1:]) @ np.abs(x)
    return values, 4 * xt.shape[0] * np.finfo(terms.dtype).eps * scale


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize(
    "k, d, m",
    [(1, 1, 5), (4, 2, 33), (2, 3, 1), (3, 4, 7), (7, 5, 256), (16, 9, 200), (5, 16, 256)]
    + [(6, 17, 100)],  # a width the kernel has no constant for (Lloyd's stops at 16)
)
def test_direct_argmin_matches_numpy(dtype, k, d, m):
    """The BLAS-free search of small d: every odd/even k, every width (d up to 3, else
    padded to a multiple of 4, and one past Lloyd's limit), partial
    tiles, a repeated centre (ties to the lowest index). Values to their rounding; labels
    exact wherever the nearest centre is nearer than the rounding, and the nearest up to
    rounding everywhere."""
    rng = np.random.default_rng(k * d + m)
    centers = rng.normal(size=(k, d)).astype(dtype)
    if k >= 3:
        centers[k - 1] = centers[1]
    rows = rng.normal(size=(m, d)).astype(dtype)
    rows[::4] = centers[rng.integers(k, size=rows[::4].shape[0])]  # rows on a centre
    c_sq = np.einsum("ij,ij->i", centers, centers)
    terms = direct_terms(centers, c_sq)
    assert terms.shape == (k, (d if d <= 3 else -(-d // 4) * 4) + 1)
    xt = np.zeros((terms.shape[1] - 1, 256), dtype=dtype)
    xt[:d, :m] = rows.T
    xt[:d, m:] = np.nan  # columns past m are never read
    best = np.full(256, -1, dtype=np.int32)
    best_v = np.empty(256, dtype=dtype)
    tile_argmin_direct(xt, m, terms, best, best_v)
    values, rounding = _direct_values(terms, xt, m)
    columns = np.arange(m)
    chosen = best[:m]
    assert np.all((chosen >= 0) & (chosen < k))
    np.testing.assert_array_less(
        np.abs(best_v[:m] - values[chosen, columns]), rounding[chosen, columns] + 1e-300
    )
    nearest = values.argmin(axis=0)
    slack = rounding[chosen, columns] + rounding[nearest, columns]
    assert np.all(values[chosen, columns] <= values[nearest, columns] + slack)
    ordered = np.sort(values, axis=0)
    clear = (ordered[1] - ordered[0] > 2 * rounding.max(axis=0)) if k > 1 else np.ones(m, bool)
    np.testing.assert_array_equal(chosen[clear], nearest[clear])
    if k >= 3:
        assert not np.any(best[:m] == k - 1)  # the copy of centre 1 never wins a tie


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize(
    "k, d, m",
    [(1, 1, 5), (4, 2, 33), (2, 3, 1), (3, 4, 7), (7, 5, 256), (16, 9, 200), (5, 16, 256)]
    + [(6, 17, 100)],
)
def test_direct_two_nearest_is_the_direct_argmin_and_its_runner_up(dtype, k, d, m):
    """Hamerly's small-d search: the same nearest centre and value, bit for bit, as Lloyd's
    (:func:`tile_argmin_direct`), so both solvers label alike; and the second smallest of
    the very values the argmin compares (an odd last centre, swept alone, counted once; a
    repeated centre ties with its copy)."""
    rng = np.random.default_rng(k * d + m + 1)
    centers = rng.normal(size=(k, d)).astype(dtype)
    if k >= 3:
        centers[k - 1] = centers[1]
    c_sq = np.einsum("ij,ij->i", centers, centers)
    terms = direct_terms(centers, c_sq)
    xt = np.zeros((terms.shape[1] - 1, 256), dtype=dtype)
    xt[:d, :m] = rng.normal(size=(d, m))
    xt[:d, m:] = np.nan  # columns past m are never read
    lloyd_best, lloyd_v = np.full(256, -1, np.int32), np.empty(256, dtype=dtype)
    tile_argmin_direct(xt, m, terms, lloyd_best, lloyd_v)
    best, best_v = np.full(256, -1, np.int32), np.empty(256, dtype=dtype)
    second_v = np.empty(256, dtype=dtype)
    tile_two_nearest_direct(xt, m, terms, best, best_v, second_v)
    np.testing.assert_array_equal(best[:m], lloyd_best[:m])
    np.testing.assert_array_equal(best_v[:m], lloyd_v[:m])
    # every centre's value as the kernel computes it: a tile of one centre each
    each = np.empty((k, m), dtype=dtype)
    value = np.empty(256, dtype=dtype)
    for j in range(k):
        tile_argmin_direct(xt, m, terms[j : j + 1], np.empty(256, np.int32), value)
        each[j] = value[:m]
    np.testing.assert_array_equal(each.min(axis=0), best_v[:m])
    runner_up = np.sort(each, axis=0)[1] if k > 1 else np.full(m, np.inf, dtype=dtype)
    np.testing.assert_array_equal(second_v[:m], runner_up)
    if k >= 3:
        assert np.all(second_v[:m][best[:m] == 1] == best_v[:m][best[:m] == 1])


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("k, d", [(1, 3), (2, 1), (9, 2), (64, 16), (300, 33)])
def test_half_separations_never_exceed_the_true_half_distance(dtype, k, d):
    """Hamerly's and Yinyang's pruning is safe only if no half separation is larger than half
    the true distance to the nearest other centre: checked against float64 differences, with
    repeated centres (separation 0) and a near-duplicate (where the GEMM expansion cancels)."""
    rng = np.random.default_rng(k * d)
    centres = (rng.normal(size=(k, d)) * 100 + 1000).astype(dtype)
    if k >= 9:
        centres[3] = centres[1]
        centres[5] = centres[4]
        centres[5, 0] = np.nextafter(centres[4, 0], dtype(np.inf))
    c = centres.astype(np.float64)
    sq = ((c[:, None, :] - c[None, :, :]) ** 2).sum(axis=2)
    np.fill_diagonal(sq, np.inf)
    true = 0.5 * np.sqrt(sq.min(axis=1))
    got = half_separations(centres)
    assert got.dtype == np.float64 and got.shape == (k,)
    assert np.all(got <= true)
    np.testing.assert_allclose(got, true, rtol=1e-11, atol=0)
    if k >= 9:
        assert got[1] == got[3] == 0.0 and 0.0 < got[5] <= true[5]


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize(
    "k, d, n_listed", [(1, 3, 4), (2, 1, 1), (9, 2, 20), (64, 16, 8), (300, 33, 37)]
)
def test_centre_neighbours_list_the_nearest_and_bound_the_rest(dtype, k, d, n_listed):
    """Every centre's list is its nearest others, nearest first, ties by index; the listed
    distances, ``beyond`` and the half separations never exceed the true ones (Hamerly's
    search skips centres by them), with float32 centres summed in float32 too."""
    rng = np.random.default_rng(k + d)
    centres = (rng.normal(size=(k, d)) * 10 + 100).astype(dtype)
    if k >= 9:
        centres[3] = centres[1]  # a repeated centre: distance 0, a tie
        centres[7] = centres[2]
    c = centres.astype(np.float64)
    true = np.sqrt(((c[:, None, :] - c[None, :, :]) ** 2).sum(axis=2))
    np.fill_diagonal(true, np.inf)
    half_sep, listed, distance, count, beyond = centre_neighbours(centres, n_listed)
    rtol = 1e-5 if dtype == np.float32 else 1e-11
    np.testing.assert_allclose(half_sep, half_separations(centres), rtol=rtol)
    assert np.all(half_sep <= 0.5 * true.min(axis=1))
    assert listed.shape == distance.shape == (k, n_listed)
    for a in range(k):
        n = count[a]
        assert n <= min(n_listed, k - 1)
        mine = listed[a, :n]
        np.testing.assert_array_equal(np.sort(mine), np.sort(np.argsort(true[a])[:n]))
        order = np.lexsort((mine, distance[a, :n]))  # nearest first, ties by index
        np.testing.assert_array_equal(order, np.arange(n))
        assert np.all(distance[a, :n] <= true[a, mine])
        np.testing.assert_allclose(distance[a, :n], true[a, mine], rtol=2 * rtol + 2e-6)
        rest = np.setdiff1d(np.arange(k), np.append(mine, a))
        assert np.all(true[a, rest] >= beyond[a])
        if rest.size == 0:
            assert beyond[a] == np.inf
        else:
            assert n > 0 or true[a, rest].min() == 0.0 or n_listed == 0


def test_centre_neighbours_bound_centres_whose_float32_squares_overflow():
    """Centres ~1e20 apart: their squared distance overflows float32 but not the float64
    GEMM, so the bounds stay finite and true."""
    centres = np.array([[0.0], [1.0], [3e19], [-3e19]], dtype=np.float32)
    true = np.abs(centres.astype(np.float64) - centres.astype(np.float64).T)
    np.fill_diagonal(true, np.inf)
    half_sep, listed, distance, count, beyond = centre_neighbours(centres, 1)
    assert np.all(np.isfinite(half_sep)) and np.all(half_sep <= 0.5 * true.min(axis=1))
    assert half_sep[0] == pytest.approx(0.5, rel=1e-5)
    assert half_sep[2] == pytest.approx(0.5 * true[2, 1], rel=1e-6)
    assert listed[0, 0] == 1 and 0 < beyond[0] <= true[0, 2]


def _assert_valid_lists(centres, lists, n_listed):
    """The invariants Hamerly's search relies on: every listed distance, ``beyond`` and half
    separation is a lower bound, each list is nearest first (ties by index), and no centre
    left out of a list is nearer than its ``beyond``."""
    half_sep, listed, distance, count, beyond = lists
    k = centres.shape[0]
    c = centres.astype(np.float64)
    true = np.sqrt(((c[:, None, :] - c[None, :, :]) ** 2).sum(axis=2))
    np.fill_diagonal(true, np.inf)
    assert np.all(half_sep <= 0.5 * true.min(axis=1))
    for a in range(k):
        n = count[a]
        assert n <= min(n_listed, k - 1)
        mine = listed[a, :n]
        assert len(set(mine.tolist())) == n and a not in mine
        order = np.lexsort((mine, distance[a, :n]))
        np.testing.assert_array_equal(order, np.arange(n))
        assert np.all(distance[a, :n] <= true[a, mine])
        rest = np.setdiff1d(np.arange(k), np.append(mine, a))
        assert np.all(true[a, rest] >= beyond[a])


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("k, d, n_listed", [(9, 2, 20), (64, 16, 8), (300, 33, 37)])
def test_patched_neighbour_lists_stay_valid_and_close_to_fresh_ones(dtype, k, d, n_listed):
    """Patching the lists after a few centres moved (some far, one onto another centre,
    several passes in a row) keeps every invariant of a fresh listing, and the lists keep
    most of the neighbours a fresh listing finds."""
    rng = np.random.default_rng(k * d + n_listed)
    centres = (rng.normal(size=(k, d)) * 10 + 100).astype(dtype)
    lists = centre_neighbours(centres, n_listed)
    for step in range(4):
        changed = np.zeros(k, dtype=bool)
        changed[rng.choice(k, size=max(1, k // 8), replace=False)] = True
        moved = np.flatnonzero(changed)
        centres = centres.copy()
        centres[moved] += (rng.normal(size=(moved.size, d)) * (0.3 + 5 * (step % 2))).astype(dtype)
        centres[moved[0]] = centres[(moved[0] + 1) % k]  # onto another: distance 0
        changed[moved[0]] = True
        patch_neighbours(centres, changed, lists)
        _assert_valid_lists(centres, lists, n_listed)
    fresh_count = centre_neighbours(centres, n_listed)[3]
    assert lists[3].sum() >= 0.5 * fresh_count.sum()


def test_patching_with_every_centre_listed_keeps_beyond_infinite():
    """When a list can hold every other centre, patching keeps them all and beyond at inf."""
    rng = np.random.default_rng(1)
    centres = rng.normal(size=(6, 3))
    lists = centre_neighbours(centres, 8)
    centres[[1, 4]] += 3.0
    patch_neighbours(centres, np.isin(np.arange(6), [1, 4]), lists)
    _assert_valid_lists(centres, lists, 8)
    assert np.all(lists[3] == 5) and np.all(lists[4] == np.inf)


def test_neighbour_lists_are_listed_afresh_once_patching_thins_them():
    """Hamerly's lists are patched while few centres move, and listed afresh when many move
    or when patches have dropped more than PATCH_MIN_LISTED of what a fresh listing held;
    whichever way, what it returns is valid for the centres it was given."""
    from kmeanskit.solvers.hamerly import PATCH_MIN_LISTED, NeighbourLists

    rng = np.random.default_rng(0)
    centres = np.arange(64, dtype=np.float64)[:, None] + rng.uniform(0, 0.1, size=(64, 1))
    listing = NeighbourLists(8)
    listing.update(centres, np.zeros(64))
    ways = []
    for _ in range(6):
        moved = np.zeros(64)
        group = rng.choice(64, size=16, replace=False)  # k / 4: patched
        moved[group] = 1.0
        centres = centres.copy()
        centres[group] = rng.uniform(-1e4, 1e4, size=(16, 1))  # far: left out of lists
        before = listing.lists
        lists = listing.update(centres, moved)
        ways.append("patched" if lists is before else "fresh")
        _assert_valid_lists(centres, lists, 8)
        assert lists[3].sum() >= PATCH_MIN_LISTED * listing.fresh_total
    assert "patched" in ways and "fresh" in ways
    moved = np.ones(64)  # every centre moved: listed afresh
    before = listing.lists
    assert listing.update(centres + 1.0, moved) is not before


def test_neighbour_lists_survive_an_outlier_centre():
    """One far centre stretches every centre's range of distances; the radius that lists
    the neighbours is found by halving its ratio, not the range, so the lists stay full."""
    rng = np.random.default_rng(2)
    centres = rng.normal(size=(100, 4))
    centres[0] = 1e6
    lists = centre_neighbours(centres, 10)
    _assert_valid_lists(centres, lists, 10)
    assert np.all(lists[3][1:] >= 8)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("seed", range(6))
def test_bound_past_far_movers_stays_below_every_other_centre(dtype, seed):
    """Hamerly's bound for a row past its neighbour list: after some centres move (a few
    far, many a little, some not at all), the bound from the row's old bound, ``tau`` and the
    far movers' distances is no more than its distance to any centre but its own."""
    rng = np.random.default_rng(seed)
    k, d = 200, 24
    old = rng.normal(size=(k, d)) * 3.0
    moves = rng.normal(size=(k, d)) * rng.choice([0.0, 0.01, 0.2, 3.0], size=(k, 1))
    new = (old + moves).astype(dtype)
    moved = np.sqrt(((new.astype(np.float64) - old) ** 2).sum(axis=1)) * (1 + 1e-6)
    movers, tau = far_movers(moved)
    assert 0 < len(movers) <= 16 and np.all(moved[movers] > tau)
    assert np.all(np.delete(moved, movers) <= tau)
    margin = 4.0 * (d + 4) * float(np.finfo(dtype).eps)
    for x in (rng.normal(size=(20, d)) * 3.0).astype(dtype):
        before = np.sqrt(((x.astype(np.float64) - old) ** 2).sum(axis=1))
        a = int(before.argmin())
        lower_before = np.delete(before, a).min()
        bound = bound_past_far_movers(x, a, lower_before, tau, new, margin, movers)
        after = np.sqrt(((x.astype(np.float64) - new.astype(np.float64)) ** 2).sum(axis=1))
        assert bound <= np.delete(after, a).min()
        # no looser than Hamerly's, up to the distances' rounding
        assert bound >= (lower_before - moved.max()) * (1 - margin) - 1e-9
