"""What every part of the bench shares: where things are, its log and the fixed choices of
the measurements."""
import os
from datetime import datetime

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
BENCH_SCRIPT = os.path.join(HERE, "bench.py")  # the entry point, also run as each worker process

FAST_OPERATION = 0.1  # seconds: an operation this fast is measured at least FAST_RUNS times
FAST_RUNS = 30
PAST_DAYS = 180  # the "past date" of the aging reports: today - PAST_DAYS
AGING_BOUNDARIES = [30, 60, 90, 120]  # the community report's fixed buckets
BUCKET_KEYS = ["current", "30_days", "60_days", "90_days", "120_days", "older"]  # their names


def log(msg):
    print(f"[bench {datetime.now():%H:%M:%S}] {msg}", flush=True)
