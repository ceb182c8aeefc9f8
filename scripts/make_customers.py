"""Generate the bundled synthetic customer table ``src/kmeanskit/datasets/customers.csv``.

The data are synthetic (no real people): four shopper segments with different age, income,
spending and visit patterns, drawn from a seeded generator so the file is reproducible::

    python scripts/make_customers.py
"""

from pathlib import Path

import numpy as np

SEGMENTS = {
    # name: (count, age mean/sd, income k$ mean/sd, spending score mean/sd, visits mean/sd)
    "young big spenders": (70, (26, 4), (38, 9), (78, 8), (9.0, 2.0)),
    "affluent careful": (80, (45, 7), (98, 14), (22, 9), (3.0, 1.2)),
    "affluent big spenders": (60, (34, 5), (92, 12), (82, 7), (7.5, 2.0)),
    "budget regulars": (90, (52, 11), (42, 10), (45, 10), (5.0, 1.5)),
}


def main() -> None:
    rng = np.random.default_rng(2026)
    rows = []
    for count, age, income, score, visits in SEGMENTS.values():
        rows.append(
            np.column_stack(
                [
                    np.clip(rng.normal(*age, count), 18, 80).round(),
                    np.clip(rng.normal(*income, count), 12, 180).round(1),
                    np.clip(rng.normal(*score, count), 1, 99).round(),
                    np.clip(rng.normal(*visits, count), 0.5, 20).round(1),
                ]
            )
        )
    table = np.concatenate(rows)
    table = table[rng.permutation(len(table))]
    ids = np.arange(1, len(table) + 1)
    out = Path(__file__).resolve().parents[1] / "src/kmeanskit/datasets/customers.csv"
    with out.open("w") as fh:
        fh.write("customer_id,age,annual_income_k,spending_score,visits_per_month\n")
        for i, (a, inc, s, v) in zip(ids, table, strict=True):
            fh.write(f"{i},{a:.0f},{inc:.1f},{s:.0f},{v:.1f}\n")
    print(f"wrote {len(table)} rows to {out}")


if __name__ == "__main__":
    main()
