"""Colour quantisation of china.jpg: kmeanskit.apps.quantize_image against scikit-learn's KMeans.

    python benchmarks/quantize.py [--colors 16] [--seeds 5]

Both fit every pixel of scikit-learn's sample image (kmeanskit through the distinct colours
weighted by their counts, which is the same objective), from their default k-means++ seeding,
one seed at a time, alternating, in one process. Reports median seconds, mean PSNR (dB, of
the uint8 images) and their differences; writes ``benchmarks/QUANTIZE.md``.
"""

from __future__ import annotations

import argparse
import os
import platform
import statistics
import time
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent


def sklearn_quantize(image: np.ndarray, colors: int, seed: int) -> np.ndarray:
    """What a scikit-learn user writes: KMeans on all pixels in [0, 1], palette rounded."""
    from sklearn.cluster import KMeans

    pixels = image.reshape(-1, 3).astype(np.float32) / 255.0
    km = KMeans(colors, random_state=seed).fit(pixels)
    palette = np.clip(np.rint(km.cluster_centers_ * 255.0), 0, 255).astype(np.uint8)
    return palette[km.labels_].reshape(image.shape)


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--colors", type=int, default=16)
    parser.add_argument("--seeds", type=int, default=5)
    parser.add_argument("--out", type=Path, default=HERE / "QUANTIZE.md")
    args = parser.parse_args(argv)

    from sklearn.datasets import load_sample_image

    from kmeanskit.apps import quantize_image
    from kmeanskit.apps.image import psnr

    image = load_sample_image("china.jpg")
    quantize_image(image[:50, :50], 4)  # warm-up: imports and the numba cache
    times = {"kmeanskit": [], "sklearn": []}
    quality = {"kmeanskit": [], "sklearn": []}
    for seed in range(args.seeds):
        time.sleep(0.25)  # let the previous library's worker threads go idle
        start = time.perf_counter()
        ours = quantize_image(image, args.colors, random_state=seed)
        times["kmeanskit"].append(time.perf_counter() - start)
        quality["kmeanskit"].append(ours.psnr)
        time.sleep(0.25)
        start = time.perf_counter()
        theirs = sklearn_quantize(image, args.colors, seed)
        times["sklearn"].append(time.perf_counter() - start)
        quality["sklearn"].append(psnr(image, theirs))
        print(
            f"seed {seed}: kmeanskit {times['kmeanskit'][-1]:.3f} s {ours.psnr:.3f} dB | "
            f"sklearn {times['sklearn'][-1]:.3f} s {quality['sklearn'][-1]:.3f} dB",
            flush=True,
        )
    median = {name: statistics.median(t) for name, t in times.items()}
    mean_psnr = {name: float(np.mean(q)) for name, q in quality.items()}
    lines = [
        "# Colour quantisation: china.jpg",
        "",
        f"Command: `python benchmarks/quantize.py --colors {args.colors} --seeds {args.seeds}`  ",
        f"Machine: {platform.machine()}, {os.cpu_count()} cores. {image.shape[1]}x"
        f"{image.shape[0]} pixels, {args.colors} colours, every pixel, default seeding.",
        "",
        "| implementation | median seconds | mean PSNR (dB) |",
        "|---|---|---|",
        *(f"| {n} | {median[n]:.3f} | {mean_psnr[n]:.3f} |" for n in times),
        "",
        f"Speed-up: {median['sklearn'] / median['kmeanskit']:.1f}x; PSNR difference "
        f"(kmeanskit - sklearn): {mean_psnr['kmeanskit'] - mean_psnr['sklearn']:+.3f} dB.",
        "",
        "Per seed (seconds, dB):",
        "",
        "| seed | kmeanskit s | kmeanskit dB | sklearn s | sklearn dB |",
        "|---|---|---|---|---|",
        *(
            f"| {s} | {times['kmeanskit'][s]:.3f} | {quality['kmeanskit'][s]:.3f} | "
            f"{times['sklearn'][s]:.3f} | {quality['sklearn'][s]:.3f} |"
            for s in range(args.seeds)
        ),
    ]
    args.out.write_text("\n".join(lines) + "\n")
    print("\n".join(lines[5:10]))


if __name__ == "__main__":
    main()
