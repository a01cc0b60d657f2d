#!/usr/bin/env python3
"""./dev bench — reproducible scale data, measured speed, side by side with the community
alternatives. See bench/README.md.

This file is the entry point only: without ``--worker`` it runs the orchestrator
(``bench/orchestrate.py``: databases, worker processes, the report of ``bench/report.py``);
with ``--worker KIND`` it is one worker process (``bench/worker.py``), which measures the
operation groups ``bench/ops_*.py``.
"""
import argparse
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def parse_args():
    parser = argparse.ArgumentParser(prog="./dev bench", description=__doc__.split("\n\n")[0])
    parser.add_argument("--scale", default="S", type=str.upper, choices=["XS", "S", "M", "L"],
                        help="XS (smoke), S ≈ 1k customers/10k invoices, M ≈ 10k/100k, L ≈ 20k/200k")
    parser.add_argument("--tiny", action="store_true", help="same as --scale XS")
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument("--runs", type=int, default=5, help="measured runs per operation (median)")
    parser.add_argument("--rebuild", action="store_true", help="drop and regenerate the databases")
    parser.add_argument("--no-compare", action="store_true", help="skip the community modules")
    parser.add_argument("--build-only", action="store_true", help="build the databases, measure nothing")
    parser.add_argument("--addons-root", help="folder holding credit_control/ (default: this checkout)")
    parser.add_argument("--timeout", type=int, default=1800, help="seconds allowed per measured side")
    parser.add_argument("--op-timeout", type=int, default=120,
                        help="seconds allowed for one run of one operation (reported as a miss)")
    parser.add_argument("--worker", help=argparse.SUPPRESS)
    parser.add_argument("--conf", help=argparse.SUPPRESS)
    parser.add_argument("--db", help=argparse.SUPPRESS)
    parser.add_argument("--out", help=argparse.SUPPRESS)
    parser.add_argument("--role", help=argparse.SUPPRESS)
    parser.add_argument("--main-out", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.tiny:
        args.scale = "XS"
    return args


def main():
    args = parse_args()
    if args.worker:
        from bench.worker import Worker  # noqa: PLC0415 - a worker loads Odoo, the orchestrator does not
        Worker(args).run(args.worker)
        return
    from bench.orchestrate import main_orchestrator  # noqa: PLC0415
    main_orchestrator(args)


if __name__ == "__main__":
    main()
