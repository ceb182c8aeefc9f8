"""Customer segmentation: choose k, cluster a table, describe the segments in its own units.

    python examples/customer_segmentation.py [OUTPUT_FOLDER]

Uses the bundled table of 300 synthetic customers plus a made-up ``plan`` column (text, one-hot
encoded). Writes segments.csv (every customer with its segment), profiles.csv, choose-k.png and
segments.png to OUTPUT_FOLDER (default: examples-output/).
"""

import sys
from pathlib import Path

import numpy as np
import pandas as pd

from kmeanskit.apps import Segmenter
from kmeanskit.datasets import customers_path
from kmeanskit.plotting import plot_clusters, plot_suggest_k

out = Path(sys.argv[1] if len(sys.argv) > 1 else "examples-output")
out.mkdir(parents=True, exist_ok=True)

customers = pd.read_csv(customers_path())
rng = np.random.default_rng(0)
customers["plan"] = np.where(customers["annual_income_k"] > 80, "premium", "standard")
customers.loc[rng.choice(len(customers), 30, replace=False), "plan"] = "trial"

features = ["age", "annual_income_k", "spending_score", "visits_per_month", "plan"]
segmenter = Segmenter("auto", columns=features, k_range=range(2, 9), random_state=0)
segmenter.fit(customers)
print(segmenter.suggestion_.reasoning)

profiles = segmenter.profiles()
with pd.option_context("display.width", 200, "display.max_columns", 20):
    print(profiles.round(2))
customers.assign(segment=segmenter.labels_).to_csv(out / "segments.csv", index=False)
profiles.to_csv(out / "profiles.csv")

plot_suggest_k(segmenter.suggestion_).savefig(out / "choose-k.png", dpi=100)
Z, _ = segmenter.encode(customers)
axes = plot_clusters(Z, segmenter.labels_, segmenter.kmeans_.cluster_centers_)
axes.set_title(f"{segmenter.kmeans_.n_clusters} customer segments (first two principal axes)")
axes.figure.savefig(out / "segments.png", dpi=100, bbox_inches="tight")
print(f"wrote {out}/segments.csv, profiles.csv, choose-k.png, segments.png")
