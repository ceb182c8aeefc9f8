"""Solution quality on the public benchmark sets: does every cluster get its own centroid?

    python benchmarks/quality.py [--seeds 100] [--big-seeds 25] [--sets a1,s1] [--methods ...]

For every set of ../shared/datasets/clustering-benchmark (skipped with a message when absent)
and every seed, fits each implementation in one process and measures against the set's
ground-truth centroids: the centroid index (CI, Fränti et al. 2014; 0 = every cluster found),
the success rate (share of seeds with CI = 0), the inertia relative to Lloyd started from the
ground-truth centroids, and the fit time. The methods run one after the other on a set (all
seeds of one, then the next), so each library runs after itself. Writes
``benchmarks/QUALITY.md``.
"""

from __future__ import annotations

import argparse
import os
import platform
import statistics
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np
from _sets import ALL_SETS, FRANTI_SETS, benchmark_sets

HERE = Path(__file__).resolve().parent
BIG_N = 50_000  # sets at least this large get --big-seeds seeds


def _kmeanskit(**params) -> Callable:
    def make(k, seed):
        from kmeanskit import KMeans

        return KMeans(k, random_state=seed, **params)

    return make


def _sklearn(**params) -> Callable:
    def make(k, seed):
        from sklearn.cluster import KMeans

        return KMeans(k, random_state=seed, **params)

    return make


def _kmeanspp(trials: int) -> Callable:
    """A callable init: kmeanskit's greedy k-means++ with ``trials`` candidates per centre
    (1 = plain k-means++)."""

    def init(X, n_clusters, random_state):
        from kmeanskit.seeding import greedy_kmeans_plusplus

        rng = np.random.default_rng(random_state.randint(2**31))
        weights = np.ones(X.shape[0])
        return greedy_kmeans_plusplus(X, n_clusters, weights, rng, n_local_trials=trials)[0]

    return init


STUDY: dict[str, Callable] = {
    "sklearn default": _sklearn(),
    "greedy k-means++ (2+ln k trials)": _kmeanskit(refine=None),
    "k-means++ (1 trial)": _kmeanskit(init=_kmeanspp(1), n_init=1, refine=None),
    "greedy k-means++ n_init=3": _kmeanskit(n_init=3, refine=None),
    "k-means||": _kmeanskit(init="k-means||", refine=None),
    "greedy + swap 2": _kmeanskit(refine="swap", refine_budget=2),
    "greedy + swap 3": _kmeanskit(refine="swap", refine_budget=3),
    "greedy + swap 5": _kmeanskit(refine="swap", refine_budget=5),
    "1 trial + swap 3": _kmeanskit(init=_kmeanspp(1), n_init=1, refine="swap", refine_budget=3),
    "1 trial + swap 5": _kmeanskit(init=_kmeanspp(1), n_init=1, refine="swap", refine_budget=5),
    "k-means|| + swap 3": _kmeanskit(init="k-means||", refine="swap", refine_budget=3),
}
"""Default candidates compared on quality per second (``--study``)."""
STUDY_SETS = ["a1", "a2", "a3", "s1", "s2", "s3", "s4", "unbalance", "d31", "r15"]

METHODS: dict[str, Callable] = {
    "kmeanskit": _kmeanskit(),
    "kmeanskit-swap": _kmeanskit(refine="swap"),
    "sklearn": _sklearn(),
    "sklearn-n_init=10": _sklearn(n_init=10),
}
DEFAULT_METHODS = ["kmeanskit", "kmeanskit-swap", "sklearn", "sklearn-n_init=10"]


def reference_inertia(X: np.ndarray, truth: np.ndarray) -> float:
    """Inertia of Lloyd (scikit-learn's, to convergence) started from the true centroids."""
    from sklearn.cluster import KMeans

    return float(KMeans(len(truth), init=truth, n_init=1, tol=0.0).fit(X).inertia_)


def run_set(name, X, truth, methods, seeds):
    """Per method (a name in METHODS, or a dict name -> factory): CI, inertia and seconds
    per seed."""
    from kmeanskit.metrics import centroid_index

    k = len(truth)
    factories = methods if isinstance(methods, dict) else {m: METHODS[m] for m in methods}
    results = {}
    for method, make in factories.items():
        make(k, 0).fit(X[: 4 * k])  # warm-up: imports, numba cache, thread pools
        time.sleep(0.25)
        cis, inertias, seconds = [], [], []
        for seed in seeds:
            model = make(k, seed)
            start = time.perf_counter()
            model.fit(X)
            seconds.append(time.perf_counter() - start)
            cis.append(centroid_index(model.cluster_centers_, truth))
            inertias.append(float(model.inertia_))
        results[method] = (np.array(cis), np.array(inertias), np.array(seconds))
        ok = np.mean(np.array(cis) == 0)
        print(
            f"{name:>10} {method:>18}: success {ok:6.1%}  mean CI {np.mean(cis):5.2f}  "
            f"median {statistics.median(seconds) * 1e3:8.1f} ms",
            flush=True,
        )
    return results


def study_markdown(rows, methods) -> list[str]:
    """Success rate and median time of every default candidate, per set and overall."""
    lines = [
        "## Choosing the defaults",
        "",
        "Candidates for kmeanskit's default, on the sets where one k-means++ run fails often "
        "(success % / median ms per set; the last column is the mean success and the median "
        "over sets of the time relative to scikit-learn's default). `greedy` is k-means++ "
        "with 2 + ln k candidates per centre (scikit-learn's and our seeding), `1 trial` "
        "plain k-means++, `swap T` the swap refinement with T trials.",
        "",
        "| candidate | " + " | ".join(r[0] for r in rows) + " | mean success / time vs sklearn |",
        "|---|" + "---|" * (len(rows) + 1),
    ]
    for m in methods:
        cells, ratios, rates = [], [], []
        for _name, _shape, _k, _ref, results in rows:
            cis, _, seconds = results[m]
            rates.append(np.mean(cis == 0))
            ratios.append(np.median(seconds) / np.median(results["sklearn default"][2]))
            cells.append(f"{rates[-1]:.0%} / {np.median(seconds) * 1e3:.0f}")
        lines.append(
            f"| {m} | "
            + " | ".join(cells)
            + f" | {np.mean(rates):.1%} / {np.median(ratios):.2f}x |"
        )
    return lines


def _table(rows, methods) -> list[str]:
    header = (
        "| set | n × d | k | "
        + " | ".join(f"{m}: success / mean CI / rel. inertia / ms" for m in methods)
        + " |"
    )
    lines = [header, "|---|---|---|" + "---|" * len(methods)]
    for name, shape, k, ref, results in rows:
        cells = []
        for m in methods:
            cis, inertias, seconds = results[m]
            rel = float(np.mean(inertias / ref - 1.0))
            cells.append(
                f"{np.mean(cis == 0):.0%} / {np.mean(cis):.2f} / {rel:+.2%} / "
                f"{statistics.median(seconds) * 1e3:.0f}"
            )
        lines.append(f"| {name} | {shape[0]} × {shape[1]} | {k} | " + " | ".join(cells) + " |")
    return lines


def markdown(rows, methods, args, study=()) -> str:
    franti = {name for _, name in FRANTI_SETS}
    targets = [r for r in rows if r[0] in franti and r[2] <= 100]
    others = [r for r in rows if r not in targets]
    lines = ["## Fränti's basic benchmark (the targets: k ≤ 100)", "", *_table(targets, methods)]
    lines += ["", *_summary(targets, methods)]
    if others:
        lines += [
            "",
            "## Other sets (no target)",
            "",
            "D31 and R15 are Gaussian clusters; the shape sets (aggregation … spiral) and the "
            "UCI sets are not k-means shaped, so their per-label means need not be a k-means "
            "optimum and CI > 0 can be the right k-means answer there.",
            "",
            *_table(others, methods),
        ]
    return "\n".join(
        [
            "# Solution quality on the clustering benchmark sets",
            "",
            f"Command: `python benchmarks/quality.py --seeds {args.seeds} "
            f"--big-seeds {args.big_seeds} --study-seeds {args.study_seeds}`  ",
            f"Machine: {platform.machine()}, {os.cpu_count()} cores; "
            f"date {time.strftime('%Y-%m-%d')}.",
            "",
            "Per set and method, over the seeds (sets with n ≥ 50 000 use --big-seeds seeds): "
            "success = share of seeds with centroid index CI = 0 against the ground-truth "
            "centroids; mean CI; mean inertia relative to Lloyd started from the ground-truth "
            "centroids (negative: a lower inertia than the truth's local optimum); median fit "
            "time in milliseconds.",
            "",
            *lines,
            "",
            *study,
            "",
        ]
    )


def _summary(rows, methods) -> list[str]:
    """Target checks: refinement >= 99% everywhere within 10x sklearn's default time;
    defaults at least sklearn's success rate at no more than its time."""
    out = ["## Against the targets", ""]
    if "kmeanskit-swap" in methods and "sklearn" in methods:
        misses, slow = [], []
        for name, _, _, _, results in rows:
            rate = np.mean(results["kmeanskit-swap"][0] == 0)
            ratio = np.median(results["kmeanskit-swap"][2]) / np.median(results["sklearn"][2])
            if rate < 0.99:
                misses.append(f"{name} ({rate:.0%})")
            if ratio > 10:
                slow.append(f"{name} ({ratio:.1f}x)")
        worst = max(
            np.median(r["kmeanskit-swap"][2]) / np.median(r["sklearn"][2]) for *_, r in rows
        )
        out.append(
            f'- `refine="swap"`: CI = 0 in ≥ 99% of seeds on {len(rows) - len(misses)} of '
            f"{len(rows)} sets"
            + (f"; below on {', '.join(misses)}" if misses else "")
            + f". Time ≤ 10x sklearn's default on {len(rows) - len(slow)} of {len(rows)} sets"
            + (f"; above on {', '.join(slow)}" if slow else "")
            + f" (largest ratio {worst:.1f}x)."
        )
    if "kmeanskit" in methods and "sklearn" in methods:
        worse, slower = [], []
        for name, _, _, _, results in rows:
            ours, theirs = (np.mean(results[m][0] == 0) for m in ("kmeanskit", "sklearn"))
            ratio = np.median(results["kmeanskit"][2]) / np.median(results["sklearn"][2])
            if ours < theirs:
                worse.append(f"{name} ({ours:.0%} vs {theirs:.0%})")
            if ratio > 1:
                slower.append(f"{name} ({ratio:.2f}x)")
        out.append(
            f"- Defaults: success rate at least sklearn's default on {len(rows) - len(worse)} "
            f"of {len(rows)} sets"
            + (f"; lower on {', '.join(worse)}" if worse else "")
            + f"; time at most sklearn's on {len(rows) - len(slower)} of {len(rows)} sets"
            + (f"; above on {', '.join(slower)}" if slower else "")
            + "."
        )
    return out


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, default=100)
    parser.add_argument("--big-seeds", type=int, default=25)
    parser.add_argument("--sets", default=None, help="comma-separated set names (default all)")
    parser.add_argument(
        "--methods", default=",".join(DEFAULT_METHODS), help=f"from {sorted(METHODS)}"
    )
    parser.add_argument("--study-seeds", type=int, default=40, help="0 skips the study")
    parser.add_argument("--out", type=Path, default=HERE / "QUALITY.md")
    args = parser.parse_args(argv)
    methods = args.methods.split(",")
    unknown = [m for m in methods if m not in METHODS]
    if unknown:
        parser.error(f"unknown methods {unknown}; choose from {sorted(METHODS)}")
    chosen = None
    if args.sets:
        wanted = args.sets.split(",")
        chosen = [s for s in ALL_SETS if s[1] in wanted]

    rows = []
    for name, X, truth in benchmark_sets(chosen):
        n_seeds = args.big_seeds if X.shape[0] >= BIG_N else args.seeds
        results = run_set(name, X, truth, methods, range(n_seeds))
        rows.append((name, X.shape, len(truth), reference_inertia(X, truth), results))
    if not rows:
        print(f"no benchmark sets found under {benchmark_sets.__module__}.SHARED; nothing written")
        return
    study = []
    if args.study_seeds:
        wanted = [s for s in ALL_SETS if s[1] in STUDY_SETS]
        study_rows = [
            (
                name,
                X.shape,
                len(truth),
                0.0,
                run_set(name, X, truth, STUDY, range(args.study_seeds)),
            )
            for name, X, truth in benchmark_sets(wanted)
        ]
        study = study_markdown(study_rows, list(STUDY))
    args.out.write_text(markdown(rows, methods, args, study))
    print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
