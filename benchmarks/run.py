"""kmeanskit against scikit-learn and FAISS, in one process and one run; writes RESULTS.md.

    python benchmarks/run.py [--quick] [--only NAME ...] [--out benchmarks/RESULTS.md]

Needs the ``bench`` extra (``pip install ".[bench]"``: faiss-cpu, psutil); a peer that is not
installed is reported as absent. Sections:

1. Same initial centres, fixed iterations (``tol=0``): seconds per iteration (median of
   repeats, fits of the different libraries interleaved, each after a short pause so that no
   library's idle worker threads are still spinning), the ratio to every peer, and the final
   inertia computed by one shared function (:func:`inertia_of`) from each returned set of centres.
2. Library defaults end to end (seeding + fit) over several seeds: seconds and inertia, with
   kmeanskit's ``refine=None``, ``init="k-means++"`` and ``init="k-means||"`` beside its
   default (``init="auto"`` picks one of the two); then the seeding alone (kmeanskit
   k-means++ and k-means||, scikit-learn's k-means++): seconds and the seeds' inertia.
3. Peak memory of each implementation, each fit in a fresh subprocess.
4. The machine's floor measured in the same run (sgemm GFLOP/s, memory bandwidth) and every
   implementation's seconds per iteration as a multiple of it.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent
KDTREE_MAX_FEATURES = 3
"""The kd-tree is timed up to this many features (its pruning fails in more dimensions)."""


# ----------------------------------------------------------------------------- workloads
@dataclass(frozen=True)
class Workload:
    name: str
    n: int
    d: int
    k: int
    dtype: str
    kind: str  # blobs | mixture | image
    iters: int = 20

    def data(self) -> np.ndarray:
        rng = np.random.default_rng(0)
        if self.kind == "image":
            from sklearn.datasets import load_sample_image

            pixels = load_sample_image("china.jpg").reshape(-1, 3) / 255.0
            return pixels.astype(self.dtype)
        if self.kind == "blobs":
            from sklearn.datasets import make_blobs

            X, _ = make_blobs(self.n, self.d, centers=self.k, cluster_std=4.0, random_state=0)
            return X.astype(self.dtype)
        # embeddings-like Gaussian mixture: anisotropic components of unequal sizes
        means = rng.normal(size=(self.k, self.d)) * 2.0
        sizes = rng.dirichlet(np.full(self.k, 2.0))
        comp = rng.choice(self.k, size=self.n, p=sizes)
        scales = rng.uniform(0.5, 1.5, size=(self.k, self.d))
        X = means[comp] + rng.normal(size=(self.n, self.d)) * scales[comp]
        return X.astype(self.dtype)


FULL = [
    Workload("blobs-100k-d2-k8-f64", 100_000, 2, 8, "float64", "blobs"),
    Workload("blobs-500k-d16-k32", 500_000, 16, 32, "float32", "blobs"),
    Workload("embeddings-200k-d128-k256", 200_000, 128, 256, "float32", "mixture"),
    Workload("china-pixels-k64", 273_280, 3, 64, "float32", "image"),
    Workload("mixture-100k-d32-k1024", 100_000, 32, 1024, "float32", "mixture"),
    Workload("mixture-5M-d8-k16", 5_000_000, 8, 16, "float32", "mixture", iters=10),
]
QUICK = [
    Workload("blobs-100k-d2-k8-f64", 100_000, 2, 8, "float64", "blobs"),
    Workload("blobs-200k-d16-k32", 200_000, 16, 32, "float32", "blobs", iters=10),
    Workload("embeddings-50k-d128-k256", 50_000, 128, 256, "float32", "mixture", iters=5),
    Workload("china-pixels-k64", 273_280, 3, 64, "float32", "image", iters=10),
]


# ----------------------------------------------------------------------------- peers
def peers(w: Workload, init: np.ndarray | None, iters: int, seed: int = 0) -> dict:
    """name -> zero-argument callable that fits and returns the centres.

    With ``init`` every peer starts from those centres, runs ``iters`` iterations with
    ``tol=0`` and uses every point. Without it every peer runs its own defaults.
    """
    from sklearn.cluster import KMeans as SkKMeans

    from kmeanskit import KMeans

    fixed = {"n_init": 1, "max_iter": iters, "tol": 0.0} if init is not None else {}
    start = {"init": init} if init is not None else {"random_state": seed}
    out = {
        "kmeanskit-lloyd": lambda X: KMeans(w.k, algorithm="lloyd", **start, **fixed).fit(X),
        "kmeanskit-hamerly": lambda X: KMeans(w.k, algorithm="hamerly", **start, **fixed).fit(X),
        "kmeanskit-yinyang": lambda X: KMeans(w.k, algorithm="yinyang", **start, **fixed).fit(X),
        "sklearn-lloyd": lambda X: SkKMeans(w.k, algorithm="lloyd", **start, **fixed).fit(X),
        "sklearn-elkan": lambda X: SkKMeans(w.k, algorithm="elkan", **start, **fixed).fit(X),
    }
    if w.d <= KDTREE_MAX_FEATURES:
        out["kmeanskit-kdtree"] = lambda X: KMeans(w.k, algorithm="kdtree", **start, **fixed).fit(X)
    if init is None:  # library defaults: kmeanskit and sklearn as a user would call them
        out = {
            "kmeanskit": lambda X: KMeans(w.k, random_state=seed).fit(X),
            "kmeanskit-refine=None": lambda X: KMeans(w.k, random_state=seed, refine=None).fit(X),
            "kmeanskit-k-means++": lambda X: KMeans(w.k, init="k-means++", random_state=seed).fit(
                X
            ),
            "kmeanskit-k-means||": lambda X: KMeans(w.k, init="k-means||", random_state=seed).fit(
                X
            ),
            "sklearn": lambda X: SkKMeans(w.k, random_state=seed).fit(X),
        }
    try:
        import faiss

        faiss.omp_set_num_threads(os.cpu_count() or 1)

        def run_faiss(X):
            X32 = np.ascontiguousarray(X, dtype=np.float32)
            if init is not None:
                km = faiss.Kmeans(w.d, w.k, niter=iters, max_points_per_centroid=len(X) + 1)
                km.train(X32, init_centroids=np.ascontiguousarray(init, dtype=np.float32))
            else:
                km = faiss.Kmeans(w.d, w.k, seed=seed + 1)
                km.train(X32)
            return km

        out["faiss"] = run_faiss
    except ImportError:
        pass
    return out


def centres_of(model) -> np.ndarray:
    return model.centroids if hasattr(model, "centroids") else model.cluster_centers_


def inertia_of(X: np.ndarray, centers: np.ndarray, chunk: int = 65536) -> float:
    """The one inertia used for every library: float64, chunked, from the returned centres."""
    c = np.asarray(centers, dtype=np.float64)
    c_sq = (c * c).sum(axis=1)
    total = 0.0
    for start in range(0, len(X), chunk):
        x = np.asarray(X[start : start + chunk], dtype=np.float64)
        d2 = (x * x).sum(axis=1)[:, None] - 2.0 * (x @ c.T) + c_sq[None, :]
        total += float(np.maximum(d2.min(axis=1), 0.0).sum())
    return total


# ----------------------------------------------------------------------------- floor
def machine_floor() -> dict:
    """sgemm GFLOP/s (all cores) and memory bandwidth (GB/s, read+write of a big copy)."""
    rng = np.random.default_rng(0)
    a = rng.normal(size=(2048, 2048)).astype(np.float32)
    b = rng.normal(size=(2048, 2048)).astype(np.float32)
    a @ b
    times = []
    for _ in range(5):
        t = time.perf_counter()
        a @ b
        times.append(time.perf_counter() - t)
    gflops = 2 * 2048**3 / statistics.median(times) / 1e9
    big = np.ones(64 * 2**20 // 4, dtype=np.float32)  # 256 MiB
    dst = np.empty_like(big)
    times = []
    for _ in range(5):
        t = time.perf_counter()
        np.copyto(dst, big)
        times.append(time.perf_counter() - t)
    bandwidth = 2 * big.nbytes / statistics.median(times) / 1e9
    return {"sgemm_gflops": gflops, "bandwidth_gbs": bandwidth}


def floor_seconds_per_iter(w: Workload, floor: dict) -> float:
    """Lower bound for one Lloyd iteration: the GEMM at full speed or one read of X."""
    flops = 2.0 * w.n * w.d * w.k
    bytes_read = w.n * w.d * np.dtype(w.dtype).itemsize
    return max(flops / (floor["sgemm_gflops"] * 1e9), bytes_read / (floor["bandwidth_gbs"] * 1e9))


# ----------------------------------------------------------------------------- sections
SETTLE_SECONDS = 0.25
"""Pause before every timed call. After a multi-threaded BLAS or OpenMP call returns, its
worker threads keep spinning for up to ~0.1 s (OpenBLAS's THREAD_TIMEOUT is 2^28 cycles) and
take the cores from whatever runs next: measured on blobs-100k-d2, a default kmeanskit fit took
0.147 s right after a 2-thread numpy GEMM and 0.092 s after a pause (sklearn: 0.151 / 0.130).
Without the pause the timings depend on which library happens to run after which."""


def _settle() -> None:
    time.sleep(SETTLE_SECONDS)


def _timed(fn, X):
    """``fn(X)`` after the settling pause: its seconds and its result."""
    _settle()
    t = time.perf_counter()
    result = fn(X)
    return time.perf_counter() - t, result


def same_init(w: Workload, X, repeats: int) -> dict:
    from kmeanskit import kmeans_plusplus

    init, _ = kmeans_plusplus(X, w.k, random_state=0)
    fits = peers(w, init, w.iters)
    times = {name: [] for name in fits}
    result = {}
    for fit in fits.values():  # warm-up: numba compiles or loads its cache
        fit(X[: min(len(X), 20 * w.k)])
    for _ in range(repeats):
        for name, fit in fits.items():
            seconds, result[name] = _timed(fit, X)
            times[name].append(seconds)
    out = {}
    for name, model in result.items():
        n_iter = getattr(model, "n_iter_", w.iters)
        seconds = statistics.median(times[name])
        out[name] = {
            "seconds": seconds,
            "n_iter": int(n_iter),
            "per_iter": seconds / max(int(n_iter), 1),
            "inertia": inertia_of(X, centres_of(model)),
        }
    return out


SHORT_CALL_SECONDS = 1.0
SHORT_CALL_TIMINGS = 3
"""A call of a seed that takes under SHORT_CALL_SECONDS is timed SHORT_CALL_TIMINGS times (the
same seed, so the same result) and every timing enters the median. A ~30 ms fit varies by
±20% from one timing to the next on the 2-core machines: with one timing a seed, stop 26 saw
kmeanskit's default and its identical k-means++ entry 0.034 and 0.026 s apart in one run."""


def _over_seeds(make, X, seeds: int, centres_from) -> dict:
    """Run every callable of ``make(seed)`` on X for each seed: median seconds (over every
    timing, see SHORT_CALL_TIMINGS), mean inertia over the seeds of the centres
    ``centres_from(result)`` gives (one shared inertia function)."""
    out = {}
    for seed in range(seeds):
        for name, fn in make(seed).items():
            entry = out.setdefault(name, {"seconds": [], "inertia": []})
            seconds, result = _timed(fn, X)
            timings = [seconds]
            while len(timings) < SHORT_CALL_TIMINGS and timings[0] < SHORT_CALL_SECONDS:
                timings.append(_timed(fn, X)[0])
            entry["seconds"].extend(timings)
            entry["inertia"].append(inertia_of(X, centres_from(result)))
    return {
        name: {
            "seconds": statistics.median(v["seconds"]),
            "inertia_mean": float(np.mean(v["inertia"])),
        }
        for name, v in out.items()
    }


def defaults(w: Workload, X, seeds: int) -> dict:
    return _over_seeds(lambda seed: peers(w, None, 0, seed), X, seeds, centres_of)


def seeders(w: Workload, seed: int) -> dict:
    """name -> callable returning initial centres, for timing the seeding alone."""
    from sklearn.cluster import kmeans_plusplus as sk_kmeans_plusplus

    from kmeanskit import kmeans_plusplus
    from kmeanskit._parallel import kernel_section
    from kmeanskit.seeding_parallel import kmeans_parallel

    def parallel(X):
        with kernel_section():
            return kmeans_parallel(X, w.k, np.ones(len(X)), np.random.default_rng(seed))

    return {
        "kmeanskit k-means++": lambda X: kmeans_plusplus(X, w.k, random_state=seed)[0],
        "kmeanskit k-means||": parallel,
        "sklearn k-means++": lambda X: sk_kmeans_plusplus(X, w.k, random_state=seed)[0],
    }


def seeding(w: Workload, X, seeds: int) -> dict:
    return _over_seeds(lambda seed: seeders(w, seed), X, seeds, lambda centers: centers)


_CHILD = r"""
import json, sys, numpy as np
sys.path.insert(0, {here!r})
from run import Workload, peers, rss_high_water_reset, rss_now_and_high_water
w = Workload(**json.loads({workload!r}))
X = np.load({path!r})
init = np.load({init!r})
fit = peers(w, init, 2)[{name!r}]
fit(X[: 20 * w.k])  # warm-up: imports, numba cache, compilation peaks
rss_high_water_reset()
before, _ = rss_now_and_high_water()
fit(X)
_, peak = rss_now_and_high_water()
print(json.dumps({{"rss_before": before, "peak": peak}}))
"""


def rss_high_water_reset() -> None:
    """Reset this process's peak RSS (Linux: writing 5 to /proc/self/clear_refs)."""
    with open("/proc/self/clear_refs", "w") as fh:
        fh.write("5")


def rss_now_and_high_water() -> tuple[int, int]:
    """Current and peak resident set size in bytes, from /proc/self/status."""
    fields = {}
    with open("/proc/self/status") as fh:
        for line in fh:
            key, _, value = line.partition(":")
            if key in ("VmRSS", "VmHWM"):
                fields[key] = int(value.split()[0]) * 1024
    return fields["VmRSS"], fields["VmHWM"]


def peak_memory(w: Workload, X, names) -> dict:
    """Extra memory of one fit (2 iterations), each implementation in a fresh subprocess.

    Reported as peak RSS during the fit minus RSS just before it (data loaded, libraries
    imported and warmed up; the kernel's high-water mark is reset after the warm-up), and as
    (input + that extra) / input.
    """
    from kmeanskit import kmeans_plusplus

    init, _ = kmeans_plusplus(X, w.k, random_state=0)
    out = {}
    with tempfile.TemporaryDirectory() as tmp:
        path, init_path = os.path.join(tmp, "X.npy"), os.path.join(tmp, "init.npy")
        np.save(path, X)
        np.save(init_path, init)
        for name in names:
            code = _CHILD.format(
                here=str(HERE),
                workload=json.dumps(w.__dict__),
                path=path,
                init=init_path,
                name=name,
            )
            proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
            if proc.returncode != 0:
                out[name] = {"error": proc.stderr.strip().splitlines()[-1][:200]}
                continue
            m = json.loads(proc.stdout.strip().splitlines()[-1])
            extra = max(m["peak"] - m["rss_before"], 0)
            out[name] = {"extra_mib": extra / 2**20, "ratio": (X.nbytes + extra) / X.nbytes}
    return out


# ----------------------------------------------------------------------------- report
def _cell(text: str) -> str:
    """Text for a Markdown table cell ("k-means||" would end the cell)."""
    return text.replace("|", "\\|")


def _fmt_ratio(ours: float, theirs: float) -> str:
    return f"{theirs / ours:.2f}x"


def _speedup_rows(results: dict, section: str, baseline: str) -> list[str]:
    """Table rows of one timed section: seconds, mean inertia, speed-up over ``baseline``."""
    rows = []
    for wname, r in results.items():
        if section not in r:
            continue
        base = r[section][baseline]["seconds"]
        for name, v in r[section].items():
            rows.append(
                f"| {wname} | {_cell(name)} | {v['seconds']:.3f} | {v['inertia_mean']:.6e} | "
                f"{base / v['seconds']:.2f}x |"
            )
    return rows


def write_report(path: Path, meta: dict, results: dict) -> None:
    lines = [
        "# kmeanskit benchmark results",
        "",
        f"Command: `{meta['command']}`  ",
        f"Machine: {meta['machine']}  ",
        f"Date: {meta['date']}; versions: {meta['versions']}  ",
        f"Floor measured in this run: sgemm {meta['floor']['sgemm_gflops']:.1f} GFLOP/s, "
        f"memory bandwidth {meta['floor']['bandwidth_gbs']:.1f} GB/s.",
        "",
        "## 1. Same initial centres, same iterations (tol=0)",
        "",
        "Median seconds per iteration; `speed-up` is the fastest peer's time divided by the best "
        "kmeanskit solver's; inertia from the returned centres by one shared function; "
        "`x floor` is seconds per iteration over the machine's floor for this workload.",
        "",
        "| workload | implementation | s/iter | iters | x floor | inertia | vs sklearn-lloyd |",
        "|---|---|---|---|---|---|---|",
    ]
    summary = []
    for wname, r in results.items():
        same = r["same_init"]
        ref = same["sklearn-lloyd"]["inertia"]
        for name, v in same.items():
            lines.append(
                f"| {wname} | {name} | {v['per_iter']:.4f} | {v['n_iter']} | "
                f"{v['per_iter'] / r['floor_s']:.2f} | {v['inertia']:.6e} | "
                f"{(v['inertia'] - ref) / ref:+.1e} |"
            )
        ours = min(v["seconds"] for n, v in same.items() if n.startswith("kmeanskit"))
        theirs = min(v["seconds"] for n, v in same.items() if not n.startswith("kmeanskit"))
        best_peer = min(
            (n for n in same if not n.startswith("kmeanskit")), key=lambda n: same[n]["seconds"]
        )
        summary.append((wname, ours, theirs, best_peer))
    lines += ["", "Total fit time, best kmeanskit solver against the fastest peer:", ""]
    lines += [
        "| workload | kmeanskit s | fastest peer | peer s | speed-up |",
        "|---|---|---|---|---|",
    ]
    for wname, ours, theirs, peer in summary:
        lines.append(f"| {wname} | {ours:.3f} | {peer} | {theirs:.3f} | {theirs / ours:.2f}x |")
    lines += [
        "",
        "## 2. Library defaults end to end (seeding + fit)",
        "",
        f"Median seconds (calls under {SHORT_CALL_SECONDS:g} s timed {SHORT_CALL_TIMINGS} times a "
        "seed) and mean inertia over the seeds.",
        "",
        "| workload | implementation | seconds | mean inertia | speed-up vs sklearn |",
        "|---|---|---|---|---|",
    ]
    lines += _speedup_rows(results, "defaults", "sklearn")
    lines += [
        "",
        "Seeding alone (median seconds, mean inertia of the initial centres):",
        "",
        "| workload | seeding | seconds | mean inertia | speed-up vs sklearn |",
        "|---|---|---|---|---|",
    ]
    lines += _speedup_rows(results, "seeding", "sklearn k-means++")
    lines += [
        "",
        "## 3. Peak memory (fresh subprocess per implementation, 2 iterations)",
        "",
        "`extra` is peak RSS during the fit minus RSS just before it; `ratio` is "
        "(input + extra) / input.",
        "",
        "| workload | input MiB | implementation | extra MiB | ratio |",
        "|---|---|---|---|---|",
    ]
    for wname, r in results.items():
        for name, v in r.get("memory", {}).items():
            if "error" in v:
                lines.append(f"| {wname} | {r['input_mib']:.0f} | {name} | error: {v['error']} | |")
            else:
                lines.append(
                    f"| {wname} | {r['input_mib']:.0f} | {name} | {v['extra_mib']:.0f} | "
                    f"{v['ratio']:.2f} |"
                )
    path.write_text("\n".join(lines) + "\n")


README_START = "<!-- benchmark-table:start (generated by benchmarks/run.py --readme) -->"
README_END = "<!-- benchmark-table:end -->"


def update_readme(results_md: Path, readme: Path) -> None:
    """Copy RESULTS.md's header, total-time table and defaults table into README.md."""
    lines = results_md.read_text().splitlines()
    header = [line for line in lines[2:6] if line.strip()]
    start = next(i for i, line in enumerate(lines) if line.startswith("Total fit time"))
    end = next(i for i, line in enumerate(lines) if line.startswith("## 3."))
    table = [
        line.replace("## ", "#### ", 1) if line.startswith("## ") else line
        for line in lines[start:end]
    ]
    block = [README_START, "", *header, "", *table, README_END]
    body = readme.read_text()
    first, last = body.index(README_START), body.index(README_END) + len(README_END)
    readme.write_text(body[:first] + "\n".join(block) + body[last:])


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="small workloads, fewer repeats")
    parser.add_argument("--only", nargs="*", help="run only workloads whose name contains these")
    parser.add_argument("--repeats", type=int, default=None)
    parser.add_argument("--seeds", type=int, default=None)
    parser.add_argument("--out", type=Path, default=HERE / "RESULTS.md")
    parser.add_argument(
        "--readme", action="store_true", help="only copy the summary of --out into README.md"
    )
    args = parser.parse_args(argv)
    if args.readme:
        update_readme(args.out, HERE.parent / "README.md")
        return

    import sklearn
    import threadpoolctl

    import kmeanskit

    workloads = QUICK if args.quick else FULL
    if args.only:
        workloads = [w for w in workloads if any(s in w.name for s in args.only)]
    repeats = args.repeats or (1 if args.quick else 3)
    seeds = args.seeds or (2 if args.quick else 5)
    versions = f"kmeanskit {kmeanskit.__version__}, scikit-learn {sklearn.__version__}"
    try:
        import faiss

        versions += f", faiss {faiss.__version__}"
    except ImportError:
        versions += ", faiss absent"
    floor = machine_floor()
    print(f"floor: {floor}", flush=True)
    results = {}
    for w in workloads:
        X = w.data()
        w = Workload(w.name, X.shape[0], X.shape[1], w.k, w.dtype, w.kind, w.iters)
        print(f"== {w.name}: n={w.n} d={w.d} k={w.k} {w.dtype}", flush=True)
        r = {"floor_s": floor_seconds_per_iter(w, floor), "input_mib": X.nbytes / 2**20}
        r["same_init"] = same_init(w, X, repeats)
        for name, v in r["same_init"].items():
            print(
                f"   {name:>18}: {v['per_iter']:.4f} s/iter ({v['n_iter']} it) "
                f"inertia {v['inertia']:.6e}",
                flush=True,
            )
        if w.n <= 1_000_000:
            r["defaults"] = defaults(w, X, seeds)
            r["seeding"] = seeding(w, X, seeds)
            for label, part in (("default", r["defaults"]), ("seeding", r["seeding"])):
                for name, v in part.items():
                    print(
                        f"   {label} {name:>20}: {v['seconds']:.3f} s, mean inertia "
                        f"{v['inertia_mean']:.6e}",
                        flush=True,
                    )
        if w.n >= 1_000_000 or args.quick:
            r["memory"] = peak_memory(w, X, list(r["same_init"]))
            for name, v in r["memory"].items():
                print(f"   memory {name:>17}: {v}", flush=True)
        results[w.name] = r
    meta = {
        "command": "python benchmarks/run.py" + (" --quick" if args.quick else ""),
        "machine": f"{platform.machine()} {platform.processor()}".strip()
        + f", {os.cpu_count()} cores, "
        f"BLAS {[i.get('internal_api') for i in threadpoolctl.threadpool_info()]}",
        "date": time.strftime("%Y-%m-%d"),
        "versions": versions,
        "floor": floor,
    }
    write_report(args.out, meta, results)
    print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
