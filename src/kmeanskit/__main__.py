"""``kmeanskit`` / ``python -m kmeanskit``: the command line entry point."""

from __future__ import annotations

import argparse
import sys


def main(argv: list[str] | None = None) -> int:
    """Run the ``kmeanskit`` command.

    Examples
    --------
    ``kmeanskit demo`` clusters the bundled customer table and prints the segments.
    """
    parser = argparse.ArgumentParser(
        prog="kmeanskit",
        description="Fast, scikit-learn compatible k-means clustering.",
    )
    sub = parser.add_subparsers(dest="command", required=True)
    demo = sub.add_parser(
        "demo",
        help="cluster the bundled customer data and print centres, sizes and inertia",
        description="Cluster the bundled synthetic customer table. Example: kmeanskit demo -k 4",
    )
    demo.add_argument("-k", "--n-clusters", type=int, default=4, help="number of clusters")
    demo.add_argument("--seed", type=int, default=0, help="random_state of the fit")
    args = parser.parse_args(argv)

    if args.command == "demo":
        from .demo import run_demo

        if args.n_clusters < 1:
            parser.error("-k must be a positive integer")
        run_demo(n_clusters=args.n_clusters, random_state=args.seed)
    return 0


if __name__ == "__main__":
    sys.exit(main())
