"""Anomaly detection: flag the odd transactions among ordinary ones.

    python examples/anomaly_detection.py [OUTPUT_FOLDER]

Synthetic card transactions (amount, hour of day) from three habits, plus a few planted odd
ones. AnomalyDetector scores each by its distance to the nearest habit's centre, in that
habit's own spread. Writes ranked.csv and anomalies.png to OUTPUT_FOLDER
(default: examples-output/).
"""

import sys
from pathlib import Path

import numpy as np
import pandas as pd
from matplotlib.figure import Figure

from kmeanskit.apps import AnomalyDetector

out = Path(sys.argv[1] if len(sys.argv) > 1 else "examples-output")
out.mkdir(parents=True, exist_ok=True)

rng = np.random.default_rng(7)
habits = [
    ((12.0, 13.0), (4.0, 1.0), 600),
    ((60.0, 19.0), (15.0, 1.5), 300),
    ((5.0, 8.0), (1.5, 0.7), 400),
]
rows = [rng.normal(mean, spread, size=(n, 2)) for mean, spread, n in habits]
planted = np.array([[950.0, 3.0], [40.0, 4.0], [12.0, 2.5], [220.0, 13.0], [5.0, 20.0]])
transactions = pd.DataFrame(np.vstack([*rows, planted]), columns=["amount", "hour"])
transactions["planted"] = [False] * (len(transactions) - len(planted)) + [True] * len(planted)

features = transactions[["amount", "hour"]]
scaled = (features - features.mean()) / features.std()
detector = AnomalyDetector(n_clusters=3, contamination=0.005, random_state=0).fit(scaled)
ranked = transactions.assign(
    score=detector.scores_, anomaly=detector.predict(scaled) == -1
).sort_values("score", ascending=False)
print(ranked.head(8).round(2).to_string())
found = ranked["anomaly"] & ranked["planted"]
print(
    f"{found.sum()} of {len(planted)} planted transactions flagged, "
    f"{ranked['anomaly'].sum()} flagged in all"
)
ranked.to_csv(out / "ranked.csv", index=False)

figure = Figure(figsize=(6.5, 4.2))
ax = figure.subplots()
normal = ranked[~ranked["anomaly"]]
odd = ranked[ranked["anomaly"]]
points = ax.scatter(normal["amount"], normal["hour"], c=normal["score"], s=8, cmap="viridis")
ax.scatter(odd["amount"], odd["hour"], s=80, facecolors="none", edgecolors="red", label="flagged")
ax.set_xscale("log")
ax.set_xlabel("amount (log scale)")
ax.set_ylabel("hour of day")
ax.set_title("Transactions by anomaly score")
ax.legend(loc="upper right")
figure.colorbar(points, ax=ax, label="anomaly score")
figure.tight_layout()
figure.savefig(out / "anomalies.png", dpi=100)
print(f"wrote {out}/ranked.csv and anomalies.png")
