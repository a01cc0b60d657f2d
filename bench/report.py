"""The result of a bench: the table printed at the end, the totals both sides must agree on,
and the summary written to ``bench/results/``."""
import json
import os

from bench.common import BUCKET_KEYS, HERE, ROOT, log


def fmt_ms(rec):
    if not rec:
        return "—"
    if rec.get("status") == "ok":
        ms = rec["median_ms"]
        return f"{ms / 1000:.2f} s" if ms >= 1000 else f"{ms:.1f} ms"
    if rec.get("status") == "unavailable":
        return "n/a"
    return rec.get("status", "?")


def print_tables(summary):
    ours = summary.get("ours", {}).get("measurements", {})
    oca = summary.get("oca", {}).get("measurements", {})
    names = list(ours) + [n for n in oca if n not in ours]
    print()
    print(f"credit_control bench — scale {summary['scale']}, seed {summary['seed']}, "
          f"{summary['data'].get('customers')} customers, {summary['data'].get('invoices')} invoices, "
          f"{summary['data'].get('receivable_lines')} receivable lines, {summary['data'].get('orders')} orders")
    w = max(len(n) for n in names) if names else 30
    print()
    side = f"{{:>10}} {'queries':>8} {'RSS MiB':>8}"
    print(f"{'operation':<{w}}  {side.format('ours')}   {side.format('community')}   {'ratio':>7}")
    print("-" * (w + 80))
    for name in names:
        a, b = ours.get(name), oca.get(name)
        ratio = ""
        if a and b and a.get("status") == "ok" and b.get("status") == "ok" and a["median_ms"] > 0:
            ratio = f"{b['median_ms'] / a['median_ms']:.1f}×"
        def q(rec):
            return str(rec.get("queries", "")) if rec and rec.get("status") == "ok" else ""
        def m(rec):
            return str(rec.get("peak_rss_mib", "")) if rec and rec.get("status") == "ok" else ""
        print(f"{name:<{w}}  {fmt_ms(a):>10} {q(a):>8} {m(a):>8}   {fmt_ms(b):>10} {q(b):>8} {m(b):>8}   {ratio:>7}")
    print()
    print("ratio = community time / our time (higher is better for credit_control).")
    for side, data in (("ours", ours), ("community", oca)):
        for name, rec in data.items():
            if rec.get("status") not in ("ok",):
                print(f"  {side} · {name}: {rec.get('why') or rec.get('error') or rec.get('status')}")
    for line in summary.get("comparisons", []):
        print(f"  {line}")
    print()


def compare_totals(summary):
    """Where both compute the same thing, the totals must match to the cent."""
    out = []
    ours = summary.get("ours", {}).get("measurements", {})
    oca = summary.get("oca", {}).get("measurements", {})
    a, b = ours.get("exposure of all customers", {}), oca.get("exposure of all customers", {})
    if a.get("total_exposure") is not None and b.get("total_exposure") is not None:
        same = abs(a["total_exposure"] - b["total_exposure"]) < 0.005
        diff = a["total_exposure"] - b["total_exposure"]
        line = (f"exposure totals: ours {a['total_exposure']:.2f} vs community {b['total_exposure']:.2f} — "
                + ("identical" if same else f"DIFFERENT by {diff:.2f}"))
        foreign = b.get("open_receivable_in_foreign_currency")
        from bench.datagen import OTHER_RATE  # noqa: PLC0415
        expected = (foreign or 0) * (1 - 1 / OTHER_RATE)
        if not same and foreign and abs(diff - expected) <= max(1.0, 1e-4 * foreign):
            line += (f" = half of the open receivable in the second currency ({foreign:.2f}): "
                     "account_financial_risk converts the company-currency residual of foreign-currency "
                     "lines as if it were in the foreign currency (rate 2.0 here)")
        out.append(line)
    for name in ours:
        if not name.startswith("aging XLSX"):
            continue
        a, b = ours[name].get("buckets"), oca.get(name, {}).get("buckets")
        if a is not None and b is not None:
            diffs = {k: round(a.get(k, 0) - b.get(k, 0), 2) for k in ["residual", *BUCKET_KEYS]}
            if all(abs(v) < 0.005 for v in diffs.values()):
                out.append(f"{name}: all six buckets and the total identical to the cent "
                           f"(total {a['residual']:.2f})")
            else:
                out.append(f"{name}: buckets DIFFER (ours - community): {diffs}; ours {a}; community {b}")
    return out


def write_results(summary, scale):
    """``bench/results/bench-<SCALE>.json``: the summary, without the tracebacks of operations
    that ended well (meant to be committed)."""
    os.makedirs(os.path.join(HERE, "results"), exist_ok=True)
    path = os.path.join(HERE, "results", f"bench-{scale.upper()}.json")
    for side in ("ours", "oca"):
        for rec in summary.get(side, {}).get("measurements", {}).values():
            rec.pop("traceback", None) if rec.get("status") == "ok" else None
    with open(path, "w") as f:
        json.dump(summary, f, indent=1, default=str, sort_keys=False)
    log(f"wrote {os.path.relpath(path, ROOT)}; total {summary['total_seconds']} s")
