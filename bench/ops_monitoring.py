"""Operation group: monitoring (ours only) — the daily warning detection over every customer
with the default rules (each run rolled back, so each finds the same warnings), the same
detection rerun the same day (nothing new: the steady state), the concentration XLSX, and the
staged-limit job."""
from datetime import date


def measure(worker, side):
    if side != "ours":
        return
    with worker.registry.cursor() as cr:
        env = worker.env(cr)
        available = "credit.monitoring.engine" in env and "credit.concentration.wizard" in env
    if not available:
        for name in ("warning detection", "warning detection: rerun the same day", "concentration XLSX",
                     "staged limits"):
            worker.unavailable(name, "credit.monitoring.engine is not in this build")
        return
    worker.measure("warning detection", _detect, check=_detect_check)
    # The same day again: every episode is open, nothing is created (the steady state).
    worker.measure("warning detection: rerun the same day", _detect, setup=lambda env: _detect(env, None),
                   check=_detect_check)
    worker.measure("concentration XLSX", _concentration, check=_concentration_check, runs=min(worker.args.runs, 3))
    worker.measure("staged limits", _probation, check=lambda env, value: {"steps": len(value)})


def _detect(env, _prepared):
    return env["credit.monitoring.engine"]._detect(env.company, date.today())


def _detect_check(env, value):
    signals = {}
    for warning in value:
        signals[warning.signal_type] = signals.get(warning.signal_type, 0) + 1
    return {"warnings": len(value), "signals": signals,
            "watched": len(env["credit.monitoring.engine"]._watched_partner_ids(env.company))}


def _concentration(env, _prepared):
    wizard = env["credit.concentration.wizard"].create({})
    return {"wizard": wizard, "action": wizard.action_export_xlsx()}


def _concentration_check(env, value):
    _rows, summary = value["wizard"]._build_rows()
    return {key: summary[0][key] for key in ("customers", "exposure", "top_share", "hhi")} if summary else {}


def _probation(env, _prepared):
    return env["credit.probation.engine"]._run(env.company, date.today())
