"""Operation group: the daily payment-plan adherence job over one active plan per customer
with overdue invoices (made in SQL before each run, untimed), about half of them late beyond
their grace: the one status statement, then the plans that complete or break."""
from datetime import date

NAME = "payment plans: daily adherence job"


def measure(worker, side):
    if side != "ours":
        return  # nothing comparable in the community modules
    with worker.registry.cursor() as cr:
        available = "credit.payment.plan" in worker.env(cr)
    if not available:
        worker.unavailable(NAME, "credit.payment.plan is not in this build")
        return
    worker.measure(NAME, _adherence, setup=_plans, check=_check, runs=min(worker.args.runs, 3))


def _plans(env):
    """One active plan per (customer, company) over its overdue invoices in the company
    currency, in three instalments; the first is due 0 to 19 days ago (grace 5 days)."""
    today = date.today()
    cr = env.cr
    cr.execute(
        """
        CREATE TEMP TABLE bench_plan_src ON COMMIT DROP AS
        SELECT am.commercial_partner_id AS partner_id, am.company_id, am.currency_id,
               ARRAY_AGG(am.id) AS move_ids, SUM(am.amount_residual) AS total,
               SUM(am.amount_residual_signed) AS total_company
          FROM account_move am JOIN res_company c ON c.id = am.company_id
         WHERE am.move_type = 'out_invoice' AND am.state = 'posted' AND am.amount_residual > 0
           AND am.invoice_date_due < %(today)s AND am.currency_id = c.currency_id
         GROUP BY 1, 2, 3;
        INSERT INTO credit_payment_plan
               (name, partner_id, company_id, currency_id, state, amount_total, amount_total_company,
                down_payment, instalment_count, interval_months, interest_rate, grace_days, hold_on_break,
                date_activated, create_uid, write_uid, create_date, write_date)
        SELECT 'BENCH/' || partner_id || '/' || company_id, partner_id, company_id, currency_id, 'active',
               total, total_company, 0, 3, 1, 0, 5, TRUE, %(today)s, 1, 1, now(), now()
          FROM bench_plan_src;
        INSERT INTO credit_payment_plan_move_rel (plan_id, move_id)
        SELECT p.id, UNNEST(s.move_ids) FROM bench_plan_src s
          JOIN credit_payment_plan p ON p.partner_id = s.partner_id AND p.company_id = s.company_id
         WHERE p.name LIKE 'BENCH/%%';
        INSERT INTO credit_payment_plan_line (plan_id, company_id, sequence, date, amount, is_down_payment,
                                              create_uid, write_uid, create_date, write_date)
        SELECT p.id, p.company_id, n, %(today)s - (p.id %% 20) + 30 * (n - 1), ROUND(p.amount_total / 3, 2),
               FALSE, 1, 1, now(), now()
          FROM credit_payment_plan p CROSS JOIN generate_series(1, 3) n
         WHERE p.name LIKE 'BENCH/%%';
        """, {"today": today})
    cr.execute("SELECT count(*) FROM credit_payment_plan WHERE state = 'active'")
    return {"plans": cr.fetchone()[0], "today": today}


def _adherence(env, prepared):
    return env["credit.payment.plan"]._follow_adherence(prepared["today"])


def _check(env, value):
    env.cr.execute("SELECT state, count(*) FROM credit_payment_plan GROUP BY state")
    return {"plans_by_state": dict(env.cr.fetchall()), "plans_changed": len(value)}
