"""Operation group: the daily credit snapshot of all customers (exposure, behaviour, score,
one upsert per batch), the payment behaviour figures of all customers and the scorecard over
all customers. The OCA side has no equivalent: reported as unavailable."""
from datetime import date

from bench import datagen

NAME_SNAPSHOT = "credit snapshot of all customers"
NAME_BEHAVIOUR = "payment behaviour of all customers"
NAME_SCORECARD = "scorecard over all customers"


def measure(worker, side):
    with worker.registry.cursor() as cr:
        available = "credit.partner.snapshot" in worker.env(cr)
    names = (NAME_SNAPSHOT, NAME_BEHAVIOUR, NAME_SCORECARD)
    if side != "ours" or not available:
        why = "credit.partner.snapshot is not in this build" if side == "ours" else "no OCA equivalent"
        for name in names:
            worker.unavailable(name, why)
        return
    worker.measure(NAME_SNAPSHOT, _snapshot, check=_snapshot_check, runs=min(worker.args.runs, 3))
    worker.measure(NAME_BEHAVIOUR, _behaviour, datagen.bench_partners, check=_behaviour_check)
    worker.measure(NAME_SCORECARD, _scorecard, _scorecard_setup, check=_scorecard_check)


def _snapshot(env, _prepared):
    env["credit.partner.snapshot"]._snapshot(env.company, date=date.today())
    return date.today()


def _snapshot_check(env, day):
    env.cr.execute("SELECT count(*), round(sum(exposure), 2), round(avg(score), 2) FROM credit_partner_snapshot"
                   " WHERE date = %s AND company_id = %s", [day, env.company.id])
    rows, exposure, score = env.cr.fetchone()
    return {"snapshot_rows": rows, "total_exposure": float(exposure or 0), "average_score": float(score or 0)}


def _behaviour(env, partners):
    return env["credit.behaviour.engine"]._compute_behaviour(partners, env.company)


def _behaviour_check(env, figures):
    paid = [f for f in figures.values() if f["has_payments"]]
    return {"customers": len(figures), "customers_with_payments": len(paid),
            "invoices_paid": sum(f["invoices_paid_count"] for f in figures.values())}


def _scorecard_setup(env):
    """The figures the scorecard scores, computed untimed: the scorecard alone is measured."""
    partners = datagen.bench_partners(env)
    figures = env["credit.exposure.engine"]._compute_figures(partners, env.company)
    behaviour = env["credit.behaviour.engine"]._compute_behaviour(partners, env.company)
    rows = [{**behaviour[(p.id, env.company.id)], **figures[(p.id, env.company.id)]} for p in partners]
    return partners, rows


def _scorecard(env, prepared):
    partners, rows = prepared
    return env["credit.scorecard"]._score_customers(env.company, partners, rows, date.today())


def _scorecard_check(env, scores):
    return {"customers": len(scores),
            "average_score": round(sum(s["score"] for s in scores.values()) / len(scores), 2) if scores else 0}
